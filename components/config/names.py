"""Kubernetes name rules (API machinery's validation), each defined once, and whole-string matching.

Every rule here matches the *whole* string. Python's ``$`` also matches before a final ``"\\n"``, so a pattern
``^…$`` used with ``re.match`` or ``re.search`` accepts ``"team-a\\n"``; the API server (Go's ``regexp``) and
JSON Schema editors (ECMA-262) do not. So the project never anchors with ``$`` in Python: :func:`matches` uses
``re.fullmatch``, and :func:`python_pattern` turns a JSON-Schema (ECMA) pattern into one with Python's ``\\Z``
for the tools that evaluate schema patterns in Python.

Pulumi-free, so the offline plan, the policy pack and the tests can import it.
"""

from __future__ import annotations

import functools
import re

#: RFC 1123 label (namespace names, most object names): at most 63 characters.
DNS_LABEL_MAX = 63
DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#: RFC 1123 subdomain (e.g. label-key prefixes, cluster identifiers): at most 253 characters.
DNS_SUBDOMAIN_MAX = 253
DNS_SUBDOMAIN = rf"{DNS_LABEL}(\.{DNS_LABEL})*"
#: Label value: empty, or at most 63 of letters, digits, '-', '_', '.' starting and ending alphanumeric.
LABEL_VALUE_MAX = 63
LABEL_VALUE = r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"
#: The name part of a qualified name (label and annotation keys): 1..63 characters, alphanumeric at both ends.
QUALIFIED_NAME_MAX = 63
QUALIFIED_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"

DNS_LABEL_RULE = (
    "must be a Kubernetes name (RFC 1123 label): lower-case letters, digits and '-', "
    f"starting and ending with a letter or digit, at most {DNS_LABEL_MAX} characters"
)
DNS_SUBDOMAIN_RULE = (
    "must be a Kubernetes name (RFC 1123 subdomain): lower-case letters, digits, '-' and '.', "
    f"starting and ending with a letter or digit, at most {DNS_SUBDOMAIN_MAX} characters"
)
LABEL_VALUE_RULE = (
    f"must be a Kubernetes label value: at most {LABEL_VALUE_MAX} characters of letters, digits, '-', '_' and '.', "
    "starting and ending with a letter or digit"
)
LABEL_KEY_RULE = (
    "must be a Kubernetes label key: an optional prefix (a DNS subdomain of at most "
    f"{DNS_SUBDOMAIN_MAX} characters) and '/', then a name of 1 to {QUALIFIED_NAME_MAX} letters, digits, '-', "
    "'_' and '.' starting and ending with a letter or digit (e.g. 'cost-center' or 'acme.io/cost-center')"
)


@functools.lru_cache(maxsize=None)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def matches(pattern: str, value: object) -> bool:
    """True when ``value`` is a string and the *whole* of it matches ``pattern`` (never a prefix or a line)."""
    return isinstance(value, str) and _compiled(pattern).fullmatch(value) is not None


def is_dns_label(value: object) -> bool:
    return matches(DNS_LABEL, value) and len(value) <= DNS_LABEL_MAX  # type: ignore[arg-type]


def is_dns_subdomain(value: object) -> bool:
    return matches(DNS_SUBDOMAIN, value) and len(value) <= DNS_SUBDOMAIN_MAX  # type: ignore[arg-type]


def is_label_value(value: object) -> bool:
    return matches(LABEL_VALUE, value) and len(value) <= LABEL_VALUE_MAX  # type: ignore[arg-type]


def label_key_problem(value: object) -> str | None:
    """Why ``value`` is not a valid label key (``[prefix/]name``), or None when it is one."""
    if not isinstance(value, str):
        return LABEL_KEY_RULE
    prefix, slash, name = value.rpartition("/")
    if slash and not prefix:
        return f"{LABEL_KEY_RULE}; the prefix before '/' is empty"
    if prefix and not is_dns_subdomain(prefix):
        return f"{LABEL_KEY_RULE}; the prefix {prefix!r} is not a DNS subdomain of at most {DNS_SUBDOMAIN_MAX}"
    if not matches(QUALIFIED_NAME, name) or len(name) > QUALIFIED_NAME_MAX:
        return f"{LABEL_KEY_RULE}; the name {name!r} is not a valid name part"
    return None


def json_schema_pattern(pattern: str) -> str:
    """The whole-string pattern for a JSON Schema (ECMA-262, where ``$`` matches only at the very end)."""
    return f"^{pattern}$"


#: The JSON Schema of a label key (an optional DNS subdomain prefix and '/', then a qualified name).
LABEL_KEY_SCHEMA = {"type": "string", "pattern": json_schema_pattern(rf"({DNS_SUBDOMAIN}/)?{QUALIFIED_NAME}"),
                    "maxLength": DNS_SUBDOMAIN_MAX + 1 + QUALIFIED_NAME_MAX}


def python_pattern(ecma: str) -> str:
    """An ECMA-262 pattern (as JSON Schema writes it) for Python's ``re.search``, with the same meaning.

    Every ``$`` that is an anchor (not escaped, not inside a character class) becomes ``\\Z``, so a final newline
    is not silently accepted. Everything else is passed through unchanged.
    """
    out: list[str] = []
    in_class = escaped = False
    for ch in ecma:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            out.append(ch)
            escaped = True
        elif in_class:
            out.append(ch)
            in_class = ch != "]"
        elif ch == "[":
            out.append(ch)
            in_class = True
        elif ch == "$":
            out.append(r"\Z")
        else:
            out.append(ch)
    return "".join(out)
