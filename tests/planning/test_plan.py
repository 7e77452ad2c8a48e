"""The offline plan (``python -m tools.plan``): what it writes, what it refuses, and that it writes nothing on failure."""

from __future__ import annotations

import json
from pathlib import Path

import kubernetes_validate
import pulumi_kubernetes as k8s
import pytest
import yaml

from components.config import labels as L
from components.operator import upstream
from components.config.models import SUPPORTED_KUBERNETES_VERSIONS
from tests.conftest import ROOT, STACKS, run_plan_cli, stack_config, write_stack_file
from planning import plan
from planning.manifests import KubeObject
from planning.mock_runtime import SECRET
from planning.schema_validation import SchemaValidator

CRD_NAMES = sorted(pin.crd_name for pin in upstream.CRD_PINS["1.15.0"])


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _docs(out: Path) -> list[dict]:
    return [d for d in yaml.load_all((out / plan.MANIFESTS_FILE).read_text(), Loader=_Loader) if d is not None]


def _resources(out: Path) -> dict:
    return json.loads((out / plan.RESOURCES_FILE).read_text())


def _platform(stack: str) -> dict:
    return stack_config(stack)["flink-platform:platform"]


def _plan_files(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in plan.PLAN_FILES}


def _only(tmp_path: Path, *names: str) -> None:
    """Nothing but ``names`` in tmp_path: no temporary or backup directory left behind."""
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)


# --- the committed stacks plan ------------------------------------------------------------------------------------


