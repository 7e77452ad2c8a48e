"""Flink workloads: rendering with platform defaults, the rules that refuse bad configs, secrets by reference, the
savepoint gate in the resource graph, the deploy-time await, and upstream's own examples expressed as stack config."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.workloads import impact
from components.operator import upstream
from components.config.models import ConfigError
from components.config.rules import load_platform_config
from components.config.stack import load_stack_config
from components.workloads.config import SECRETS_CONFIG_KEY
from components.workloads.render import (
    CONTAINER_SECURITY_CONTEXT,
    POD_SECURITY_CONTEXT,
    TIMEOUT_ANNOTATION,
    WAIT_FOR_ANNOTATION,
    effective_configuration,
    flatten,
    render,
)
from components.config import tenancy
from components.providers import secret_config
from tests.conftest import shared_path, stack_config
from planning import plan
from planning.mock_runtime import SECRET, run_program

CR_PREFIX = f"kubernetes:{upstream.FLINK_API_VERSION}:"
GATE_TYPE = "pulumi-python:dynamic/flink:SavepointGate"


def _platform(stack: str = "dev") -> dict:
    return copy.deepcopy(stack_config(stack)["flink-platform:platform"])


def _problems(platform: dict) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        load_platform_config(platform)
    out: dict[str, str] = {}
    for p in info.value.problems:
        out[p.path] = (out[p.path] + " || " if p.path in out else "") + f"{p.found}: {p.allowed}"
    return out


def _rendered(stack: str = "dev"):
    config = load_platform_config(_platform(stack))
    return {r.key: r for r in render(config.workloads, config.environment)}


# --- defaults -----------------------------------------------------------------------------------------------------


def test_platform_defaults_are_applied_per_tenant_and_workload() -> None:
    r = _rendered("dev")["FlinkDeployment/streaming-dev/clickstream"]
    conf = r.spec["flinkConfiguration"]
    base = "s3://acme-flink-dev/state/streaming/streaming-dev/clickstream"
    assert conf[upstream.CHECKPOINT_DIR_KEY] == f"{base}/checkpoints"
    assert conf[upstream.SAVEPOINT_DIR_KEY] == f"{base}/savepoints"
    # savepoint upgrades are stateful: Kubernetes HA with a storage dir, periodic savepoints with bounded history.
    assert conf[upstream.HA_TYPE_KEY] == "kubernetes" and conf[upstream.HA_STORAGE_DIR_KEY] == f"{base}/ha"
    assert conf[upstream.PERIODIC_SAVEPOINT_INTERVAL_KEY] == "6h"
    assert conf[upstream.SAVEPOINT_HISTORY_MAX_COUNT_KEY] == "5"
    assert conf[upstream.SAVEPOINT_DISPOSE_ON_DELETE_KEY] == "true"
    assert conf["restart-strategy.type"] == "exponential-delay"
    assert conf["metrics.reporter.prom.port"] == str(upstream.PROMETHEUS_PORT)
    assert conf["taskmanager.numberOfTaskSlots"] == "2"  # the team's own setting is kept
    assert r.spec["serviceAccount"] == upstream.JOB_SERVICE_ACCOUNT
    pod = r.spec["podTemplate"]["spec"]
    assert pod["securityContext"] == POD_SECURITY_CONTEXT
    (main,) = pod["containers"]
    assert main["name"] == upstream.MAIN_CONTAINER and main["securityContext"] == CONTAINER_SECURITY_CONTEXT
    assert r.labels["flink-platform.io/tenant"] == "streaming" and r.labels["flink-platform.io/team"] == "web-analytics"
    assert r.labels["app.kubernetes.io/name"] == "clickstream"
    assert r.spec["podTemplate"]["metadata"]["labels"] == r.labels


def test_stateless_jobs_get_no_ha_and_no_periodic_savepoints() -> None:
    r = _rendered("dev")["FlinkSessionJob/streaming-dev/top-speed"]
    conf = r.spec["flinkConfiguration"]
    assert upstream.HA_TYPE_KEY not in conf and upstream.PERIODIC_SAVEPOINT_INTERVAL_KEY not in conf
    assert not r.stateful


def test_an_override_is_refused_unless_the_stack_allows_it() -> None:
    platform = _platform("dev")
    app = platform["workloads"]["applications"][0]
    app["restartStrategy"] = {"type": "fixed-delay", "attempts": 3, "delay": "10 s"}
    problems = _problems(platform)
    assert list(problems) == ["platform.workloads.applications[0].restartStrategy"]
    assert "does not let workloads override restartStrategy" in problems[
        "platform.workloads.applications[0].restartStrategy"]
    platform["workloads"]["defaults"]["teamOverrides"].append("restartStrategy")
    config = load_platform_config(platform)
    (r,) = [x for x in render(config.workloads, "dev") if x.name == "clickstream"]
    conf = r.spec["flinkConfiguration"]
    assert conf["restart-strategy.type"] == "fixed-delay" and conf["restart-strategy.fixed-delay.attempts"] == "3"
    assert "restart-strategy.exponential-delay.initial-backoff" not in conf


def test_allowed_overrides_replace_the_default() -> None:
    platform = _platform("dev")
    platform["workloads"]["applications"][0]["periodicSavepoints"] = {"interval": "30 min", "historyMaxCount": 3}
    config = load_platform_config(platform)
    conf = render(config.workloads, "dev")[0].spec["flinkConfiguration"]
    assert conf[upstream.PERIODIC_SAVEPOINT_INTERVAL_KEY] == "30 min"
    assert conf[upstream.SAVEPOINT_HISTORY_MAX_COUNT_KEY] == "3"


@pytest.mark.parametrize("key", ["state.savepoints.dir", "execution.checkpointing.dir", "high-availability.type",
                                 "restart-strategy.type", "job.autoscaler.enabled"])
def test_platform_managed_keys_are_refused_in_flink_configuration(key: str) -> None:
    platform = _platform("dev")
    platform["workloads"]["applications"][0]["flinkConfiguration"][key] = "x"
    problems = _problems(platform)
    path = f"platform.workloads.applications[0].flinkConfiguration[{key!r}]"
    assert list(problems) == [path] and "set it through the typed field" in problems[path]


# --- invalid workload configs are refused with their path ---------------------------------------------------------


def _set(platform: dict, section: str, index: int, **changes: Any) -> dict:
    platform["workloads"][section][index].update(changes)
    return platform


@pytest.mark.parametrize(
    ("section", "changes", "path", "says"),
    [
        ("applications", {"tenant": "nobody"}, "applications[0].tenant", "must be a tenant of platform.tenants: streaming"),
        ("applications", {"namespace": "other-ns"}, "applications[0].namespace",
         "must be a namespace of tenant 'streaming': streaming-dev"),
        ("applications", {"flinkVersion": "v1_14"}, "applications[0].flinkVersion", "operator 1.15.0 supports v1_15"),
        ("applications", {"flinkVersion": "v3_0"}, "applications[0].flinkVersion", "must be an operator FlinkVersion"),
        ("applications", {"image": "flink:latest"}, "applications[0].image", "uses the tag 'latest'"),
        ("applications", {"image": "flink"}, "applications[0].image", "has no tag"),
        ("applications", {"name": "Click_Stream"}, "applications[0].name", "must be a FlinkDeployment name"),
        ("sessionJobs", {"deploymentName": "clickstream"}, "sessionJobs[0].deploymentName",
         "is an application cluster (platform.workloads.applications[0])"),
        ("sessionJobs", {"deploymentName": "nothere"}, "sessionJobs[0].deploymentName",
         "must name a session cluster of platform.workloads.sessionClusters in namespace 'streaming-dev': adhoc"),
        ("sessionJobs", {"job": {"jarURI": "s3://bucket/job.jar", "parallelism": 1}}, "sessionJobs[0].job.jarURI",
         "the operator accepts session-job jars with scheme https"),
        ("sessionJobs", {"job": {"jarURI": "https://x.example/job.jar"}}, "sessionJobs[0].job.parallelism",
         "this key is required"),
        ("applications", {"flinkConfiguration": {"kubernetes.cluster-id": "x"}},
         "applications[0].flinkConfiguration['kubernetes.cluster-id']", "Forbidden Flink config key"),
        ("applications", {"logConfiguration": {"log4j.properties": "x"}}, "applications[0].logConfiguration",
         "log4j-console.properties"),
        ("applications", {"autoscaler": {"enabled": True, "utilizationTarget": 1.5}},
         "applications[0].autoscaler.utilizationTarget", "less than or equal to 1"),
        ("applications", {"autoscaler": {"enabled": True, "utilizationTarget": 0.6, "utilizationMax": 0.5}},
         "applications[0].autoscaler", "within [utilizationTarget, 1]"),
    ],
)
def test_invalid_workloads_are_refused_with_their_path(section: str, changes: dict, path: str, says: str) -> None:
    problems = _problems(_set(_platform("dev"), section, 0, **changes))
    full = f"platform.workloads.{path}"
    matching = [p for p in problems if p.startswith(full)]
    assert matching, problems
    assert any(says in problems[p] for p in matching), problems


def test_savepoint_upgrade_without_directories_is_refused() -> None:
    platform = _platform("dev")
    del platform["workloads"]["defaults"]["storage"]
    problems = _problems(platform)
    path = "platform.workloads.applications[0].job.upgradeMode"
    assert "need a checkpoint directory" in problems[path]
    assert "savepoint upgrades need a savepoint directory" in problems[path]
    assert "Kubernetes HA without a storage dir" in problems["platform.workloads.applications[0].highAvailability"]


def test_last_state_needs_ha_and_standby_jobmanagers_need_ha() -> None:
    platform = _platform("dev")
    platform["workloads"]["defaults"]["highAvailability"] = "never"
    app = platform["workloads"]["applications"][0]
    app["job"]["upgradeMode"] = "last-state"
    app["jobManager"]["replicas"] = 2
    problems = _problems(platform)
    assert "last-state upgrades restore from HA metadata" in problems["platform.workloads.applications[0].job.upgradeMode"]
    assert "needs high availability" in problems["platform.workloads.applications[0].jobManager.replicas"]


def test_flink_versions_missing_from_the_crd_are_refused_when_the_enum_is_not_patched() -> None:
    platform = _platform("dev")
    platform["operator"]["crds"] = {"patchFlinkVersionEnum": False}
    platform["workloads"]["applications"][0]["flinkVersion"] = "v2_3"
    problems = _problems(platform)
    assert "patchFlinkVersionEnum is false" in problems["platform.workloads.applications[0].flinkVersion"]


def test_plaintext_secret_values_are_refused() -> None:
    """A value written into the stack file without --secret (not ciphertext, not marked secret by the engine)."""
    config = stack_config("dev")
    config[SECRETS_CONFIG_KEY] = {"clickstream-kafka-password": "hunter2"}
    with pytest.raises(ConfigError) as info:
        load_stack_config(config)
    (problem,) = info.value.problems
    assert problem.path == SECRETS_CONFIG_KEY and problem.found == "plaintext values"
    assert "hunter2" not in str(info.value)
    assert "pulumi config set --secret --path 'workloadSecrets.<name>'" in problem.allowed


def test_a_secret_that_is_not_defined_is_refused() -> None:
    config = stack_config("dev")
    del config[SECRETS_CONFIG_KEY]
    with pytest.raises(ConfigError) as info:
        load_stack_config(config)
    (problem,) = info.value.problems
    assert problem.path == "platform.workloads.applications[0].secretEnv[0].secret"
    assert "pulumi config set --secret --path 'workloadSecrets.clickstream-kafka-password'" in problem.allowed


# --- secrets by reference -------------------------------------------------------------------------------------------


SECRET_VALUES = {
    "payments-kafka-password": "kafka-pw-7c1e93d0-plaintext",
    "payments-s3-secret-key": "s3-key-0b8f2a44-plaintext",
    "fraud-model-registry-token": "token-55d1e0a9-plaintext",
    "analytics-kafka-password": "kafka-pw-a93b11e2-plaintext",
}


def test_secret_values_never_reach_any_planned_output(tmp_path: Path) -> None:
    config = stack_config("prod")
    config[SECRETS_CONFIG_KEY] = dict(SECRET_VALUES)  # decrypted, as the engine hands them to the program
    built = plan.build_plan("prod", config, secret_keys=[SECRETS_CONFIG_KEY])
    assert built.ok, plan.summary(built)
    out = tmp_path / "plan"
    plan.write_plan(built, out)
    texts = {p.name: p.read_text() for p in out.iterdir()}
    texts["summary"] = plan.summary(built)
    texts["records"] = json.dumps([r.to_json() for r in built.registrations])
    assert set(texts) >= {*plan.PLAN_FILES}
    for name, text in texts.items():
        for value in SECRET_VALUES.values():
            assert value not in text, f"{name} holds a secret value"
    docs = [d for d in yaml.safe_load_all(texts["manifests.yaml"]) if d]
    secrets = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Secret"}
    assert secrets["payments-ledger-env"]["stringData"] == {"payments-kafka-password": SECRET,
                                                           "payments-s3-secret-key": SECRET}
    ledger = next(d for d in docs if d["kind"] == "FlinkDeployment" and d["metadata"]["name"] == "payments-ledger")
    env = ledger["spec"]["podTemplate"]["spec"]["containers"][0]["env"]
    assert {"name": "KAFKA_SASL_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "payments-ledger-env", "key": "payments-kafka-password"}}} in env
    assert SECRET not in json.dumps(ledger)  # nothing secret inside the custom resource at all


def test_the_secret_resource_holds_the_values_as_pulumi_secrets(pulumi_runtime) -> None:
    """Under the mock runtime the values arrive wrapped in Pulumi's secret signature, so state encrypts them."""
    import pulumi
    import pulumi_kubernetes as k8s

    from components.workloads.component import FlinkWorkloads, WorkloadsArgs

    platform = load_platform_config(_platform("prod"))
    seen: dict[str, Any] = {}

    @pulumi.runtime.test
    def build():
        w = FlinkWorkloads("w", WorkloadsArgs(workloads=platform.workloads, environment="prod",
                                               secrets=pulumi.Output.secret(dict(SECRET_VALUES)),
                                               impact_preview=False))
        secret: k8s.core.v1.Secret = w.workloads["FlinkDeployment/payments-prod/payments-ledger"].secret
        return pulumi.Output.all(secret.string_data, pulumi.Output.from_input(secret.string_data).is_secret()).apply(
            lambda v: seen.update(data=v[0], secret=v[1]))

    build()
    assert seen["secret"] is True
    assert seen["data"]["payments-kafka-password"] == SECRET_VALUES["payments-kafka-password"]
    record = next(r for r in pulumi_runtime.registrations if r.type == "kubernetes:core/v1:Secret"
                  and r.inputs["metadata"]["name"] == "payments-ledger-env")
    assert record.inputs["stringData"] == {"payments-kafka-password": SECRET, "payments-s3-secret-key": SECRET}
    assert not any(v in json.dumps(record.to_json()) for v in SECRET_VALUES.values())


