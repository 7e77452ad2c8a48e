"""The ``operator-*`` verdicts agree with the validator oracle (tests/policies/oracle/ValidatorOracle.java).

The oracle runs the operator's validation flow (DefaultValidator 1.15.0, followed method by method because the
operator jar is not on Maven Central) on the real Flink 1.20.1 / fabric8 7.3.1 / JDK / Quartz primitives the
validator calls: Flink's Configuration with its deprecated and fallback keys, MemorySize, the JobManager and
TaskManager memory derivation, HighAvailabilityMode, fabric8 Quantity, java.net.URI/URL/InetAddress, Quartz
calendars. Verdicts compared: accepted (no ``operator-*`` diagnostic / ``OK``) or rejected.

Compared on: every upstream example, every hand-written case of test_operator_rules, and generated single-field
mutations of valid resources (hypothesis, derandomized; counterexamples found are pinned with ``@example``).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from components.operator import validation as V
from tests.conftest import shared_path
from tests.policies import test_operator_rules as cases
from tests.policies.resources import BASES, DELETE, FBG, FD, FSJ, FSS, SESSION, mutate

EXAMPLES = sorted(shared_path("upstream", "examples").rglob("*.y*ml"))
SETTINGS = settings(derandomize=True, max_examples=300, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def operator_config(judge):
    return judge.only(*[n for n in judge.names if n.startswith("operator-")])


def pack_rejects(judge, obj, cluster=None) -> list[str]:
    """The operator-* diagnostics of ``obj`` (plus the session-job-with-cluster stack policy when a cluster is
    given)."""
    config = operator_config(judge)
    found = [f"{d.policy}: {d.message}" for d in judge.resource(obj, config)]
    if cluster is not None:
        found += [f"{d.policy}: {d.message}" for d in judge.stack([cluster, obj], config)
                  if d.policy == "operator-session-job-cluster"]
    return found


def assert_agree(judge, oracle, obj, cluster=None) -> None:
    pack = pack_rejects(judge, obj, cluster)
    java = oracle.verdict(obj["kind"], obj, cluster)
    assert bool(pack) == (java is not None), (
        f"pack {'rejects' if pack else 'accepts'}, validator {'rejects' if java else 'accepts'}\n"
        f"pack: {pack}\nvalidator: {java}\nresource: {obj}"
    )


@pytest.mark.parametrize("path", EXAMPLES, ids=[str(p.relative_to(shared_path("upstream", "examples"))) for p in EXAMPLES])
def test_upstream_examples(policy_judge, validator_oracle, path: Path) -> None:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d and d.get("apiVersion", "").startswith("flink.")]
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "FlinkDeployment"}
    for doc in docs:
        cluster = deployments.get(doc.get("spec", {}).get("deploymentName")) if doc["kind"] == "FlinkSessionJob" else None
        assert validator_oracle.verdict(doc["kind"], doc, cluster) is None, doc["metadata"]["name"]
        assert_agree(policy_judge, validator_oracle, doc, cluster)


FLINK_KINDS = ("FlinkDeployment", "FlinkSessionJob", "FlinkStateSnapshot", "FlinkBlueGreenDeployment")


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_committed_stack_workloads(policy_judge, validator_oracle, committed_plans, stack) -> None:
    """Every Flink resource a committed stack renders gets the same verdict from the pack and the validator."""
    from planning import policy_gate as policy_check

    resources = policy_check.load_resources(committed_plans[stack] / "resources.json")
    assert resources, f"the {stack} plan has no resources"
    # The custom resources themselves (the workload components' type tokens end with the same kind names).
    objs = [r["inputs"] for r in resources
            if r["type"].startswith("kubernetes:flink.apache.org/") and r["type"].rsplit(":", 1)[-1] in FLINK_KINDS]
    assert objs or stack not in ("dev", "prod"), f"the {stack} stack renders Flink workloads"
    deployments = {(o["metadata"].get("namespace"), o["metadata"]["name"]): o for o in objs
                   if o["kind"] == "FlinkDeployment"}
    for obj in objs:
        cluster = None
        if obj["kind"] == "FlinkSessionJob":
            cluster = deployments.get((obj["metadata"].get("namespace"), obj["spec"].get("deploymentName")))
        assert_agree(policy_judge, validator_oracle, obj, cluster)


def _case_ids(rows):
    return [r[0] for r in rows]


@pytest.mark.parametrize("case_id,base,changes,policy,path", cases.VIOLATIONS, ids=_case_ids(cases.VIOLATIONS))
def test_hand_written_violations_are_rejected_by_the_validator(validator_oracle, case_id, base, changes, policy, path):
    obj = mutate(BASES[base], *changes)
    assert validator_oracle.verdict(obj["kind"], obj) is not None


@pytest.mark.parametrize("case_id,base,changes", cases.PASSES, ids=_case_ids(cases.PASSES))
def test_hand_written_passes_are_accepted_by_the_validator(validator_oracle, case_id, base, changes):
    obj = mutate(BASES[base], *changes)
    assert validator_oracle.verdict(obj["kind"], obj) is None


# --- generated single-field mutations --------------------------------------------------------------------------

NAMES = st.text(alphabet="ab-Z0_.9", min_size=0, max_size=50)
VERSIONS = st.sampled_from([*V.FLINK_VERSIONS, "v9_9", "1.20", DELETE])
MEMORY = st.one_of(
    st.builds(lambda n, frac, sp, unit: f"{n}{frac}{sp}{unit}",
              st.integers(0, 4096), st.sampled_from(["", ".0", ".5"]), st.sampled_from(["", " "]),
              st.sampled_from(["", "b", "k", "kb", "m", "mb", "g", "gb", "t", "Ki", "Mi", "Gi", "Ti", "K", "M", "G",
                               "MiB", "GB", "gigabytes", "mebibytes", "x", "n", "E", "Ei", "Pi"])),
    st.sampled_from(["", " ", "lots", "-1Gi", "+2Gi", "2e3", "2e16", "9Pi", "0x10", DELETE]),
)
QUANTITY = st.one_of(
    st.builds(lambda n, unit: f"{n}{unit}", st.integers(0, 999),
              st.sampled_from(["", "Ki", "Mi", "Gi", "k", "M", "G", "m", "Gx", "gi", "e3", "E2"])),
    st.sampled_from(["", "abc", "1.5Gi", "-1", DELETE]),
)
COUNTS = st.one_of(st.integers(-2, 3), st.just(DELETE))
CONF_KEYS = [
    *V.FORBIDDEN_CONFIG_KEYS, "kubernetes.namespaces",
    *V.CHECKPOINTS_DIR.keys, *V.SAVEPOINT_DIR.keys, *V.HA_TYPE.keys, V.ROLLBACK_ENABLED.key,
    V.HEALTH_CHECK_ENABLED.key, V.JM_DEPLOYMENT_RECOVERY_ENABLED.key, V.PERIODIC_SAVEPOINT_INTERVAL.key,
    V.CHECKPOINT_MAX_AGE.key, *V.AUTOSCALER_ENABLED.keys, *V.AUTOSCALER_UTILIZATION_TARGET.keys,
    *(k for r in V.AUTOSCALER_RANGES for k in r.option.keys), *V.AUTOSCALER_EXCLUDED_PERIODS.keys,
]
CONF_VALUES = st.sampled_from(["true", "false", "TRUE", "NONE", "none", "kubernetes", "zookeeper", "", " ",
                               "s3://bucket/x", "10m", "1 h", "0", "0.5", "0.7", "1", "1.5", "-1", "0.01",
                               "9:00-10:00", "10:00-9:00", "* * 9-11 * * ?", "9:00-10:00 && * * * ? * 2-6", "bogus",
                               DELETE])
ENABLED_AUTOSCALER = (("spec", "flinkConfiguration", V.AUTOSCALER_ENABLED.key), "true")
HOSTS = ["repo1.maven.org", "8.8.8.8", "127.0.0.1", "10.1.2.3", "172.16.0.1", "172.32.0.1", "192.168.1.1",
         "169.254.169.254", "0.0.0.0", "224.0.0.1", "localhost", "[::1]", "[fe80::1]", "[2001:db8::1]", ""]
JAR_URIS = st.one_of(
    st.builds(lambda scheme, host, port: f"{scheme}://{host}{port}/job.jar",
              st.sampled_from(["https", "HTTPS", "http", "s3", "local", "file", "hdfs"]), st.sampled_from(HOSTS),
              st.sampled_from(["", ":8443", ":x"])),
    st.sampled_from(["job.jar", "/opt/job.jar", "https://repo.example.com/my job.jar", "https:job.jar",
                     "local:///opt/flink/job.jar", "", DELETE]),
)


def deployment_mutations(prefix: tuple[str, ...]):
    spec = (*prefix, "spec") if prefix else ("spec",)
    conf = (*spec, "flinkConfiguration")
    return st.one_of(
        st.tuples(st.just((*prefix, "metadata", "name") if prefix else ("metadata", "name")), NAMES),
        st.tuples(st.just((*spec, "flinkVersion")), VERSIONS),
        st.tuples(st.sampled_from(CONF_KEYS).map(lambda k: (*conf, k)), CONF_VALUES),
        st.tuples(st.sampled_from([(*spec, "jobManager", "resource", "memory"),
                                   (*spec, "taskManager", "resource", "memory")]), MEMORY),
        st.tuples(st.sampled_from([(*spec, "jobManager", "resource", "ephemeralStorage"),
                                   (*spec, "taskManager", "resource", "ephemeralStorage")]), QUANTITY),
        st.tuples(st.sampled_from([(*spec, "jobManager", "replicas"), (*spec, "taskManager", "replicas"),
                                   (*spec, "job", "parallelism")]), COUNTS),
        st.tuples(st.just((*spec, "job", "upgradeMode")), st.sampled_from([*V.UPGRADE_MODES, DELETE])),
        st.tuples(st.just((*spec, "job", "savepointTriggerNonce")), st.sampled_from([1, DELETE])),
        st.tuples(st.just((*spec, "serviceAccount")), st.sampled_from(["flink", "", DELETE])),
        st.tuples(st.just((*spec, "ingress")), st.sampled_from([
            {}, {"template": "{{name}}.{{namespace}}.example.com"}, {"template": "https://x.example.com/{{name}}"},
            {"template": "example.com:http"}, {"template": "ftp://example.com"}, {"template": ""}, DELETE])),
        st.tuples(st.just((*spec, "logConfiguration")), st.sampled_from([
            {"log4j-console.properties": "x"}, {"logback-console.xml": "x"}, {"log4j.properties": "x"}, {}, DELETE])),
        st.tuples(st.sampled_from([(*spec, "job"), (*spec, "jobManager"), (*spec, "taskManager")]),
                  st.just(DELETE)),
    )


def _apply(base, change, *extra):
    path, value = change
    # Autoscaler keys only matter when the autoscaler is on: half of those mutations switch it on.
    return mutate(base, *extra, (path, value))


@SETTINGS
@given(change=deployment_mutations(()), autoscaler=st.booleans())
@example(change=(("spec", "taskManager", "resource", "memory"), "1.5Gi"), autoscaler=False)
@example(change=(("spec", "jobManager", "resource", "memory"), "1Ei"), autoscaler=False)
@example(change=(("spec", "jobManager", "resource", "memory"), "9Pi"), autoscaler=False)
@example(change=(("spec", "jobManager", "resource", "memory"), "2e16"), autoscaler=False)
@example(change=(("spec", "flinkConfiguration", "job.autoscaler.excluded.periods"), "10:00-9:00"), autoscaler=True)
@example(change=(("spec", "flinkConfiguration", "job.autoscaler.enabled"), "NONE"), autoscaler=False)
@example(change=(("metadata", "name"), ""), autoscaler=False)
def test_flink_deployment_mutations_agree(policy_judge, validator_oracle, change, autoscaler) -> None:
    extra = [ENABLED_AUTOSCALER] if autoscaler else []
    assert_agree(policy_judge, validator_oracle, _apply(FD, change, *extra))


@SETTINGS
@given(change=deployment_mutations(()))
@example(change=(("spec", "flinkConfiguration", "kubernetes.operator.deployment.rollback.enabled"), "NONE"))
def test_session_cluster_mutations_agree(policy_judge, validator_oracle, change) -> None:
    assert_agree(policy_judge, validator_oracle, _apply(SESSION, change))


@SETTINGS
@given(change=deployment_mutations(("spec", "template")).filter(lambda c: c[0][:3] != ("spec", "template", "metadata")))
def test_bluegreen_mutations_agree(policy_judge, validator_oracle, change) -> None:
    assert_agree(policy_judge, validator_oracle, _apply(FBG, change))


SESSION_JOB_CHANGES = st.one_of(
    st.tuples(st.just(("spec", "deploymentName")), st.one_of(NAMES, st.just(DELETE))),
    st.tuples(st.just(("spec", "job", "jarURI")), JAR_URIS),
    st.tuples(st.just(("spec", "job", "parallelism")), COUNTS),
    st.tuples(st.just(("spec", "job", "upgradeMode")), st.sampled_from([*V.UPGRADE_MODES, DELETE])),
    st.tuples(st.just(("spec", "job", "savepointTriggerNonce")), st.sampled_from([1, DELETE])),
    st.tuples(st.just(("spec", "job")), st.just(DELETE)),
    st.tuples(st.sampled_from(CONF_KEYS).map(lambda k: ("spec", "flinkConfiguration", k)), CONF_VALUES),
)


@SETTINGS
@given(change=SESSION_JOB_CHANGES)
@example(change=(("spec", "job", "jarURI"), "https://[fe80::1]/job.jar"))
@example(change=(("spec", "job", "jarURI"), "https://repo1.maven.org:x/job.jar"))
def test_session_job_mutations_agree(policy_judge, validator_oracle, change) -> None:
    assert_agree(policy_judge, validator_oracle, _apply(FSJ, change))


@SETTINGS
@given(change=SESSION_JOB_CHANGES, cluster_change=st.one_of(
    st.none(),
    st.tuples(st.sampled_from(CONF_KEYS).map(lambda k: ("spec", "flinkConfiguration", k)), CONF_VALUES),
    st.tuples(st.just(("spec", "job")), st.just({"jarURI": "local:///x.jar", "parallelism": 1}))))
def test_session_job_with_cluster_mutations_agree(policy_judge, validator_oracle, change, cluster_change) -> None:
    cluster = SESSION if cluster_change is None else mutate(SESSION, cluster_change)
    job = _apply(FSJ, change)
    if job["spec"].get("deploymentName") != "session":
        return  # the pack finds the cluster by name, as the operator does; a renamed target is another cluster
    assert_agree(policy_judge, validator_oracle, job, cluster)


@SETTINGS
@given(change=st.one_of(
    st.tuples(st.just(("spec", "savepoint")), st.sampled_from([
        {"path": "s3://b/sp", "alreadyExists": True}, {"path": "s3://b/sp", "alreadyExists": False}, {}, DELETE])),
    st.tuples(st.just(("spec", "checkpoint")), st.sampled_from([{}, DELETE])),
    st.tuples(st.just(("spec", "jobReference")), st.sampled_from([{"kind": "FlinkDeployment", "name": "x"}, DELETE])),
))
def test_snapshot_mutations_agree(policy_judge, validator_oracle, change) -> None:
    assert_agree(policy_judge, validator_oracle, _apply(FSS, change))


MEMORY_CONFIG = st.tuples(
    st.sampled_from([("jobManager", keys) for keys in V.JM_MEMORY_KEYS] + [("taskManager", keys) for keys in V.TM_MEMORY_KEYS]),
    st.sampled_from(["1g", "2048m", "1600m", "4 gb", "1024mb", "lots", "", "1.5g", "500m", "300m", "700m", "64m"]),
)


@SETTINGS
@given(memory=MEMORY_CONFIG)
def test_memory_derived_from_config_agrees(policy_judge, validator_oracle, memory) -> None:
    """With ``resource.memory`` unset, Flink derives the process memory from its own keys (realistic sizes)."""
    (role, keys), value = memory
    changes = [(("spec", role, "resource", "memory"), DELETE)]
    changes += [(("spec", "flinkConfiguration", key), value) for key in keys]
    assert_agree(policy_judge, validator_oracle, mutate(FD, *changes))
