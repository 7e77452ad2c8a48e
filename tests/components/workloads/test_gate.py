"""The SavepointGate the program puts in front of a stateful workload, driven against a real local Flink cluster.

The program's gate inputs (from a mock run of the dev stack, REST URL overridden to the local cluster) are fed to
the provider as the engine would: a spec change with no running job, or with an unhealthy job, fails the gate's
update. The custom resource depends on the gate (tests/components/workloads/test_component.py), so the engine never
updates it after that failure.
"""

from __future__ import annotations

import copy

import pytest

from components.providers.savepoint_gate import GateError, SavepointGateProvider
from tests.components.providers.test_savepoint_gate import start_job
from tests.conftest import stack_config
from planning.mock_runtime import run_program

pytestmark = pytest.mark.flink

GATE_TYPE = "pulumi-python:dynamic/flink:SavepointGate"
TIMEOUTS = {"runningS": 3, "savepointS": 30, "checkpointS": 10}


def _program_gate_inputs(rest_url: str, parallelism: int) -> dict:
    config = copy.deepcopy(stack_config("dev"))
    app = config["flink-platform:platform"]["workloads"]["applications"][0]
    app["gate"] = {"restUrl": rest_url}
    tenant = next(t for t in config["flink-platform:platform"]["tenants"] if t["name"] == app["tenant"])
    tenant["restHosts"] = ["127.0.0.1"]  # the local cluster: a host outside the tenant's namespaces, named
    app["job"]["parallelism"] = parallelism
    (gate,) = [r for r in run_program("dev", config).registrations if r.type == GATE_TYPE]
    return {k: v for k, v in gate.inputs.items() if v is not None}


def _deployed_then_changed(rest_url: str) -> tuple[SavepointGateProvider, dict, dict]:
    provider = SavepointGateProvider()
    first = provider.check({}, {**_program_gate_inputs(rest_url, 2), "timeouts": TIMEOUTS})
    assert first.failures == []
    outs = provider.create(first.inputs).outs
    changed = provider.check(outs, {**_program_gate_inputs(rest_url, 4), "timeouts": TIMEOUTS})
    assert changed.failures == [] and changed.inputs["specHash"] != outs["specHash"]
    assert provider.diff("gate", outs, changed.inputs).changes is True
    return provider, outs, changed.inputs


def test_a_spec_change_with_no_running_job_stops_the_update(flink_cluster, flink_client) -> None:
    provider, outs, changed = _deployed_then_changed(flink_cluster.rest_url)
    with pytest.raises(GateError, match="no running job .* no savepoint protects this change"):
        provider.update("gate", outs, changed)


def test_a_spec_change_with_an_unhealthy_job_stops_the_update(flink_cluster, flink_client, job_jars,
                                                              job_output) -> None:
    job_id = start_job(flink_client, job_jars, job_output, "--fail-in-open", "true", wait=False)
    provider, outs, changed = _deployed_then_changed(flink_cluster.rest_url)
    with pytest.raises(GateError) as info:
        provider.update("gate", outs, {**changed, "jobId": job_id})
    assert f"job {job_id} is not healthy" in str(info.value)
    assert "guarded deployment was not changed" in str(info.value)
