"""Reading a dynamic resource's stored outputs leniently, for `delete` and `read` (refresh).

`delete` and `read` receive only what an earlier version of the provider stored. That may lack keys added since
(their defaults apply), hold keys since removed (ignored), or hold a value a later, stricter validator refuses
(an optional field falls back to its default, with a log line). Only what the operation cannot do without is
required: a field without default that is missing or invalid is an error naming the resource, the field, the
value found and that the resource is kept. So an existing stack can always be refreshed and destroyed after an
upgrade of this project; the names a stored `__provider` refers to are listed in the README ("Stored contract").
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, TypeVar

import pydantic

from components.providers.connection import SECRET_INPUT_KEYS, ProviderError
from components.providers.inputs import input_keys, validate

Model = TypeVar("Model", bound=pydantic.BaseModel)


def log(message: str) -> None:
    print(f"[stored-outputs] {message}", file=sys.stderr, flush=True)


def stored_inputs(model: type[Model], props: Mapping[str, Any], *, what: str) -> Model:
    """The inputs recorded in stored outputs, validated by `model` as far as they can be.

    Unknown keys are dropped, missing optional keys take their defaults, and an optional field whose stored
    value no longer validates takes its default too. A required field that is missing or invalid raises
    ProviderError naming `what`, the field and the problem.
    """
    keys = set(input_keys(model))
    known = {k: v for k, v in props.items() if k in keys and v is not None}
    required = {field.alias or name for name, field in model.model_fields.items() if field.is_required()}
    dropped: list[str] = []
    for _ in range(len(keys) + 1):
        instance, failures = validate(model, known, secret_fields=SECRET_INPUT_KEYS)
        if not failures and instance is not None:
            if dropped:
                log(f"{what}: stored value(s) of {', '.join(sorted(dropped))} no longer valid; using the defaults")
            return instance  # type: ignore[return-value]
        fields = {field.split(".")[0] for field, _ in failures}
        droppable = (fields & set(known)) - required
        if fields & required or not droppable:
            reasons = "; ".join(reason for _, reason in failures)
            raise ProviderError(f"{what}: the stored outputs cannot be used: {reasons}. Nothing was changed; the "
                                "resource is kept")
        for field in droppable:
            known.pop(field)
            dropped.append(field)
    raise ProviderError(f"{what}: the stored outputs cannot be used")  # pragma: no cover


def with_defaults(model: type[pydantic.BaseModel], olds: Mapping[str, Any]) -> dict[str, Any]:
    """Stored outputs with every input key they lack (added by a later version) set to its default.

    So that `diff` does not report a change for an input nobody set, just because older outputs lack it.
    """
    out = dict(olds)
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in out and not field.is_required():
            default = field.get_default(call_default_factory=True)
            out[key] = default.model_dump(by_alias=True, mode="json") if isinstance(default, pydantic.BaseModel) \
                else default
    return out


def stored_value(props: Mapping[str, Any], key: str, *, what: str) -> Any:
    """A computed output the operation needs (e.g. `jobId`); ProviderError naming it when it is absent."""
    value = props.get(key)
    if value in (None, ""):
        raise ProviderError(f"{what}: the stored outputs have no {key!r} (found keys: "
                            f"{', '.join(sorted(k for k in props if not k.startswith('__')))}). Nothing was "
                            "changed; the resource is kept. `pulumi refresh` cannot recover it either: remove it "
                            "from the state with `pulumi state delete` after cleaning up by hand")
    return value