# --- the savepoint gate and the await annotations -------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_stateful_workload_has_a_gate_in_front(stack: str) -> None:
    monitor = run_program(stack, stack_config(stack))
    crs = [r for r in monitor.registrations if r.type.startswith(CR_PREFIX)]
    gates = {r.urn: r for r in monitor.registrations if r.type == GATE_TYPE}
    rendered = {(r.namespace, r.name): r for r in _rendered(stack).values()}
    stateful = 0
    for cr in crs:
        meta = cr.inputs["metadata"]
        r = rendered[(meta["namespace"], meta["name"])]
        in_front = [gates[d] for d in cr.dependencies if d in gates]
        if not r.stateful:
            assert in_front == [], f"{meta['name']} is stateless and needs no gate"
            continue
        stateful += 1
        (gate,) = in_front
        assert gate.parent == cr.parent  # same workload component
        assert gate.inputs["specHash"] == impact.restart_fingerprint(
            {"kind": r.kind, "name": r.name, "spec": cr.inputs["spec"]})
        assert gate.inputs["restUrl"] == f"http://{r.cluster}-rest.{r.namespace}.svc:8081"
        assert gate.inputs["savepointDir"] == r.spec.get("flinkConfiguration", {})[upstream.SAVEPOINT_DIR_KEY]
    assert stateful >= (1 if stack == "dev" else 5)
    assert len(gates) == stateful