def test_cli_plans_the_dev_stack(tmp_path: Path, committed_plans: dict[str, Path]) -> None:
    out = tmp_path / "dev"
    result = run_plan_cli("--stack", "dev", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("PLAN OK")
    assert "Namespace" in result.stdout and "CustomResourceDefinition" in result.stdout
    # 27 + 9 NetworkPolicies of issue 17 (operator namespace default-deny; per cluster: clickstream internal, data,
    # metrics, runners, object storage; adhoc internal, data, metrics, object storage; minus the namespace-wide
    # flink-internal).
    assert "Kubernetes objects: 36" in result.stdout and "Pulumi resources:   49" in result.stdout
    # the first plan a newcomer runs is clean: the committed stack's own operator passes the platform's rules
    assert "policy pack: 0 mandatory violation(s), 0 advisory" in result.stdout
    _only(tmp_path, "dev")
    # Another process (another hash seed, another registration order) writes the very same bytes.
    assert _plan_files(out) == _plan_files(committed_plans["dev"])


def _cluster_policies(platform: dict, namespace: str) -> list[tuple[str, str]]:
    """Issue 17: each Flink cluster of the namespace gets its internal and data-port policies, and one policy per
    feature it uses: the reporter (on by default) scraped by metricsSources, an ingress, a gate or REST job from the
    tenant's restRunners, s3:// state, an application's https jar."""
    network, workloads = platform.get("network", {}), platform.get("workloads", {})
    defaults = workloads.get("defaults", {})
    s3 = str(defaults.get("storage", {}).get("baseUri", "")).startswith("s3://")
    reporter = defaults.get("observability", {}).get("prometheus", True) and network.get("metricsSources")
    out = []
    clusters = [(c, "operator") for k in ("applications", "sessionClusters") for c in workloads.get(k, [])]
    clusters += [(c, "plain") for c in workloads.get("plainSessionClusters", [])]
    for c, kind in clusters:
        if c["namespace"] != namespace:
            continue
        name = c["name"]
        out += [("NetworkPolicy", f"flink-{name}-internal"), ("NetworkPolicy", f"flink-{name}-data")]
        jobs = [j for j in workloads.get("sessionJobs", []) if j["deploymentName"] == name and j["namespace"] == namespace]
        gated = [j for j in [c, *jobs] if j.get("job", {}).get("upgradeMode") in ("savepoint", "last-state")]
        rest_jobs = [j for j in workloads.get("restJobs", []) if j.get("cluster") == name and j["namespace"] == namespace]
        if reporter and kind == "operator":
            out.append(("NetworkPolicy", f"flink-{name}-metrics"))
        if c.get("ingress"):
            out.append(("NetworkPolicy", f"flink-{name}-rest-from-ingress"))
        if gated or rest_jobs:
            out.append(("NetworkPolicy", f"flink-{name}-rest-from-runners"))
        if s3 and (kind == "operator" or rest_jobs):
            out.append(("NetworkPolicy", f"flink-{name}-object-storage"))
        if str(c.get("job", {}).get("jarURI", "")).startswith("https://"):
            out.append(("NetworkPolicy", f"flink-{name}-artifacts"))
    return out


def _expected_objects(platform: dict) -> dict[str, list[tuple[str, str]]]:
    """What each namespace of a committed stack must hold, written from the issue's rules (not from the code):
    a watched namespace gets the operator's Role + RoleBinding, the job ServiceAccount, Role and RoleBinding and four
    network policies plus one per tenant egress rule; an operator namespace gets the operator's ServiceAccount,
    ConfigMap, Deployment, leases Role + RoleBinding, its network policy, a PDB when HA, and the webhook's Secret,
    Service, Issuer and Certificate; cluster scope holds the four CRDs, every namespace and both webhook
    configurations per operator with a webhook."""
    expected: dict[str, list[tuple[str, str]]] = {"": [("CustomResourceDefinition", n) for n in CRD_NAMES]}
    operators = [(platform["operator"], [ns for t in platform["tenants"] if "operator" not in t for ns in t["namespaces"]],
                  [e for t in platform["tenants"] if "operator" not in t for e in t.get("egress", [])], platform["tenants"])]
    operators += [(t["operator"], t["namespaces"], t.get("egress", []), [t]) for t in platform["tenants"] if "operator" in t]
    for op, watched, _, tenants in operators:
        ns = op["namespace"]
        objs = [("ServiceAccount", "flink-operator"), ("ConfigMap", "flink-operator-config"),
                ("Deployment", "flink-kubernetes-operator"), ("Role", "flink-operator"),
                ("RoleBinding", "flink-operator-role-binding"), ("NetworkPolicy", "flink-operator"),
                ("NetworkPolicy", "default-deny")]
        if len(tenants) == 1 and "operator" in tenants[0]:  # a tenant's own operator: the tenant's guard rails
            objs += [("LimitRange", "flink-platform-limits"), ("ResourceQuota", "flink-platform-quota")]
        if op.get("replicas", 1) > 1:
            objs.append(("PodDisruptionBudget", "flink-kubernetes-operator"))
        if op.get("webhook", {}).get("enabled"):
            objs += [("Secret", "flink-operator-webhook-secret"), ("Service", "flink-operator-webhook-service"),
                     ("Issuer", "flink-operator-selfsigned-issuer"), ("Certificate", "flink-operator-serving-cert")]
            expected[""] += [("MutatingWebhookConfiguration", f"flink-operator-{ns}-webhook-configuration"),
                             ("ValidatingWebhookConfiguration", f"flink-operator-{ns}-webhook-configuration")]
        expected[ns] = objs
        expected[""].append(("Namespace", ns))
        for tenant in tenants:
            for w in tenant["namespaces"]:
                if w not in watched:
                    continue
                expected[""].append(("Namespace", w))
                expected[w] = [("Role", "flink-operator"), ("RoleBinding", "flink-operator-role-binding"),
                               ("ServiceAccount", "flink"), ("Role", "flink"), ("RoleBinding", "flink-role-binding"),
                               ("NetworkPolicy", "default-deny"),
                               ("NetworkPolicy", "flink-apiserver-dns"), ("NetworkPolicy", "jobmanager-rest-from-operator")]
                expected[w] += _cluster_policies(platform, w)
                expected[w] += [("NetworkPolicy", f"flink-egress-{e['name']}") for e in tenant.get("egress", [])]
                expected[w] += [("LimitRange", "flink-platform-limits"), ("ResourceQuota", "flink-platform-quota")]
    return {ns: sorted(objs) for ns, objs in expected.items()}


@pytest.mark.parametrize("stack", STACKS)
def test_committed_stack_manifests(stack: str, committed_plans: dict[str, Path]) -> None:
    docs = _docs(committed_plans[stack])
    platform = _platform(stack)
    by_namespace: dict[str, list[tuple[str, str]]] = {}
    # The workloads' own objects (and their namespaces' PodMonitors) are checked in tests/components/
    # test_workloads.py; here the platform's.
    for d in (d for d in docs if L.WORKLOAD not in (d["metadata"].get("labels") or {}) and d["kind"] != "PodMonitor"):
        by_namespace.setdefault(d["metadata"].get("namespace", ""), []).append((d["kind"], d["metadata"]["name"]))
    assert {ns: sorted(objs) for ns, objs in by_namespace.items()} == _expected_objects(platform)
    kinds = [d["kind"] for d in docs]
    namespaces = sorted(d["metadata"]["name"] for d in docs if d["kind"] == "Namespace")
    first = len(CRD_NAMES) + len(namespaces)
    assert kinds[:first] == ["CustomResourceDefinition"] * 4 + ["Namespace"] * len(namespaces)
    assert [d["metadata"]["name"] for d in docs[:first]] == CRD_NAMES + namespaces
    # Then the workloads' objects (tests/components/workloads/test_component.py checks their content).
    workloads = platform.get("workloads", {})
    expected = len(workloads.get("applications", [])) + len(workloads.get("sessionClusters", []))
    assert kinds.count("FlinkDeployment") + kinds.count("FlinkBlueGreenDeployment") == expected
    assert kinds.count("FlinkSessionJob") == len(workloads.get("sessionJobs", []))
    for doc in docs:
        assert list(doc)[:3] == ["apiVersion", "kind", "metadata"]
    tenant_ns = next(d for d in docs if d["kind"] == "Namespace" and d["metadata"]["name"] == platform["tenants"][0]["namespaces"][0])
    assert tenant_ns["apiVersion"] == "v1"
    assert tenant_ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"] == (
        "v" + platform["cluster"]["kubernetesVersion"]
    )


