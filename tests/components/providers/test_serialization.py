"""The workaround for the SDK's nesting pickler wrappers: many dynamic resources in one program stay cheap."""

from __future__ import annotations

import pickle

import pulumi

from components.providers.savepoint_gate import SavepointGate, SavepointGateArgs
from components.providers.serialization import reset_pickler, wrapper_depth


def test_each_dynamic_resource_nests_a_wrapper_unless_reset(pulumi_runtime) -> None:
    seen: dict[str, int] = {}

    @pulumi.runtime.test
    def build():
        reset_pickler()
        for i in range(3):
            SavepointGate(f"g{i}", SavepointGateArgs(rest_url="http://jm:8081", spec_hash=f"h{i}"))
        nested = wrapper_depth()
        for i in range(3):
            reset_pickler()
            SavepointGate(f"r{i}", SavepointGateArgs(rest_url="http://jm:8081", spec_hash=f"h{i}"))
        seen.update(nested=nested, reset=wrapper_depth())

    build()
    nested, reset = seen["nested"], seen["reset"]
    assert nested == 3  # the SDK bug this works around: one more level per dynamic resource
    assert reset == 1  # with the reset, only the SDK's own (intended) sorting wrapper remains
    reset_pickler()
    assert wrapper_depth() == 0 and pickle._Pickler._batch_setitems.__name__ == "_batch_setitems"


def test_seven_hundred_gates_serialize(pulumi_runtime) -> None:
    """Past the ~470 where the SDK alone overflows the stack."""
    seen: dict[str, int] = {}

    @pulumi.runtime.test
    def build():
        for i in range(700):
            reset_pickler()
            SavepointGate(f"g{i}", SavepointGateArgs(rest_url="http://jm:8081", spec_hash=f"h{i}"))
        seen["depth"] = wrapper_depth()

    build()
    assert seen["depth"] == 1
    assert len([r for r in pulumi_runtime.registrations if r.type.endswith(":SavepointGate")]) == 700
