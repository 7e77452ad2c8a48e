"""Workloads without the operator: the plain session cluster's objects and REST-managed jobs (FlinkJob)."""

from __future__ import annotations

import copy

import pytest

from components.operator import upstream
from components.config.models import ConfigError
from components.config.rules import load_platform_config
from components.providers.flink_job import FlinkJobProvider
from components.workloads.rest import kubernetes_quantity
from components.workloads.render import CONTAINER_SECURITY_CONTEXT, POD_SECURITY_CONTEXT
from tests.conftest import stack_config
from planning import plan
from planning.mock_runtime import run_program

FLINK_JOB_TYPE = "pulumi-python:dynamic/flink:FlinkJob"


@pytest.fixture(scope="module")
def staging() -> plan.Plan:
    built = plan.build_plan("staging", stack_config("staging"))
    assert built.ok, plan.summary(built)
    return built


def test_plain_session_cluster_objects(staging: plan.Plan) -> None:
    objects = {(o.kind, o.name): o.obj for o in staging.objects if o.namespace == "analytics-staging"}
    jm = objects[("Deployment", "legacy-session-jobmanager")]
    tm = objects[("Deployment", "legacy-session-taskmanager")]
    svc = objects[("Service", "legacy-session-rest")]
    assert tm["spec"]["replicas"] == 2 and jm["spec"]["replicas"] == 1
    for d in (jm, tm):
        pod = d["spec"]["template"]["spec"]
        assert pod["securityContext"] == POD_SECURITY_CONTEXT
        (container,) = pod["containers"]
        assert container["securityContext"] == CONTAINER_SECURITY_CONTEXT
        props = dict(line.split(": ", 1) for line in container["env"][0]["value"].splitlines())
        assert props["jobmanager.rpc.address"] == "legacy-session-rest"
        assert props["taskmanager.numberOfTaskSlots"] == "2"
        assert props["execution.checkpointing.interval"] == "1 min"
        assert d["spec"]["selector"]["matchLabels"].items() <= d["spec"]["template"]["metadata"]["labels"].items()
    assert jm["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "1536Mi"
    assert {p["port"] for p in svc["spec"]["ports"]} == {upstream.JOBMANAGER_RPC_PORT, upstream.BLOB_PORT,
                                                         upstream.REST_PORT}
    assert svc["spec"]["selector"].items() <= jm["spec"]["template"]["metadata"]["labels"].items()
    assert not svc["spec"]["selector"].items() <= tm["spec"]["template"]["metadata"]["labels"].items()


def test_rest_job_runs_on_the_plain_cluster(staging: plan.Plan) -> None:
    (job,) = [r for r in staging.registrations if r.type == FLINK_JOB_TYPE]
    assert job.inputs["restUrl"] == "http://legacy-session-rest.analytics-staging.svc:8081"
    assert job.inputs["savepointDir"] == "s3://acme-flink-staging/state/analytics/analytics-staging/enrich-clicks/savepoints"
    assert job.inputs["upgradeMode"] == "savepoint" and job.inputs["parallelism"] == 2
    assert "bearerToken" not in job.inputs and "basicPassword" not in job.inputs  # credentials: stack config only
    # it waits for the cluster's objects (a component's depends_on expands to its children)
    cluster_objects = {r.urn for r in staging.registrations if r.type in (
        "kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service") and "FlinkPlainSessionCluster" in r.urn}
    assert cluster_objects and cluster_objects <= set(job.dependencies)


@pytest.mark.parametrize(
    ("changes", "path", "says"),
    [
        ({"cluster": "nope"}, "restJobs[0].cluster", "must name a cluster of platform.workloads.plainSessionClusters"),
        ({"restUrl": "https://jm.example:8081"}, "restJobs[0]", "set exactly one of cluster"),
        ({"jarSha256": "abc"}, "restJobs[0].jarSha256", "64 lowercase hex"),
        ({"jar": "ftp://x/y.jar"}, "restJobs[0].jar", "URL scheme 'ftp' is not allowed; use https or a local path"),
        ({"namespace": "payments-staging"}, "restJobs[0].namespace", "must be a namespace of tenant 'analytics'"),
    ],
)
def test_invalid_rest_jobs_are_refused_with_their_path(changes: dict, path: str, says: str) -> None:
    platform = copy.deepcopy(stack_config("staging")["flink-platform:platform"])
    platform["workloads"]["restJobs"][0].update(changes)
    with pytest.raises(ConfigError) as info:
        load_platform_config(platform)
    found = {p.path: p.allowed for p in info.value.problems}
    full = f"platform.workloads.{path}"
    assert full in found and says in found[full], found


def test_flink_memory_sizes_become_kubernetes_quantities() -> None:
    assert [kubernetes_quantity(m) for m in ("1536m", "2g", "2048 mb", "1 gb", "1073741824")] == [
        "1536Mi", "2Gi", "2Gi", "1Gi", "1Gi"]  # the canonical form the API server writes back


@pytest.mark.flink
def test_the_programs_rest_job_runs_on_a_real_cluster(flink_cluster, flink_client, job_jars, job_output) -> None:
    """The FlinkJob inputs the program registers, pointed at the local cluster, run the job there."""
    config = copy.deepcopy(stack_config("staging"))
    job = config["flink-platform:platform"]["workloads"]["restJobs"][0]
    job.update(cluster=None, restUrl=flink_cluster.rest_url, jar=str(job_jars.v1), jarSha256=job_jars.sha256(
        str(job_jars.v1)), entryClass=job_jars.entry_class, args=job_output.args("v1"), parallelism=1)
    del job["cluster"]
    tenant = next(t for t in config["flink-platform:platform"]["tenants"] if t["name"] == job["tenant"])
    tenant["restHosts"] = ["127.0.0.1"]  # the local cluster: a host outside the tenant's namespaces, named
    (record,) = [r for r in run_program("staging", config).registrations if r.type == FLINK_JOB_TYPE]
    inputs = {k: v for k, v in record.inputs.items() if v is not None}
    inputs["savepointDir"] = (job_output.dir.parent / "savepoints").as_uri()  # the local cluster has no s3
    provider = FlinkJobProvider()
    checked = provider.check({}, {**inputs, "timeouts": {"runningS": 60, "savepointS": 60, "checkpointS": 60}})
    assert checked.failures == []
    outs = provider.create(checked.inputs).outs
    assert outs["state"] == "RUNNING"
    assert flink_client.job(outs["jobId"])["state"] == "RUNNING"
