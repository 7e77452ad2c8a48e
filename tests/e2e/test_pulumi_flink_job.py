"""A ``FlinkJob`` (dynamic provider) managed by the real Pulumi engine against the local Flink cluster.

The engine starts the provider as a plugin process (``pulumi-resource-pulumi-python`` -> ``python -m
pulumi.dynamic``, see ``testbed.pulumi.cli.dynamic_provider_launcher``) and hands it the serialized provider: this
proves the providers' serialization under the engine itself. create -> upgrade to v2 (state continues: the new
job's first count per key is the old job's last count + 1) -> preview sees no change -> destroy (job stopped).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pulumi import automation as auto

from components.providers.flink_job import FlinkJob
from components.providers.flink_job_model import FlinkJobArgs
from tests.components.providers.provider_helpers import assert_state_continued
from tests.conftest import ROOT
from testbed.pulumi import cli as pulumi_local

pytestmark = pytest.mark.flink

PROJECT = "flink-platform-e2e-job"
TIMEOUTS = {"runningS": 90, "savepointS": 90, "checkpointS": 90}


@pytest.fixture(scope="module")
def pulumi_tools(tmp_path_factory) -> dict:
    return pulumi_local.install_plugin(tmp_path_factory.mktemp("pulumi-home-job"))


def job_stack(tmp: Path, tools: dict, state: dict):
    def program() -> None:
        FlinkJob("job", FlinkJobArgs(
            rest_url=state["url"], jar=str(state["jar"]), jar_sha256=state["sha256"],
            entry_class=state["entry_class"], args=state["args"], parallelism=1, timeouts=TIMEOUTS))

    bin_dir = tmp / "bin"
    pulumi_local.dynamic_provider_launcher(bin_dir)
    (tmp / "state").mkdir(exist_ok=True)
    env = {"PULUMI_CONFIG_PASSPHRASE": "e2e-only", "PULUMI_HOME": str(tools["home"]),
           "PULUMI_SKIP_UPDATE_CHECK": "true", "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
           "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    opts = auto.LocalWorkspaceOptions(
        work_dir=str(tmp), pulumi_home=str(tools["home"]), env_vars=env, secrets_provider="passphrase",
        project_settings=auto.ProjectSettings(name=PROJECT, runtime="python",
                                              backend=auto.ProjectBackend(url=f"file://{tmp / 'state'}")),
        pulumi_command=auto.PulumiCommand(root=str(tools["pulumi"].parent.parent)))
    return auto.create_or_select_stack("e2e", project_name=PROJECT, program=program, opts=opts)


def outputs_of(stack) -> dict:
    (resource,) = [r for r in stack.export_stack().deployment["resources"]
                   if r["type"].startswith("pulumi-python:dynamic") and r["type"].endswith(":FlinkJob")]
    return resource["outputs"]


def test_flink_job_lifecycle_under_the_real_engine(pulumi_tools, flink_cluster, flink_client, job_jars, job_output,
                                                   tmp_path: Path):
    state = {"url": flink_cluster.rest_url, "jar": job_jars.v1, "sha256": job_jars.sha256(job_jars.v1),
             "entry_class": job_jars.entry_class, "args": job_output.args("v1")}
    stack = job_stack(tmp_path, pulumi_tools, state)
    try:
        up = stack.up(color="never")
        assert up.summary.result == "succeeded", up.stdout
        first = outputs_of(stack)
        assert first["state"] == "RUNNING" and flink_client.job(first["jobId"])["state"] == "RUNNING"
        job_output.wait_for_counts(3, job_id=first["jobId"])

        assert set(stack.preview(color="never").change_summary) == {"same"}

        state.update(jar=job_jars.v2, sha256=job_jars.sha256(job_jars.v2), args=job_output.args("v2"))
        up = stack.up(color="never")
        assert up.summary.result == "succeeded", up.stdout
        assert up.summary.resource_changes.get("update") == 1, up.stdout
        second = outputs_of(stack)
        assert second["jobId"] != first["jobId"] and second["lastUpgrade"]["result"] == "upgraded"
        assert_state_continued(job_output, first["jobId"], second["jobId"])

        destroy = stack.destroy(color="never")
        assert destroy.summary.result == "succeeded", destroy.stdout
        assert flink_client.job(second["jobId"])["state"] == "FINISHED"
    finally:
        stack.workspace.remove_stack("e2e", force=True)