def test_gate_rest_url_override_and_opt_out() -> None:
    config = stack_config("dev")
    app = config["flink-platform:platform"]["workloads"]["applications"][0]
    app["gate"] = {"restUrl": "http://127.0.0.1:18081"}
    tenant = next(t for t in config["flink-platform:platform"]["tenants"] if t["name"] == app["tenant"])
    tenant["restHosts"] = ["127.0.0.1"]  # a host outside the tenant's namespaces is named for the credentials to go to
    monitor = run_program("dev", config)
    (gate,) = [r for r in monitor.registrations if r.type == GATE_TYPE]
    assert gate.inputs["restUrl"] == "http://127.0.0.1:18081"
    app["gate"] = {"enabled": False}
    assert not [r for r in run_program("dev", config).registrations if r.type == GATE_TYPE]


def test_the_gate_fingerprint_ignores_what_the_operator_ignores() -> None:
    base = _rendered("dev")["FlinkDeployment/streaming-dev/clickstream"]
    rec = {"kind": base.kind, "name": base.name, "spec": base.spec}
    ignored = copy.deepcopy(rec)
    ignored["spec"]["job"].update(upgradeMode="last-state", allowNonRestoredState=True, savepointTriggerNonce=7)
    assert impact.restart_fingerprint(ignored) == impact.restart_fingerprint(rec)
    changed = copy.deepcopy(rec)
    changed["spec"]["job"]["parallelism"] = 3
    assert impact.restart_fingerprint(changed) != impact.restart_fingerprint(rec)


