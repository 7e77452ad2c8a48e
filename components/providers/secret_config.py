"""Secret-looking `flinkConfiguration` entries: which keys they are, and how they are masked outside Flink.

A FlinkJob's `flinkConfiguration` may carry credentials (`s3.secret-key`, `security.ssl.keystore-password`, a
metrics reporter's `apikey`, ...). Their values are sent to Flink on run, unchanged, but everywhere else they are
masked:

- **outputs** hold `[secret:pbkdf2-sha256:<iterations>:<salt>:<digest>]` instead of the value. The salted, slow
  fingerprint lets `diff` see that a secret value changed (so the job is upgraded) without storing the value or a
  fast hash of it.
- **inputs** are marked secret by `FlinkJobArgs` (so the engine stores them encrypted), and failure messages show
  `[secret]` for them.
- **errors and logs**: the values are added to the list every provider operation scrubs from exception text.

A key looks secret when one of its segments (split on `.`, `-`, `_`) ends with a word of `SECRET_KEY_WORDS`
(`s3.access-key`, `fs.azure.account.key.x`, `keystore-password`, `apikey`); `security.ssl.keystore` (a path) does
not. The list lives here only; the program, the providers and the policy pack import it from here (stdlib only).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from typing import Any

#: Words that make a flinkConfiguration key secret when a key segment ends with one of them.
SECRET_KEY_WORDS = ("password", "passwd", "secret", "token", "key", "credential", "credentials", "passphrase",
                    "auth")
#: The input/output key whose secret-looking entries are masked.
CONFIG_KEY = "flinkConfiguration"
#: How a masked value appears in failure messages.
PLACEHOLDER = "[secret]"
#: PBKDF2 work factor of the fingerprint in outputs (about 30-60 ms per value).
PBKDF2_ITERATIONS = 120_000
_MASK = re.compile(r"\[secret:pbkdf2-sha256:(\d+):([0-9a-f]{32}):([0-9a-f]{64})\]")
_SEGMENTS = re.compile(r"[.\-_]")


#: Keys a segment of which ends with a secret word but that name a class or a switch, not a credential.
NOT_SECRET_KEYS = frozenset({"fs.s3a.aws.credentials.provider", "fs.s3a.assumed.role.credentials.provider",
                             "s3.aws.credentials.provider", "fs.s3.aws.credentials.provider"})
#: Environment variable names whose last ``_`` part is one of these hold a credential (``GITHUB_PAT``).
SECRET_ENV_SUFFIXES = ("pat",)
#: A value that refers to an environment variable (``${KAFKA_PASSWORD}``) instead of holding the secret.
_ENV_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")
#: ``key=value`` / ``key: value`` / ``-Dkey=value`` / ``--key=value`` inside a longer string (JVM options,
#: FLINK_PROPERTIES lines, container args, JAAS options such as ``password="..."``).
_ASSIGNMENT = re.compile(r"""(?:^|[\s;,'"])-{0,2}(?:D)?([A-Za-z][A-Za-z0-9_.\-]*)\s*(?:=|:\s)\s*["']?([^\s"';,]+)""")
#: Value shapes that are credentials whatever the key: Azure SAS signatures, private keys.
_SECRET_VALUE_SHAPES = (re.compile(r"[?&]sig=[A-Za-z0-9%+/=]{16,}"), re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"))


def is_secret_key(key: Any) -> bool:
    """True when a flinkConfiguration key looks like it holds a credential."""
    return isinstance(key, str) and key.lower() not in NOT_SECRET_KEYS and any(
        segment.endswith(word) for segment in _SEGMENTS.split(key.lower()) for word in SECRET_KEY_WORDS)


def is_secret_env_name(name: Any) -> bool:
    """True when an environment variable name looks like it holds a credential: its last part ends with a secret
    word (``KAFKA_PASSWORD``, ``API_TOKEN``; not ``KAFKA_PASSWORD_FILE`` or ``TOKEN_REFRESH_INTERVAL_S``)."""
    if not isinstance(name, str) or not name:
        return False
    last = _SEGMENTS.split(name.lower())[-1]
    return last in SECRET_ENV_SUFFIXES or any(last.endswith(word) for word in SECRET_KEY_WORDS)


def is_reference(value: Any) -> bool:
    """True for ``${VAR}`` (Flink substitutes the environment variable) or an empty value."""
    return value is None or (isinstance(value, str) and (not value.strip() or bool(_ENV_REFERENCE.match(value.strip()))))


def secrets_in_text(text: Any) -> list[str]:
    """What in a longer string holds a literal credential (the key it is assigned to, or the shape's name), never
    the value itself: ``-Djavax.net.ssl.keyStorePassword=x``, ``password="x"`` in a JAAS config, ``s3.secret-key:
    x`` in FLINK_PROPERTIES, ``--api-token=x`` in args, an Azure SAS ``sig=``, a PEM private key."""
    if not isinstance(text, str) or not text:
        return []
    # Inside text the key's last part must be the secret word (``password.file=/etc/pw`` is a path, not a secret).
    found = [key for key, value in _ASSIGNMENT.findall(text)
             if is_secret_key(key) and is_secret_env_name(key) and not is_reference(value)
             and value not in ("true", "false")]
    found += [f"a value shaped like {('an Azure SAS signature', 'a private key')[i]}"
              for i, shape in enumerate(_SECRET_VALUE_SHAPES) if shape.search(text)]
    return found


def is_masked(value: Any) -> bool:
    """True for a value written by :func:`mask` (what outputs hold instead of a secret value)."""
    return isinstance(value, str) and _MASK.fullmatch(value) is not None


def _digest(value: str, salt: str, iterations: int) -> str:
    return hashlib.pbkdf2_hmac("sha256", value.encode(), bytes.fromhex(salt), iterations).hex()


def mask(value: Any) -> str:
    """The stored form of a secret value: a fresh salt and the PBKDF2 digest, never the value."""
    salt = secrets.token_hex(16)
    return f"[secret:pbkdf2-sha256:{PBKDF2_ITERATIONS}:{salt}:{_digest(str(value), salt, PBKDF2_ITERATIONS)}]"


def matches(masked: Any, value: Any) -> bool:
    """True when `masked` (an output) is the fingerprint of `value` (a new input)."""
    found = _MASK.fullmatch(masked) if isinstance(masked, str) else None
    if found is None or not isinstance(value, str):
        return False
    iterations, salt, digest = found.groups()
    return hmac.compare_digest(_digest(value, salt, int(iterations)), digest)


def secret_values(config: Any) -> tuple[str, ...]:
    """The plaintext values of secret-looking keys (to scrub from any text)."""
    if not isinstance(config, Mapping):
        return ()
    return tuple(str(v) for k, v in config.items() if is_secret_key(k) and isinstance(v, str) and v
                 and not is_masked(v))


def masked_config(config: Any) -> Any:
    """`config` with every secret-looking value replaced by its fingerprint (already masked values are kept)."""
    if not isinstance(config, Mapping):
        return config
    return {k: (v if not is_secret_key(k) or is_masked(v) or v is None else mask(v)) for k, v in config.items()}


def comparable_config(news: Any, olds: Any) -> Any:
    """`news` as it would be stored, reusing the stored fingerprint of every unchanged secret value.

    Comparing the result with the stored `olds` shows exactly the entries that changed. Stored outputs written
    before masking existed hold plaintext; such a value compares as itself.
    """
    if not isinstance(news, Mapping):
        return news
    olds = olds if isinstance(olds, Mapping) else {}
    out = {}
    for key, value in news.items():
        old = olds.get(key)
        if not is_secret_key(key) or not isinstance(value, str) or not is_masked(old):
            out[key] = value
        else:
            out[key] = old if matches(old, value) else mask(value)
    return out


def unmasked_config(stored: Any, news: Any) -> Any:
    """The stored (previous) config with each masked value replaced by the new value of that key.

    Used to run the previous version again (rollback): the old plaintext is not kept anywhere, so a secret that
    changed in the same update is the new one. A masked value with no new counterpart is dropped.
    """
    if not isinstance(stored, Mapping):
        return stored
    news = news if isinstance(news, Mapping) else {}
    return {k: (news[k] if is_masked(v) else v) for k, v in stored.items() if not is_masked(v) or k in news}


def describe_config(config: Any) -> Any:
    """`config` for a failure message: secret-looking values shown as `[secret]`; a non-mapping only by type."""
    if not isinstance(config, Mapping):
        return f"<a {type(config).__name__}, not shown: it may hold secret values>"
    return {k: (PLACEHOLDER if is_secret_key(k) else v) for k, v in config.items()}


def comparable(news: Mapping[str, Any], olds: Mapping[str, Any]) -> dict[str, Any]:
    """New inputs with `flinkConfiguration` as it would be stored next to `olds` (for diffing against olds)."""
    if CONFIG_KEY not in news:
        return dict(news)
    return {**news, CONFIG_KEY: comparable_config(news[CONFIG_KEY], olds.get(CONFIG_KEY))}


def unmasked(olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
    """Stored outputs with masked `flinkConfiguration` values taken from the new inputs (see unmasked_config)."""
    if CONFIG_KEY not in olds:
        return dict(olds)
    return {**olds, CONFIG_KEY: unmasked_config(olds[CONFIG_KEY], news.get(CONFIG_KEY))}
