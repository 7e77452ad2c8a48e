"""A ``FlinkJob`` (dynamic provider) managed through the ordinary Pulumi CLI path against the local Flink cluster.

The CLI starts the Python language host on a ``__main__.py`` that declares one ``FlinkJob`` from stack config
(``testbed.pulumi.project``), and the engine runs the provider through the SDK's own dynamic-provider launcher
(``pulumi-resource-pulumi-python`` from the ``sdk/v3`` module, beside the CLI) with the serialized provider: this
proves the providers' serialization under the engine itself. create -> upgrade to v2 (state continues: the new
job's first count per key is the old job's last count + 1) -> preview sees no change -> destroy (job stopped).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.components.providers.provider_helpers import assert_state_continued
from testbed.pulumi import cli as pulumi_local
from testbed.pulumi.project import CliProject

pytestmark = pytest.mark.flink

STACK = "e2e-job"
TIMEOUTS = {"runningS": 90, "savepointS": 90, "checkpointS": 90}
#: The test's own program: one FlinkJob from the stack config of namespace ``e2e``.
PROGRAM = '''\
import pulumi

from components.providers.flink_job import FlinkJob
from components.providers.flink_job_model import FlinkJobArgs

job = pulumi.Config("e2e").require_object("job")
FlinkJob("job", FlinkJobArgs(
    rest_url=job["restUrl"], jar=job["jar"], jar_sha256=job["jarSha256"], entry_class=job["entryClass"],
    args=job["args"], parallelism=1, timeouts=job["timeouts"]))
'''


@pytest.fixture(scope="module")
def pulumi_tools(tmp_path_factory) -> dict:
    return pulumi_local.install_plugin(tmp_path_factory.mktemp("pulumi-home-job"))


def job_config(state: dict) -> dict:
    return {"e2e:job": {"restUrl": state["url"], "jar": str(state["jar"]), "jarSha256": state["sha256"],
                        "entryClass": state["entry_class"], "args": state["args"], "timeouts": TIMEOUTS}}


def outputs_of(project: CliProject) -> dict:
    (resource,) = [r for r in project.export()["deployment"]["resources"]
                   if r["type"].startswith("pulumi-python:dynamic") and r["type"].endswith(":FlinkJob")]
    return resource["outputs"]


def test_flink_job_lifecycle_through_the_pulumi_cli(pulumi_tools, flink_cluster, flink_client, job_jars, job_output,
                                                    tmp_path: Path):
    state = {"url": flink_cluster.rest_url, "jar": job_jars.v1, "sha256": job_jars.sha256(job_jars.v1),
             "entry_class": job_jars.entry_class, "args": job_output.args("v1")}
    project = CliProject(tmp_path / "cli", STACK, kubeconfig=tmp_path / "no-kubeconfig", passphrase="e2e-only",
                         tools=pulumi_tools, no_kubelet=False)
    project.create(job_config(state), program=PROGRAM)
    try:
        up = project.up()
        assert up.returncode == 0, up.tail()
        first = outputs_of(project)
        assert first["state"] == "RUNNING" and flink_client.job(first["jobId"])["state"] == "RUNNING"
        job_output.wait_for_counts(3, job_id=first["jobId"])

        same = project.preview("--expect-no-changes")
        assert same.returncode == 0 and set(same.by_op()) == {"same"}, same.tail()

        state.update(jar=job_jars.v2, sha256=job_jars.sha256(job_jars.v2), args=job_output.args("v2"))
        project.write_config(job_config(state))
        up = project.up()
        assert up.returncode == 0, up.tail()
        assert up.summary()["resourceChanges"].get("update") == 1, up.tail()
        second = outputs_of(project)
        assert second["jobId"] != first["jobId"] and second["lastUpgrade"]["result"] == "upgraded"
        assert_state_continued(job_output, first["jobId"], second["jobId"])

        destroy = project.destroy()
        assert destroy.returncode == 0, destroy.tail()
        assert flink_client.job(second["jobId"])["state"] == "FINISHED"
    finally:
        project.remove()