def _crd(kind: str) -> dict:
    pin = next(p for p in upstream.CRD_PINS["1.15.0"] if p.kind == kind)
    body = yaml.safe_load(shared_path("upstream", "crds", "1.15.0", pin.filename).read_text())
    return next(v for v in body["spec"]["versions"] if v.get("storage"))["schema"]["openAPIV3Schema"]


def _status_field(schema: dict, path: str) -> dict:
    node = schema
    for part in path.strip(".").split("."):
        node = node["properties"][part]
    return node


@pytest.mark.parametrize("condition", sorted(upstream.AWAIT_CONDITIONS))
def test_await_paths_exist_in_the_crd_status_schema(condition: str) -> None:
    kinds = {"application": ["FlinkDeployment"], "suspended": ["FlinkDeployment", "FlinkSessionJob"],
             "session-cluster": ["FlinkDeployment"], "session-job": ["FlinkSessionJob"],
             "blue-green": ["FlinkBlueGreenDeployment"]}[condition]
    for kind in kinds:
        for path, value in upstream.AWAIT_CONDITIONS[condition]:
            assert path.startswith(".status.")
            field = _status_field(_crd(kind), path)
            assert value in field["enum"], f"{kind} {path}: {value} not in {field['enum']}"


def test_every_custom_resource_carries_the_await_annotations() -> None:
    for stack in ("dev", "prod"):
        timeout = str(_platform(stack)["workloads"]["defaults"].get("awaitTimeoutSeconds", 600))
        for r in _rendered(stack).values():
            conditions = json.loads(r.annotations[WAIT_FOR_ANNOTATION])
            assert conditions and all(c.startswith("jsonpath={.status.") for c in conditions)
            assert r.annotations[TIMEOUT_ANNOTATION] == timeout


# --- session clusters: autoClean ------------------------------------------------------------------------------------


