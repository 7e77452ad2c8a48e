"""Dynamic-provider input handling that never touches the network: unknowns, validation, normalisation, diffing.

During `pulumi preview` the engine sends values it does not know yet. In the provider process (3.272) Check and
Diff deserialize with `keep_unknowns=True`, so such a value arrives as a `pulumi.output.Unknown` instance; on the
wire it is the string `pulumi.runtime.rpc.UNKNOWN`. In the program (a resource constructor) it is a
`pulumi.Output`. `is_unknown` treats all three alike, and every function here skips what it cannot know instead of
failing on it.

Validation uses a pydantic v2 model whose aliases are the camelCase wire keys. A failure is reported as
(property, reason), the reason naming the field, the value found (never for secret fields) and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import pydantic
from pulumi.output import Output, Unknown
from pulumi.runtime import rpc

from components.providers import secret_config

PROVIDER_KEY = "__provider"
"""The input key under which `pulumi.dynamic` stores the serialized provider."""

SECRET_PLACEHOLDER = "[secret]"


def is_unknown(value: Any) -> bool:
    """True for a value the engine or program does not know yet (preview Unknown, wire sentinel, Output)."""
    return isinstance(value, (Unknown, Output)) or (isinstance(value, str) and value == rpc.UNKNOWN)


def contains_unknown(value: Any) -> bool:
    """True when `value` is unknown or holds an unknown anywhere inside lists/dicts."""
    if is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(v) for v in value)
    return False


def unwrap_secrets(value: Any) -> Any:
    """Remove `rpc` secret wrappers recursively (the engine sends plaintext to dynamic providers, tests may not)."""
    value = rpc.unwrap_rpc_secret(value)
    if isinstance(value, Mapping):
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [unwrap_secrets(v) for v in value]
    return value


_URL_USERINFO = re.compile(r"(://)[^/@\s]+@")


def _describe(value: Any, secret: bool) -> str:
    """A value for a failure message: secrets and URL user-info (user:password@) are masked."""
    if secret:
        return SECRET_PLACEHOLDER
    text = _URL_USERINFO.sub(rf"\g<1>{SECRET_PLACEHOLDER}@", repr(value))
    return text if len(text) <= 200 else text[:197] + "..."


def validate(
    model: type[pydantic.BaseModel],
    wire: Mapping[str, Any],
    *,
    secret_fields: Iterable[str] = (),
) -> tuple[pydantic.BaseModel | None, list[tuple[str, str]]]:
    """Validate the known part of `wire` (camelCase keys) against `model`.

    Returns (model instance or None, failures). None values count as absent. Unknown values are left out; a "missing" error for a field whose
    value is unknown is not a failure. Cross-field validators receive the unknown keys as
    `info.context["unknown"]` so they can skip rules that involve them. When anything is unknown the instance is
    None even if the known part is valid (a partial model would carry defaults in place of unknowns).
    """
    secret = set(secret_fields)
    plain = {k: unwrap_secrets(v) for k, v in wire.items() if k != PROVIDER_KEY and v is not None}
    unknown = {k for k, v in plain.items() if contains_unknown(v)}
    known = {k: v for k, v in plain.items() if k not in unknown}
    try:
        instance = model.model_validate(known, context={"unknown": unknown})
    except pydantic.ValidationError as exc:
        failures = []
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            top = loc[0] if loc else ""
            if err["type"] == "missing" and top in unknown:
                continue
            field = ".".join(loc) or model.__name__
            value = err.get("input")
            if top == secret_config.CONFIG_KEY:  # secret-looking Flink config values are never echoed
                hidden = len(loc) > 1 and secret_config.is_secret_key(loc[1])
                value = secret_config.describe_config(value) if len(loc) == 1 else value
            else:
                hidden = top in secret
            found = "nothing (the field is required)" if err["type"] == "missing" else _describe(value, hidden)
            message = err["msg"].removeprefix("Value error, ")
            failures.append((field, f"{field}: {message}; found {found}"))
        return None, failures
    return (None if unknown else instance), []


def normalize(model: type[pydantic.BaseModel], wire: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs as the provider stores and compares them: defaults filled in, camelCase keys.

    Fully known and valid inputs are dumped from the model. Otherwise the raw values are kept and only absent
    optional fields get their defaults, so that a later diff does not see a default as a change.
    """
    instance, _ = validate(model, wire)
    if instance is not None:
        return instance.model_dump(by_alias=True, mode="json")
    out = {k: unwrap_secrets(v) for k, v in wire.items() if k != PROVIDER_KEY and v is not None}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in out and not field.is_required():
            default = field.get_default(call_default_factory=True)
            if isinstance(default, pydantic.BaseModel):
                default = default.model_dump(by_alias=True, mode="json")
            out[key] = default
    return out


def input_keys(model: type[pydantic.BaseModel]) -> list[str]:
    """The camelCase wire keys of a model's fields."""
    return [field.alias or name for name, field in model.model_fields.items()]


def changed_keys(olds: Mapping[str, Any], news: Mapping[str, Any], keys: Iterable[str]) -> list[str]:
    """Keys whose new value is unknown or differs from the old one (missing compares as None)."""
    return sorted(k for k in keys
                  if contains_unknown(news.get(k)) or unwrap_secrets(news.get(k)) != unwrap_secrets(olds.get(k)))


def wire_props(args: Any, model: type[pydantic.BaseModel], *, secret_keys: Iterable[str]) -> dict[str, Any]:
    """Map a dataclass of snake_case args onto `model`'s camelCase aliases for a resource's props.

    Fields left None are omitted; values under `secret_keys` are wrapped in `pulumi.Output.secret`.
    """
    secret = set(secret_keys)
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        value = getattr(args, name, None)
        if value is not None:
            key = info.alias or name
            out[key] = Output.secret(value) if key in secret else value
    return out