def test_committed_stacks_show_the_operator_shapes(committed_plans: dict[str, Path]) -> None:
    """dev: one shared operator without webhook; staging: webhook on; prod: HA shared operator and a tenant operator."""
    deployments = {s: [d for d in _docs(committed_plans[s]) if d["kind"] == "Deployment"
                       and d["metadata"]["labels"].get(L.APP_NAME) == upstream.OPERATOR_APP_NAME] for s in STACKS}
    assert [d["spec"]["replicas"] for d in deployments["dev"]] == [1]
    assert [len(d["spec"]["template"]["spec"]["containers"]) for d in deployments["dev"]] == [1]
    assert [len(d["spec"]["template"]["spec"]["containers"]) for d in deployments["staging"]] == [2]
    prod = {d["metadata"]["namespace"]: d for d in deployments["prod"]}
    assert sorted(prod) == ["flink-operator", "search-flink-operator"]
    assert all(d["spec"]["replicas"] == 2 and d["spec"]["strategy"]["type"] == "RollingUpdate" for d in prod.values())


@pytest.mark.parametrize("stack", STACKS)
def test_every_object_is_valid_for_the_official_strict_schema(stack: str, committed_plans: dict[str, Path]) -> None:
    """Checked here with kubernetes_validate itself, independently of the plan's own cached validators.

    Two kinds of objects are not for kubernetes_validate: cert-manager's Issuer and Certificate (their CRDs come
    with cert-manager, declared per stack) and a Secret's ``stringData``, which pulumi-kubernetes makes secret as a
    whole (the plan shows ``[secret]``; its shape is checked as an empty map)."""
    version = _platform(stack)["cluster"]["kubernetesVersion"]
    # Built-in kinds only: kubernetes_validate knows no custom resource (the plan checks those against the CRDs,
    # see test_every_custom_resource_is_valid_for_its_crd).
    external = {a for a, _ in plan.external_kinds(stack_config(stack))}
    docs = [d for d in _docs(committed_plans[stack]) if d["apiVersion"] not in {upstream.FLINK_API_VERSION, *external}]
    assert docs
    for doc in docs:
        if doc["apiVersion"] == upstream.CERT_MANAGER_API_VERSION:
            assert doc["kind"] in ("Issuer", "Certificate")
            continue
        if doc["kind"] == "Secret" and doc.get("stringData") == "[secret]":
            doc = {**doc, "stringData": {}}
        assert kubernetes_validate.validate(doc, version, strict=True) == version