def test_auto_clean_gives_a_fresh_cluster_per_configuration_and_moves_its_jobs() -> None:
    platform = _platform("dev")
    first = _by_kind(platform)
    platform["workloads"]["sessionClusters"][0]["flinkConfiguration"]["taskmanager.numberOfTaskSlots"] = 8
    second = _by_kind(platform)
    c1, c2 = first["FlinkDeployment/streaming-dev/adhoc"], second["FlinkDeployment/streaming-dev/adhoc"]
    assert c1.name.startswith("adhoc-") and c2.name.startswith("adhoc-") and c1.name != c2.name
    assert second["FlinkSessionJob/streaming-dev/top-speed"].spec["deploymentName"] == c2.name
    from components.workloads.component import record

    verdict = impact.classify("FlinkDeployment/streaming-dev/adhoc", record(c1), record(c2))
    assert verdict.action == impact.CLEAN_REDEPLOY and "no stale job is recovered" in verdict.reasons[0]
    job = impact.classify("x", record(first["FlinkSessionJob/streaming-dev/top-speed"]),
                          record(second["FlinkSessionJob/streaming-dev/top-speed"]))
    assert job.action == impact.REPLACE and "fresh session cluster" in job.reasons[0]


def _by_kind(platform: dict):
    from components.workloads.component import workload_key

    config = load_platform_config(platform)
    return {workload_key(r): r for r in render(config.workloads, "dev")}


def test_session_jobs_on_a_moved_cluster_are_replaced_not_updated() -> None:
    monitor = run_program("dev", stack_config("dev"))
    (job,) = [r for r in monitor.registrations if r.type == CR_PREFIX + "FlinkSessionJob"]
    assert job.options["replaceOnChanges"] == ["spec.deploymentName"] and job.options["deleteBeforeReplace"]


# --- upstream's examples as stack config ------------------------------------------------------------------------------


EXAMPLES = shared_path("upstream", "examples")
#: Typed fields the example's platform-managed flinkConfiguration keys become.
MANAGED = {
    "execution.checkpointing.dir": ("state", "checkpointDir"),
    "execution.checkpointing.savepoint-dir": ("state", "savepointDir"),
}


def _example_docs() -> list[tuple[str, dict]]:
    out = []
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") in ("FlinkDeployment", "FlinkSessionJob") and doc.get("spec"):
                out.append((str(path.relative_to(EXAMPLES)), doc))
    return out


def _camel(key: str) -> str:
    head, *rest = key.replace("-", ".").split(".")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _as_workload(doc: dict) -> tuple[str, dict]:
    """An upstream example written as a workload of the stack config (typed fields for managed keys)."""
    spec = copy.deepcopy(doc["spec"])
    w: dict[str, Any] = {"name": doc["metadata"]["name"], "tenant": "examples", "namespace": "examples"}
    config = flatten(spec.pop("flinkConfiguration", {}) or {})
    for key, value in list(config.items()):
        canon = effective_configuration({key: value})
        (ckey,) = canon
        if ckey in MANAGED:
            group, field = MANAGED[ckey]
            w.setdefault(group, {})[field] = value
            del config[key]
        elif ckey == upstream.HA_TYPE_KEY:
            w.setdefault("highAvailability", {})["enabled"] = value not in upstream.HA_OFF_VALUES
            del config[key]
        elif ckey == upstream.HA_STORAGE_DIR_KEY:
            w.setdefault("highAvailability", {})["storageDir"] = value
            del config[key]
        elif ckey.startswith(upstream.AUTOSCALER_PREFIX + "."):
            w.setdefault("autoscaler", {})[_camel(ckey.removeprefix(upstream.AUTOSCALER_PREFIX + "."))] = value
            del config[key]
    if config:
        w["flinkConfiguration"] = config
    if doc["kind"] == "FlinkSessionJob":
        w.update(deploymentName=spec.pop("deploymentName"), job=spec.pop("job"))
        return "sessionJobs", w
    spec.pop("serviceAccount")
    for key in ("image", "flinkVersion", "jobManager", "taskManager", "job", "mode", "ingress", "logConfiguration",
                "podTemplate", "imagePullPolicy"):
        if key in spec:
            w[key] = spec.pop(key)
    assert spec == {}, f"the model has no place for {sorted(spec)}"
    return ("applications" if "job" in w else "sessionClusters"), w


def _example_stack(examples: list[tuple[str, dict]]) -> dict:
    workloads: dict[str, list] = {"applications": [], "sessionClusters": [], "sessionJobs": []}
    for _, doc in examples:
        section, w = _as_workload(doc)
        workloads[section].append(w)
    return {
        "environment": "examples",
        "cluster": {"identifier": "examples", "kubernetesVersion": "1.33"},
        "operator": {"version": "1.15.0"},
        "tenants": [{"name": "examples", "namespaces": ["examples"], "podSecurity": "baseline"}],
        "workloads": {"defaults": {"teamOverrides": ["state", "highAvailability", "autoscaler"],
                                   "highAvailability": "never",
                                   "periodicSavepoints": {"interval": None},
                                   "observability": {"prometheus": False}},
                      **workloads},
    }


