"""Schema validation of Kubernetes objects for the offline plan.

Built-in kinds are validated against the official OpenAPI schemas of one Kubernetes minor version, read from the
files that ``kubernetes-validate`` ships, in their *strict* variant (an unknown field is an error, as with
``kubectl apply --validate=strict``). Custom resources are validated against the ``openAPIV3Schema`` of the CRD that
serves their apiVersion/kind (:class:`components.operator.crds.CrdSchemas`), made strict the way Kubernetes' strict field
validation is: a field the structural schema does not declare is an error unless the schema says
``x-kubernetes-preserve-unknown-fields``; their ``metadata`` is checked against the same strict ObjectMeta as
built-in kinds. An object of a kind neither knows is an error.

``kubernetes_validate.validate()`` reads and parses the schema files (the definitions file is 1.4 MB) on every
call. This module reads the same files once and keeps one compiled validator per (schema directory, apiVersion,
kind), so thousands of objects validate in well under a second. ``tests/planning/test_schema_validation.py`` checks
that its verdicts match ``kubernetes_validate.validate(..., strict=True)``.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, Iterable, Mapping

import jsonschema
import orjson
from jsonschema import _keywords
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from components.config import names
from components.operator.crds import CrdSchemas

#: Package data of kubernetes-validate holding one ``v<version>-local[-strict]`` directory per Kubernetes release.
_SCHEMA_PACKAGE = "kubernetes_validate"
_SCHEMA_ROOT = "kubernetes-json-schema"
_DEFINITIONS_ID = "https://kubernetes.io/api/_definitions.json"
OBJECT_META_REF = f"{_DEFINITIONS_ID}#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_PLAIN_KEY = r"[A-Za-z_][A-Za-z0-9_]*"


def _exact_pattern(validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]) -> Iterable[ValidationError]:
    """JSON Schema ``pattern`` with ECMA-262 semantics: ``$`` matches only at the very end (never before a final
    newline, as Python's ``$`` would), exactly as the API server and schema-aware editors read it."""
    if validator.is_type(instance, "string") and not re.search(names.python_pattern(pattern), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _python_patterns(patterns: Mapping[str, Any]) -> dict[str, Any]:
    return {names.python_pattern(p): sub for p, sub in patterns.items()}


def _exact_pattern_properties(validator: Any, patterns: Mapping[str, Any], instance: Any, schema: Any) -> Any:
    yield from _keywords.patternProperties(validator, _python_patterns(patterns), instance, schema)


def _exact_additional_properties(validator: Any, additional: Any, instance: Any, schema: Mapping[str, Any]) -> Any:
    if "patternProperties" in schema:
        schema = {**schema, "patternProperties": _python_patterns(schema["patternProperties"])}
    yield from _keywords.additionalProperties(validator, additional, instance, schema)


#: ``$ref`` subtrees already found valid, by (identity of the schema node holding the ``$ref``, a 128-bit BLAKE2 digest
#: of the instance's canonical JSON). Validation is a pure function of schema and instance, and a stack repeats the same subtrees thousands
#: of times (the same PolicyRules in every watched namespace, the same quota spec, ports and selectors), so a valid
#: subtree is checked once. The entry holds the schema node, so its id cannot be reused while the entry exists; only
#: valid results are kept (errors are always computed afresh, with their paths).
_VALID_REFS: dict[tuple[int, bytes], Mapping[str, Any]] = {}
_VALID_REFS_MAX = 200_000


def _cached_ref(validator: Any, ref: str, instance: Any, schema: Mapping[str, Any]) -> Iterable[ValidationError]:
    try:
        text = orjson.dumps(instance, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # not plain JSON data (a non-string key, an integer beyond 64 bits): no shortcut
        yield from _keywords.ref(validator, ref, instance, schema)
        return
    key = (id(schema), hashlib.blake2b(text, digest_size=16).digest())  # 128 bits: memory stays small
    if _VALID_REFS.get(key) is schema:
        return
    errors = list(_keywords.ref(validator, ref, instance, schema))
    if errors:
        yield from errors
        return
    if len(_VALID_REFS) >= _VALID_REFS_MAX:
        _VALID_REFS.clear()
    _VALID_REFS[key] = schema


#: Draft 2020-12 reading every regex (``pattern``, ``patternProperties``, and ``additionalProperties`` through it)
#: with ECMA-262 anchors; every schema check in the project uses it.
ExactValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    {
        "pattern": _exact_pattern,
        "patternProperties": _exact_pattern_properties,
        "additionalProperties": _exact_additional_properties,
        "$ref": _cached_ref,
    },
)


class UnsupportedKubernetesVersion(ValueError):
    """kubernetes-validate ships no schemas for the requested Kubernetes version."""


@dataclass(frozen=True)
class SchemaProblem:
    """One way an object breaks its schema: where (JSON path in the object), what was found, what is allowed."""

    path: str
    found: str
    allowed: str

    def __str__(self) -> str:
        return f"{self.path}: found {self.found}: {self.allowed}"


def _numbers(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.removeprefix("v").split("."))
    except ValueError:
        raise UnsupportedKubernetesVersion(f"{version!r} is not a Kubernetes version like '1.33'") from None


def schema_versions() -> list[str]:
    """Kubernetes versions (``1.33.0``) kubernetes-validate ships schemas for, oldest first."""
    root = resources.files(_SCHEMA_PACKAGE).joinpath(_SCHEMA_ROOT)
    found = (re.fullmatch(r"v(\d+\.\d+\.\d+)-local", entry.name) for entry in root.iterdir())
    return sorted((m.group(1) for m in found if m), key=_numbers)


def schema_version_for(kubernetes_version: str) -> str:
    """The schema release kubernetes-validate uses for ``kubernetes_version``: the newest not newer than it."""
    wanted = _numbers(kubernetes_version)[:2]
    available = schema_versions()
    older = [v for v in available if _numbers(v)[:2] <= wanted]
    if not available or wanted > _numbers(available[-1])[:2]:
        raise UnsupportedKubernetesVersion(
            f"kubernetes-validate ships no schemas for Kubernetes {kubernetes_version} "
            f"(newest: {available[-1] if available else 'none'})"
        )
    if not older:
        raise UnsupportedKubernetesVersion(
            f"kubernetes-validate ships no schemas for Kubernetes {kubernetes_version} (oldest: {available[0]})"
        )
    return older[-1]


@functools.lru_cache(maxsize=None)
def _schema_file(schema_dir: str, filename: str) -> dict[str, Any] | None:
    ref = resources.files(_SCHEMA_PACKAGE).joinpath(_SCHEMA_ROOT, schema_dir, filename)
    if not ref.is_file():
        return None
    return json.loads(ref.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def _registry(schema_dir: str) -> Registry:
    definitions = _schema_file(schema_dir, "_definitions.json")
    if definitions is None:
        raise UnsupportedKubernetesVersion(f"kubernetes-validate has no schema directory {schema_dir!r}")
    return Resource.from_contents(definitions) @ Registry()


def _builtin_filename(api_version: str, kind: str) -> str:
    # kubernetes-validate's file naming: rbac.authorization.k8s.io/v1 Role -> role-rbac-v1.json, v1 -> *-v1.json
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{group_version}.json"


def _group_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


@functools.lru_cache(maxsize=None)
def builtin_validator(schema_dir: str, api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
    """The compiled strict validator for a built-in kind, or None when the release has no such apiVersion/kind.

    The file name alone is ambiguous (``apps.example.com/v1`` maps to the same file as ``apps/v1``), so the
    schema's own ``x-kubernetes-group-version-kind`` must name exactly this group, version and kind.
    """
    schema = _schema_file(schema_dir, _builtin_filename(api_version, kind))
    if schema is None:
        return None
    group, version = _group_version(api_version)
    gvks = schema.get("x-kubernetes-group-version-kind") or []
    if not any(g.get("group") == group and g.get("version") == version and g.get("kind") == kind for g in gvks):
        return None
    resource = Resource.from_contents(schema)
    return ExactValidator(schema, registry=resource @ _registry(schema_dir))


def strict_crd_schema(openapi_schema: Mapping[str, Any], api_version: str, kind: str) -> dict[str, Any]:
    """A JSON Schema (2020-12) for custom resources from a CRD version's ``openAPIV3Schema``.

    Kubernetes prunes fields a structural schema does not declare and, with strict field validation, reports
    them; here every object schema without ``additionalProperties`` or ``x-kubernetes-preserve-unknown-fields``
    gets ``additionalProperties: false``. apiVersion and kind must be exactly the served ones; metadata is the
    strict ObjectMeta of the Kubernetes release.
    """
    schema = copy.deepcopy(dict(openapi_schema))

    def strict(node: Any) -> None:
        if isinstance(node, dict):
            is_object = node.get("type") == "object" or "properties" in node
            if is_object and "additionalProperties" not in node and not node.get("x-kubernetes-preserve-unknown-fields"):
                node["additionalProperties"] = False
            for key in ("properties", "patternProperties"):
                for child in (node.get(key) or {}).values():
                    strict(child)
            for key in ("items", "additionalProperties", "not"):
                if isinstance(node.get(key), dict):
                    strict(node[key])
            for key in ("anyOf", "allOf", "oneOf"):
                for child in node.get(key) or []:
                    strict(child)

    strict(schema)
    properties = schema.setdefault("properties", {})
    properties["apiVersion"] = {"type": "string", "enum": [api_version]}
    properties["kind"] = {"type": "string", "enum": [kind]}
    properties["metadata"] = {"$ref": OBJECT_META_REF}
    schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


class SchemaValidator:
    """Validates Kubernetes objects for one Kubernetes version and one set of CRDs; compiled schemas are cached."""

    def __init__(self, kubernetes_version: str, crd_schemas: CrdSchemas | None = None):
        self.kubernetes_version = kubernetes_version
        self.schema_version = schema_version_for(kubernetes_version)
        self.schema_dir = f"v{self.schema_version}-local-strict"
        self._crd_schemas = crd_schemas
        self._crd_validators: dict[tuple[str, str], jsonschema.protocols.Validator | None] = {}

    def _crd_validator(self, api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
        key = (api_version, kind)
        if key not in self._crd_validators:
            schema = self._crd_schemas.schema_for(api_version, kind) if self._crd_schemas else None
            if schema is None:
                self._crd_validators[key] = None
            else:
                strict = strict_crd_schema(schema, api_version, kind)
                self._crd_validators[key] = ExactValidator(strict, registry=_registry(self.schema_dir))
        return self._crd_validators[key]

    def source_of(self, api_version: str, kind: str) -> str | None:
        """Which schema validates this apiVersion/kind (``CRD`` or ``Kubernetes <version>``), None if unknown."""
        if self._crd_validator(api_version, kind) is not None:
            return "CRD"
        if builtin_validator(self.schema_dir, api_version, kind) is not None:
            return f"Kubernetes {self.schema_version}"
        return None

    def validate(self, obj: Mapping[str, Any]) -> list[SchemaProblem]:
        """Every schema problem of ``obj`` (empty list: valid), in a stable order."""
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str) or not api_version or not kind:
            return [SchemaProblem("apiVersion", _show(api_version), "every object needs a string apiVersion and kind")]
        validator = self._crd_validator(api_version, kind) or builtin_validator(self.schema_dir, api_version, kind)
        if validator is None:
            served = ", ".join(f"{a} {k}" for a, k in self._crd_schemas.kinds()) if self._crd_schemas else "none"
            return [
                SchemaProblem(
                    "kind",
                    f"{api_version} {kind}",
                    f"unknown kind: not a built-in kind of Kubernetes {self.schema_version} and not served by any "
                    f"CRD in this plan (CRD kinds: {served})",
                )
            ]
        problems = [p for error in validator.iter_errors(obj) for p in _problems(error)]
        return sorted(set(problems), key=lambda p: (p.path, p.allowed, p.found))


def _problems(error: ValidationError) -> Iterable[SchemaProblem]:
    path = format_path(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        declared = set(error.schema.get("properties", {}))
        patterns = [re.compile(names.python_pattern(p)) for p in error.schema.get("patternProperties", {})]
        extras = [k for k in error.instance if k not in declared and not any(p.search(k) for p in patterns)]
        allowed = ", ".join(sorted(declared)) or "none"
        for key in sorted(extras):
            yield SchemaProblem(
                format_path([*error.absolute_path, key]),
                "an unknown field",
                f"{error.message}; fields allowed here: {allowed}",
            )
        return
    if error.validator in ("anyOf", "oneOf") and error.context:
        details = "; ".join(sorted({c.message for c in error.context}))
        yield SchemaProblem(path, _show(error.instance), f"{error.message} ({details})")
        return
    if error.validator == "required":
        yield SchemaProblem(path, "nothing", error.message)
        return
    yield SchemaProblem(path, _show(error.instance), error.message)


def format_path(parts: Iterable[Any]) -> str:
    """``['spec', 'containers', 0, 'image']`` → ``spec.containers[0].image``; odd keys as ``labels["a.b/c"]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif names.matches(_PLAIN_KEY, str(part)):
            out += f".{part}" if out else str(part)
        else:
            out += f"[{json.dumps(str(part))}]"
    return out or "(top level)"


def _show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