@pytest.mark.parametrize("stack", STACKS)
def test_resources_json_records_every_resource(stack: str, committed_plans: dict[str, Path]) -> None:
    data = _resources(committed_plans[stack])
    urns = [r["urn"] for r in data["resources"]]
    assert urns == sorted(urns) and len(set(urns)) == len(urns)
    assert data["stack"] == stack and data["project"] == "flink-platform"
    assert data["stackUrn"] == f"urn:pulumi:{stack}::flink-platform::pulumi:pulumi:Stack::flink-platform-{stack}"
    types = [r["type"] for r in data["resources"]]
    platform = _platform(stack)
    assert types.count("flink-platform:platform:FlinkPlatform") == 1
    assert types.count("pulumi:providers:kubernetes") == 1
    assert types.count("flink-platform:crds:OperatorCrds") == 1
    assert types.count("flink-platform:tenant:Tenant") == len(platform["tenants"])
    for r in data["resources"]:
        assert {"type", "name", "urn", "parent", "dependencies", "provider", "options", "inputs", "outputs"} <= set(r)
    top = next(r for r in data["resources"] if r["type"] == "flink-platform:platform:FlinkPlatform")
    assert top["outputs"]["clusterIdentifier"] == platform["cluster"]["identifier"]
    # The stack outputs (pulumi.export) are captured.
    assert data["outputs"]["clusterIdentifier"] == platform["cluster"]["identifier"]
    assert data["outputs"]["operatorVersion"] == platform["operator"]["version"]
    assert data["outputs"]["crdNames"] == CRD_NAMES
    assert data["outputs"]["tenantNamespaces"] == {t["name"]: t["namespaces"] for t in platform["tenants"]}


@pytest.mark.parametrize("stack", STACKS)
def test_resources_json_is_the_text_the_standard_json_module_writes(stack: str, committed_plans: dict[str, Path]) -> None:
    """resources.json is written with orjson for speed; the text is exactly the standard library's (indent 2, keys
    sorted at every level, UTF-8 as is), so diffs between plans read the same as before."""
    text = (committed_plans[stack] / plan.RESOURCES_FILE).read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("stack", STACKS)
def test_the_four_crds_are_retained_on_delete(stack: str, committed_plans: dict[str, Path]) -> None:
    crds = [r for r in _resources(committed_plans[stack])["resources"] if r["inputs"].get("kind") == "CustomResourceDefinition"]
    assert sorted(r["inputs"]["metadata"]["name"] for r in crds) == CRD_NAMES
    protect = _platform(stack)["operator"].get("crds", {}).get("protect", False)
    for r in crds:
        assert r["options"]["retainOnDelete"] is True
        assert r["options"]["protect"] is protect
    manifest_crds = [d["metadata"]["name"] for d in _docs(committed_plans[stack]) if d["kind"] == "CustomResourceDefinition"]
    assert manifest_crds == CRD_NAMES


@pytest.mark.parametrize("stack", STACKS)
def test_output_holds_no_machine_specific_data(stack: str, committed_plans: dict[str, Path]) -> None:
    for name, content in _plan_files(committed_plans[stack]).items():
        text = content.decode()
        # Directories as path prefixes ("/work/" must not match the label key "flink-platform.io/workload").
        for fragment in (str(ROOT), str(ROOT.parent) + "/", str(Path.home()) + "/", "Placeholder"):
            assert fragment not in text, f"{name} contains {fragment!r}"
    # The only masked values are the values of Secrets (their keys are names); nothing else is a secret.
    for doc in _docs(committed_plans[stack]):
        masked = {k: v for k, v in (doc.get("stringData") or {}).items()} if doc["kind"] == "Secret" else {}
        assert set(masked.values()) <= {SECRET}
        rest = {k: v for k, v in doc.items() if not (doc["kind"] == "Secret" and k == "stringData")}
        assert SECRET not in json.dumps(rest), f"{doc['kind']} {doc['metadata']['name']} holds a masked value"