def _subset(expected: Any, actual: Any, where: str) -> None:
    """Every value of ``expected`` is in ``actual`` (lists of named items matched by name)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        for k, v in expected.items():
            assert k in actual, f"{where}.{k} missing"
            _subset(v, actual[k], f"{where}.{k}")
    elif isinstance(expected, list) and expected and all(isinstance(e, dict) and "name" in e for e in expected):
        by_name = {a.get("name"): a for a in actual}
        for e in expected:
            _subset(e, by_name.get(e["name"]), f"{where}[{e['name']}]")
    else:
        assert expected == actual, f"{where}: {expected!r} != {actual!r}"


def _same_configuration(example: dict, rendered: dict, platform_keys: set[str]) -> None:
    want = effective_configuration(example)
    got = effective_configuration(rendered)
    for key, value in want.items():
        if key == upstream.HA_TYPE_KEY and value in upstream.HA_KUBERNETES_VALUES:
            assert got[key] in upstream.HA_KUBERNETES_VALUES
        else:
            assert got.get(key) == value, f"flinkConfiguration {key}: {value!r} != {got.get(key)!r}"
    extra = set(got) - set(want)
    assert extra <= platform_keys, f"unexpected keys {sorted(extra - platform_keys)}"


#: Platform additions an example did not ask for: restart strategy defaults, the fixed TaskManager data port.
PLATFORM_KEYS = {"restart-strategy.type", "restart-strategy.exponential-delay.initial-backoff",
                 "restart-strategy.exponential-delay.max-backoff", upstream.TASKMANAGER_DATA_PORT_KEY}
#: Examples whose image is not pinned: the model refuses them as written, and accepts them with a version tag.
UNPINNED = {"flink-beam-example/beam-example.yaml": "uses the tag 'latest'",
            "flink-python-example/python-example.yaml": "uses the tag 'latest'",
            "flink-sql-runner-example/sql-example.yaml": "uses the tag 'latest'",
            "autoscaling/autoscaling.yaml": "has no tag",
            "autoscaling/autoscaling-dynamic.yaml": "has no tag"}




def _in_tenant_terms(doc: dict) -> list[str]:
    """Rewrite an upstream example as a tenant of the platform must write it (issue 19): state directories under
    ``<base>/<tenant>/<namespace>/``, literal credentials as ``${VAR}`` references to a secretEnv. Returns what the
    platform refuses in the example as upstream wrote it (the reasons its config rules give)."""
    refused = []
    conf = doc["spec"].get("flinkConfiguration") or {}
    for key, value in list(flatten(conf).items()):
        (canon,) = effective_configuration({key: value})
        if canon in tenancy.STATE_KEYS and "/examples/examples/" not in str(value):
            head, tail = str(value).rstrip("/").rsplit("/", 1)
            _set_flat(conf, key, f"{head}/examples/examples/{tail}")
            refused.append("is outside every tenant prefix")
        elif secret_config.is_secret_key(canon) and not secret_config.is_reference(value):
            _set_flat(conf, key, "${" + canon.upper().replace(".", "_").replace("-", "_") + "}")
            refused.append("found a literal credential")
    job = doc["spec"].get("job") or {}
    if job.get("initialSavepointPath") and "/examples/examples/" not in job["initialSavepointPath"]:
        head, tail = job["initialSavepointPath"].rstrip("/").rsplit("/", 1)
        job["initialSavepointPath"] = f"{head}/examples/examples/{tail}"
        refused.append("is outside every tenant prefix")
    return refused


def _set_flat(conf: dict, key: str, value: Any) -> None:
    """Set ``key`` (dotted) in a flinkConfiguration that may be nested (YAML maps) or flat."""
    if key in conf:
        conf[key] = value
        return
    head, _, rest = key.partition(".")
    if head in conf and isinstance(conf[head], dict):
        _set_flat(conf[head], rest, value)
        return
    for k, v in conf.items():  # a nested map keyed by a dotted prefix ("state.checkpoints": {dir: ...})
        if isinstance(v, dict) and key.startswith(k + "."):
            _set_flat(v, key[len(k) + 1:], value)
            return
    raise KeyError(key)


def test_every_upstream_example_is_covered() -> None:
    names = {name for name, _ in _example_docs()}
    assert len(names) >= 18  # canary.yaml has no spec: it is a health-check object, not a workload
    assert set(UNPINNED) <= names


@pytest.mark.parametrize("example", sorted({n for n, _ in _example_docs()}))
def test_upstream_example_renders_to_an_equivalent_resource(example: str) -> None:
    docs = _example_docs()
    mine = [d for n, d in docs if n == example]
    # a session job needs its session cluster, which upstream declares in another example file
    clusters = {d["metadata"]["name"]: (n, d) for n, d in docs if d["kind"] == "FlinkDeployment"}
    needed = [clusters[d["spec"]["deploymentName"]] for d in mine if d["kind"] == "FlinkSessionJob"]
    chosen = [(example, d) for d in mine] + [c for c in needed if c[1] not in mine]
    if example in UNPINNED:
        with pytest.raises(ConfigError, match=UNPINNED[example]):
            load_platform_config(_example_stack(chosen))
        for _, d in chosen:
            d["spec"]["image"] = d["spec"]["image"].removesuffix(":latest") + ":1.0.0"
    # upstream's state paths and literal passwords are refused as written (issue 19), then written as a tenant must
    as_written = copy.deepcopy(chosen)
    chosen = copy.deepcopy(chosen)
    reasons = [reason for _, d in chosen for reason in _in_tenant_terms(d)]
    if reasons:
        with pytest.raises(ConfigError) as refused:
            load_platform_config(_example_stack(as_written))
        assert all(reason in str(refused.value) for reason in reasons), str(refused.value)
    mine = [d for n, d in chosen if n == example and d["kind"] in {m["kind"] for m in mine}
            and d["metadata"]["name"] in {m["metadata"]["name"] for m in mine}]
    platform = load_platform_config(_example_stack(chosen))
    rendered = {(r.kind, r.workload.name): r for r in render(platform.workloads, "examples")}
    for doc in mine:
        r = rendered[(doc["kind"], doc["metadata"]["name"])]
        spec = copy.deepcopy(doc["spec"])
        _same_configuration(spec.pop("flinkConfiguration", {}) or {}, r.spec.get("flinkConfiguration", {}),
                            PLATFORM_KEYS)
        if "job" in spec:
            spec["job"].setdefault("state", "running")  # the CRD's meaning of an absent state
        for part in ("jobManager", "taskManager"):
            if part in spec:
                assert r.spec[part].get("replicas", 1) == spec[part].get("replicas", 1)
        _subset(spec, r.spec, doc["metadata"]["name"])
        assert r.spec["serviceAccount" if doc["kind"] == "FlinkDeployment" else "deploymentName"]


# --- blue/green ---------------------------------------------------------------------------------------------------------


def test_blue_green_renders_a_valid_flink_blue_green_deployment() -> None:
    config = stack_config("dev")
    app = config["flink-platform:platform"]["workloads"]["applications"][0]
    app["blueGreen"] = True
    built = plan.build_plan("dev", config)
    assert built.ok, plan.summary(built)
    (bg,) = [o.obj for o in built.objects if o.kind == "FlinkBlueGreenDeployment"]
    # the application is no FlinkDeployment any more: the only one left is the session cluster
    assert [o.name.startswith("adhoc-") for o in built.objects if o.kind == "FlinkDeployment"] == [True]
    inner = bg["spec"]["template"]["spec"]
    # the same defaults and checks as a FlinkDeployment
    assert inner["job"]["upgradeMode"] == "savepoint" and inner["serviceAccount"] == upstream.JOB_SERVICE_ACCOUNT
    assert inner["flinkConfiguration"][upstream.SAVEPOINT_DIR_KEY].endswith("/clickstream/savepoints")
    assert inner["podTemplate"]["spec"]["securityContext"] == POD_SECURITY_CONTEXT
    assert json.loads(bg["metadata"]["annotations"][WAIT_FOR_ANNOTATION]) == ["jsonpath={.status.jobStatus.state}=RUNNING"]
    # its child deployments' names alternate: a gate only with an explicit REST URL
    assert not [r for r in built.registrations if r.type == GATE_TYPE]
    app["gate"] = {"restUrl": "http://clickstream-active.streaming-dev.svc:8081"}
    assert [r for r in plan.build_plan("dev", config).registrations if r.type == GATE_TYPE]
    app["flinkVersion"] = "v1_14"
    with pytest.raises(ConfigError, match=r"applications\[0\].flinkVersion"):
        load_platform_config(config["flink-platform:platform"])


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_workload_object_waits_for_the_crds_and_its_namespace(stack: str) -> None:
    """Pulumi does not hand a component's depends_on to its children: each object carries it explicitly."""
    monitor = run_program(stack, stack_config(stack))
    crds = {r.inputs["metadata"]["name"]: r.urn for r in monitor.registrations
            if r.type == "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"}
    namespaces = {r.inputs["metadata"]["name"]: r.urn for r in monitor.registrations
                  if r.type == "kubernetes:core/v1:Namespace"}
    workload_objects = [r for r in monitor.registrations if r.type.startswith("kubernetes:")
                        and "flink-platform:workloads:FlinkWorkloads" in r.urn]
    assert workload_objects
    for r in workload_objects:
        meta = r.inputs["metadata"]
        assert namespaces[meta["namespace"]] in r.dependencies, r.urn
        if r.type.startswith(CR_PREFIX):
            plural = r.type.rsplit(":", 1)[1].lower() + "s"
            assert crds[f"{plural}.{upstream.FLINK_API_GROUP}"] in r.dependencies, r.urn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_workload_waits_for_the_operator_watching_its_namespace_and_nothing_of_other_namespaces(stack: str) -> None:
    """A custom resource waits for the running operator that watches its namespace (its Deployment) and for that
    operator's RBAC and network policies in the namespace (the operator cannot reconcile it without them), and on
    nothing of another namespace or another operator: depending on the operator component would expand to every
    watched namespace's objects (quadratic in the stack's size, bench/plan_scale.py)."""
    monitor = run_program(stack, stack_config(stack))
    regs = {r.urn: r for r in monitor.registrations}

    def operator_of(r: Any) -> str | None:  # the FlinkOperator component above a resource, if any
        urn = r.parent
        while urn and urn in regs:
            if regs[urn].type == "flink-platform:operator:FlinkOperator":
                return urn
            urn = regs[urn].parent
        return None

    deployments = {operator_of(r): r.urn for r in monitor.registrations
                   if r.type == "kubernetes:apps/v1:Deployment" and operator_of(r)}
    operator_objects = [r for r in monitor.registrations if r.custom and operator_of(r)]
    watcher = {r.inputs["metadata"]["namespace"]: operator_of(r) for r in operator_objects
               if r.type == "kubernetes:rbac.authorization.k8s.io/v1:Role"
               and r.inputs["metadata"]["name"] == upstream.OPERATOR_ROLE}
    crs = [r for r in monitor.registrations if r.type.startswith(CR_PREFIX)]
    assert crs and len(deployments) >= (2 if stack == "prod" else 1)
    for cr in crs:
        ns = cr.inputs["metadata"]["namespace"]
        op = watcher[ns]
        assert deployments[op] in cr.dependencies, cr.urn
        own = {r.urn for r in operator_objects if operator_of(r) == op and r.type.endswith((":Role", ":RoleBinding", ":NetworkPolicy"))
               and r.inputs["metadata"].get("namespace") == ns}
        assert own and own <= set(cr.dependencies), (cr.urn, own - set(cr.dependencies))
        foreign = [d for d in cr.dependencies if d in regs and operator_of(regs[d])
                   and (operator_of(regs[d]) != op or regs[d].inputs.get("metadata", {}).get("namespace") not in (ns, None, regs[deployments[op]].inputs["metadata"]["namespace"]))]
        assert not foreign, (cr.urn, foreign)


def test_a_workload_secret_waits_for_its_namespace_and_quota_but_not_for_the_operator() -> None:
    """The Secret of a workload needs its namespace (and the guard rails, like every workload object), not the
    operator: only the custom resource that reads it waits for the operator, and `destroy` deletes that first."""
    monitor = run_program("prod", stack_config("prod"))
    regs = {r.urn: r for r in monitor.registrations}
    secrets = [r for r in monitor.registrations if r.type == "kubernetes:core/v1:Secret"
               and "flink-platform:workloads:FlinkWorkloads" in r.urn]
    assert secrets
    for secret in secrets:
        ns = secret.inputs["metadata"]["namespace"]
        kinds = {(regs[d].type.rsplit(":", 1)[1], regs[d].inputs["metadata"].get("namespace") or regs[d].inputs["metadata"]["name"])
                 for d in secret.dependencies}
        assert {("Namespace", ns), ("ResourceQuota", ns), ("LimitRange", ns)} <= kinds, kinds
        assert not [d for d in secret.dependencies if "flink-platform:operator:FlinkOperator" in d], secret.urn
        cr = next(r for r in monitor.registrations if r.type.startswith(CR_PREFIX) and r.parent == secret.parent)
        assert secret.urn in cr.dependencies


# --- observability ------------------------------------------------------------------------------------------------------