@pytest.mark.parametrize("stack", STACKS)
def test_every_custom_resource_is_valid_for_its_crd(stack: str, committed_plans: dict[str, Path]) -> None:
    """Independently of the plan run: each Flink custom resource against the strict schema of its pinned CRD."""
    version = _platform(stack)["cluster"]["kubernetesVersion"]
    docs = _docs(committed_plans[stack])
    crs = [d for d in docs if d["apiVersion"] == upstream.FLINK_API_VERSION]
    assert crs, f"the {stack} stack declares workloads"
    validator = SchemaValidator(version, plan.crd_schemas([KubeObject("crd", d) for d in docs]))
    for doc in crs:
        assert validator.source_of(doc["apiVersion"], doc["kind"]) == "CRD"
        assert validator.validate(doc) == [], doc["metadata"]["name"]


def test_two_runs_write_identical_bytes(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert plan.main(["--stack", "prod", "--out", str(first)]) == 0
    assert plan.main(["--stack", "prod", "--out", str(second)]) == 0
    assert _plan_files(first) == _plan_files(second)


def test_replanning_replaces_an_earlier_plan(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "plan"
    assert plan.main(["--stack", "dev", "--out", str(out)]) == 0
    (out / plan.MANIFESTS_FILE).write_text("stale\n")
    assert plan.main(["--stack", "dev", "--out", str(out)]) == 0
    assert "streaming-dev" in (out / plan.MANIFESTS_FILE).read_text()
    _only(tmp_path, "plan")


def test_config_file_names_the_stack(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config_file = write_stack_file(tmp_path / "Pulumi.qa.yaml", stack_config("dev"))
    out = tmp_path / "out"
    assert plan.main(["--config-file", str(config_file), "--out", str(out)]) == 0
    data = _resources(out)
    assert data["stack"] == "qa"
    assert all(r["urn"].startswith("urn:pulumi:qa::flink-platform::") for r in data["resources"])
    # --stack wins over the file name.
    assert plan.main(["--config-file", str(config_file), "--stack", "other", "--out", str(tmp_path / "o2")]) == 0
    assert _resources(tmp_path / "o2")["stack"] == "other"


def test_config_file_without_a_stack_name_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config_file = write_stack_file(tmp_path / "settings.yaml", stack_config("dev"))
    with pytest.raises(SystemExit) as exit_info:
        plan.main(["--config-file", str(config_file)])
    assert exit_info.value.code == 2
    assert "Pulumi.<stack>.yaml" in capsys.readouterr().err


# --- failures write nothing ---------------------------------------------------------------------------------------


def test_invalid_config_fails_listing_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config = stack_config("dev")
    platform = config["flink-platform:platform"]
    platform["cluster"]["kubernetesVersion"] = "1.99"
    platform["tenants"][0]["namespaces"] = ["Not_A_Name"]
    config_file = write_stack_file(tmp_path / "Pulumi.broken.yaml", config)
    out = tmp_path / "out"
    assert plan.main(["--config-file", str(config_file), "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "platform.cluster.kubernetesVersion" in captured.err
    assert "platform.tenants[0].namespaces[0]" in captured.err
    assert "'1.99'" in captured.err and "'Not_A_Name'" in captured.err
    assert "PLAN FAILED" in captured.out
    assert not out.exists()
    _only(tmp_path, "Pulumi.broken.yaml")


def test_invalid_config_through_the_cli(tmp_path: Path) -> None:
    config = stack_config("dev")
    config["flink-platform:platform"]["operator"]["namespace"] = "Flink_Operator"
    config_file = write_stack_file(tmp_path / "Pulumi.broken.yaml", config)
    out = tmp_path / "out"
    result = run_plan_cli("--config-file", str(config_file), "--out", str(out))
    assert result.returncode == 1
    assert "platform.operator.namespace" in result.stderr and "'Flink_Operator'" in result.stderr
    assert "PLAN FAILED" in result.stdout
    assert not out.exists()


def test_missing_platform_config_fails(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config_file = write_stack_file(tmp_path / "Pulumi.empty.yaml", {"pulumi:disable-default-providers": ["kubernetes"]})
    assert plan.main(["--config-file", str(config_file), "--out", str(tmp_path / "out")]) == 1
    assert "flink-platform:platform" in capsys.readouterr().err
    _only(tmp_path, "Pulumi.empty.yaml")


def test_unknown_project_key_and_missing_guard_fail_before_anything_is_planned(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    config = stack_config("dev")
    config["flink-platform:platfrom"] = {"environment": "dev"}
    del config["pulumi:disable-default-providers"]
    config_file = write_stack_file(tmp_path / "Pulumi.typo.yaml", config)
    assert plan.main(["--config-file", str(config_file), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "flink-platform:platfrom: found an unknown config key" in err and "did you mean 'flink-platform:platform'" in err
    assert "pulumi:disable-default-providers:\n    - kubernetes" in err
    _only(tmp_path, "Pulumi.typo.yaml")


def test_namespace_with_a_trailing_newline_never_reaches_the_manifests(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config = stack_config("dev")
    config["flink-platform:platform"]["tenants"][0]["namespaces"] = ["team-b-dev\n"]
    config_file = write_stack_file(tmp_path / "Pulumi.nl.yaml", config)
    assert plan.main(["--config-file", str(config_file), "--out", str(tmp_path / "out")]) == 1
    assert "platform.tenants[0].namespaces[0]: found 'team-b-dev\\n'" in capsys.readouterr().err
    _only(tmp_path, "Pulumi.nl.yaml")


def test_help_says_where_the_crds_come_from() -> None:
    result = run_plan_cli("--help")
    assert result.returncode == 0
    for fact in ("FLINK_PLATFORM_CRD_CACHE", "operator.crds.localDir", "../shared/upstream/crds", "sha256", "release tag"):
        assert fact in result.stdout, fact


def test_crd_source_error_fails(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config = stack_config("dev")
    config["flink-platform:platform"]["operator"]["crds"] = {"source": "local", "localDir": str(tmp_path / "nowhere")}
    config_file = write_stack_file(tmp_path / "Pulumi.air.yaml", config)
    assert plan.main(["--config-file", str(config_file), "--out", str(tmp_path / "out")]) == 1
    assert "operator.crds.localDir" in capsys.readouterr().err
    _only(tmp_path, "Pulumi.air.yaml")


def test_failure_leaves_an_earlier_plan_untouched(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "out"
    good = write_stack_file(tmp_path / "Pulumi.x.yaml", stack_config("dev"))
    assert plan.main(["--config-file", str(good), "--out", str(out)]) == 0
    before = _plan_files(out)
    config = stack_config("dev")
    config["flink-platform:platform"]["environment"] = "not a label!"
    bad = write_stack_file(tmp_path / "Pulumi.y.yaml", config)
    assert plan.main(["--config-file", str(bad), "--stack", "x", "--out", str(out)]) == 1
    assert "still holds the output of an earlier run" in capsys.readouterr().err
    assert _plan_files(out) == before
    _only(tmp_path, "out", "Pulumi.x.yaml", "Pulumi.y.yaml")


def test_an_out_dir_with_foreign_files_is_never_replaced(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    assert plan.main(["--stack", "dev", "--out", str(tmp_path)]) == 1
    assert "refusing to replace it" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine\n"
    _only(tmp_path, "notes.txt")


def test_an_object_violating_its_schema_fails_the_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A program variant whose Namespaces carry an unknown field (the strict schema refuses it) and a bad type."""
    original = k8s.core.v1.Namespace

    def namespace_with_unknown_field(name: str, **kwargs):
        return original(name, spec={"finalizers": "kubernetes", "bogus": True}, **kwargs)

    monkeypatch.setattr(k8s.core.v1, "Namespace", namespace_with_unknown_field)
    out = tmp_path / "out"
    assert plan.main(["--stack", "dev", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    urn = (
        "urn:pulumi:dev::flink-platform::flink-platform:platform:FlinkPlatform$flink-platform:tenant:Tenant"
        "$kubernetes:core/v1:Namespace::flink-streaming-streaming-dev"
    )
    lines = [line for line in captured.out.splitlines() if "Namespace streaming-dev" in line]
    assert len(lines) == 2, captured.out
    unknown = next(line for line in lines if "spec.bogus" in line)
    assert urn in unknown and "an unknown field" in unknown and "('bogus' was unexpected)" in unknown
    assert "fields allowed here: finalizers" in unknown
    wrong_type = next(line for line in lines if "spec.finalizers" in line)
    assert "found 'kubernetes'" in wrong_type and "is not of type 'array'" in wrong_type
    assert "PLAN FAILED" in captured.out and "PLAN OK" not in captured.out
    assert not out.exists()
    _only(tmp_path)


def test_a_policy_violation_fails_the_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seam where the policy pack plugs in: its verdict decides the plan like schema problems do."""
    seen = []

    def deny_everything(records, config=None):
        seen.extend(records)
        return plan.PolicyVerdict(violations=("no-anything: denied",), advisories=("be careful",))

    monkeypatch.setattr(plan, "run_policies", deny_everything)
    assert plan.main(["--stack", "dev", "--out", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert "policy violation: no-anything: denied" in captured.out and "policy advisory: be careful" in captured.out
    assert {r.type for r in seen} >= {"flink-platform:platform:FlinkPlatform", "kubernetes:core/v1:Namespace"}
    _only(tmp_path)


def test_without_policies_the_verdict_passes() -> None:
    verdict = plan.run_policies([])
    assert verdict.passed and verdict.violations == () and verdict.advisories == ()


# --- custom resources are validated against the plan's CRDs -------------------------------------------------------


@pytest.fixture(scope="module")
def dev_plan() -> plan.Plan:
    built = plan.build_plan("dev", stack_config("dev"))
    assert built.ok, plan.summary(built)
    return built


def _flink_deployment(flink_version: str) -> dict:
    return {
        "apiVersion": upstream.FLINK_API_VERSION,
        "kind": "FlinkDeployment",
        "metadata": {"name": "wordcount", "namespace": "streaming-dev"},
        "spec": {
            "flinkVersion": flink_version,
            "image": "flink:1.20",
            "serviceAccount": "flink",
            "jobManager": {"resource": {"memory": "2048m", "cpu": 1}},
            "taskManager": {"resource": {"memory": "2048m", "cpu": 1}},
            "job": {"jarURI": "local:///opt/flink/examples/streaming/WordCount.jar", "parallelism": 2,
                    "upgradeMode": "savepoint"},
        },
    }


def _check(dev_plan: plan.Plan, obj: dict) -> list[str]:
    """Validate one object exactly as the plan does (same CRD source, same function)."""
    validator = SchemaValidator(dev_plan.kubernetes_version, plan.crd_schemas(dev_plan.objects))
    return plan.validate_objects([KubeObject("urn:pulumi:dev::flink-platform::test::job", obj)], validator)


def test_a_valid_flink_deployment_passes(dev_plan: plan.Plan) -> None:
    assert _check(dev_plan, _flink_deployment("v1_20")) == []


def test_flink_versions_added_to_the_crd_enum_are_accepted(dev_plan: plan.Plan) -> None:
    """The plan's CRDs are the patched ones it installs (v2_3/v2_4 added), not the raw release files."""
    assert _check(dev_plan, _flink_deployment("v2_4")) == []


def test_a_flink_deployment_violating_the_crd_schema_fails(dev_plan: plan.Plan) -> None:
    (problem,) = _check(dev_plan, _flink_deployment("v9_9"))
    assert problem.startswith("FlinkDeployment streaming-dev/wordcount [urn:pulumi:dev::flink-platform::test::job]: ")
    assert "spec.flinkVersion: found 'v9_9': 'v9_9' is not one of" in problem and "'v1_20'" in problem


def test_unknown_fields_in_custom_resources_fail(dev_plan: plan.Plan) -> None:
    obj = _flink_deployment("v1_20")
    obj["spec"]["job"]["parralelism"] = 3
    obj["metadata"]["lables"] = {}
    problems = _check(dev_plan, obj)
    assert len(problems) == 2
    assert any("metadata.lables: found an unknown field" in p for p in problems)
    assert any("spec.job.parralelism: found an unknown field" in p and "parallelism" in p for p in problems)


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [("flink.apache.org/v1beta1", "FlinkJob"), ("flink.apache.org/v1", "FlinkDeployment"), ("apps.example.com/v1", "Deployment")],
)
def test_a_custom_resource_of_an_unknown_kind_fails(dev_plan: plan.Plan, api_version: str, kind: str) -> None:
    obj = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x", "namespace": "streaming-dev"}}
    (problem,) = _check(dev_plan, obj)
    assert f"kind: found {api_version} {kind}: unknown kind" in problem


def test_supported_kubernetes_versions_all_have_schemas() -> None:
    for version in SUPPORTED_KUBERNETES_VERSIONS:
        assert SchemaValidator(version).schema_version == f"{version}.0"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_committed_stacks_raise_no_policy_advisory(stack: str) -> None:
    """Their own operators and webhooks declare CPU and memory (platform-resources); dev: the CLI test above."""
    result = plan.build_plan(stack, stack_config(stack))
    assert result.policy.violations == ()
    if stack == "prod":  # prod prefers workload identity; payments-ledger still hands its pods static S3 keys
        assert result.policy.advisories and all(
            a.startswith("platform.workloads.applications[0]: [security-workload-identity] FlinkDeployment "
                         "payments-prod/payments-ledger: ") and "AWS_SECRET_ACCESS_KEY" in a
            for a in result.policy.advisories), result.policy.advisories
    else:
        assert result.policy.advisories == ()


def test_policy_findings_name_the_stack_path_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from planning import policy_gate

    config = stack_config("prod")
    del config["flink-platform:platform"]["operator"]["webhook"]["resources"]
    result = plan.build_plan("prod", config)
    assert result.policy.violations, "prod refuses a container without resources"
    for v in result.policy.violations:
        assert v.startswith("platform.operator.webhook.resources: [platform-resources] Deployment "
                            "flink-operator/flink-kubernetes-operator: spec.template.spec.containers[1].resources."), v
        assert "Containers and Flink JobManagers/TaskManagers declare CPU and memory." not in v
    # the same diagnostic reported twice (per resource and for the stack) is listed once
    real = policy_gate.check_stack_records
    def twice(records, stack):
        report = real(records, stack)
        report.diagnostics += list(report.diagnostics)
        return report
    monkeypatch.setattr(policy_gate, "check_stack_records", twice)
    again = plan.run_policies(result.registrations, config)
    assert again.violations == result.policy.violations


def test_a_workload_finding_names_the_workload_path() -> None:
    config = stack_config("prod")
    platform = plan.load_platform_config(json.loads(plan.stack_config(config)["flink-platform:platform"]))
    app = platform.workloads.applications[2]
    record = next(r for r in plan.run_program("prod", config).registrations
                  if (r.inputs.get("kind"), (r.inputs.get("metadata") or {}).get("name")) == ("FlinkDeployment", app.name))
    assert plan.stack_path_of(record, "spec.taskManager.resource.cpu: too much", platform) == \
        "platform.workloads.applications[2]"


def test_no_tenants_plans_with_a_note_why_the_operator_is_not_installed() -> None:
    config = stack_config("dev")
    platform = config["flink-platform:platform"]
    platform["tenants"] = []
    del platform["workloads"]
    result = plan.build_plan("dev", config)
    assert result.ok and not any(o.kind == "Deployment" for o in result.objects)
    assert any(n.startswith("the shared operator (platform.operator, namespace 'flink-operator') is not installed: "
                            "it would watch no namespace (platform.tenants is empty)") for n in result.notes)
    files = result.files()
    assert "| from \\ to |" not in files[plan.FLOWS_FILE] and "No pod groups" in files[plan.FLOWS_FILE]
    assert "No pod groups" in files[plan.FLOWS_PICTURE]