def test_pod_monitors_per_workload_namespace_and_validated_when_a_crd_serves_them() -> None:
    from components.operator.crds import CrdSchemas
    from components.workloads.render import POD_MONITOR_API_VERSION, POD_MONITOR_KIND
    from planning.schema_validation import SchemaValidator

    built = plan.build_plan("prod", stack_config("prod"))
    assert built.ok, plan.summary(built)
    monitors = [o for o in built.objects if o.kind == POD_MONITOR_KIND]
    namespaces = {w["namespace"] for section in ("applications", "sessionClusters")
                  for w in _platform("prod")["workloads"][section]}
    assert {o.namespace for o in monitors} == namespaces
    assert sorted(built.unvalidated) == sorted(o.label for o in monitors)  # said, not hidden
    (endpoint,) = monitors[0].obj["spec"]["podMetricsEndpoints"]
    app = next(o for o in built.objects if o.kind == "FlinkDeployment" and o.namespace == monitors[0].namespace)
    ports = app.obj["spec"]["podTemplate"]["spec"]["containers"][0]["ports"]
    assert {"name": endpoint["port"], "containerPort": upstream.PROMETHEUS_PORT, "protocol": "TCP"} in ports
    # With a CRD serving PodMonitor in the plan, they are validated like every custom resource.
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "podmonitors.monitoring.coreos.com"},
           "spec": {"group": "monitoring.coreos.com", "names": {"kind": "PodMonitor", "plural": "podmonitors"},
                    "scope": "Namespaced", "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                        "openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object", "properties": {
                            "selector": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                            "podMetricsEndpoints": {"type": "array", "items": {"type": "object", "properties": {
                                "port": {"type": "string"}}}}}}}}}}]}}
    schemas = CrdSchemas.from_bodies([*(o.obj for o in built.objects if o.kind == "CustomResourceDefinition"), crd])
    validator = SchemaValidator("1.32", schemas)
    external = frozenset({(POD_MONITOR_API_VERSION, POD_MONITOR_KIND)})
    problems = plan.validate_objects(monitors, validator, external)
    assert len(problems) == len(monitors) and all("podMetricsEndpoints[0].path" in p for p in problems)
    assert plan.validate_objects(monitors, SchemaValidator("1.32"), external) == []


def test_pod_monitors_need_the_prometheus_reporter() -> None:
    platform = _platform("prod")
    platform["workloads"]["defaults"]["observability"]["prometheus"] = False
    problems = _problems(platform)
    assert "podMonitors scrape Flink's Prometheus reporter" in problems["platform.workloads.defaults.observability"]
