"""The dev stack through the ordinary Pulumi CLI path, against a real local control plane.

The real CLI (v3.274.0) starts the real Python language host (``pulumi-language-python``, built from its source by
``testbed.pulumi.language_host``) on ``__main__.py`` with the checkout's ``.venv``, as ``pulumi up`` does for a
user (``testbed.pulumi.project``); the Kubernetes provider plugin, the dynamic-provider launcher
(``pulumi-resource-pulumi-python``, from the SDK module), the ``file://`` backend and the passphrase secrets
provider are real too. The policy pack runs as the CLI runs it (``--policy-pack policies --policy-pack-config
policies/config/<env>.json``, its own ``policies/.venv``).

The offline plan and the offline policy gate are the oracles, the CLI, the engine and the API server the judges:

- the reviewer's ``pulumi preview`` (the README's command, exactly) of a new stack previews exactly the plan's
  resources and reports exactly the advisories the offline gate finds with ``dev.json``; nothing reaches the cluster;
- the same preview gated with ``prod.json`` exits non-zero ("preview failed") and shows each mandatory violation
  the offline gate finds with that config;
- ``up`` creates exactly the plan's resources (same URNs), every Kubernetes object is then live;
- ``preview --expect-no-changes`` and ``refresh`` see no change;
- a namespace added to a tenant previews (``--diff``) exactly what the plan of the new config adds or changes,
  and ``up`` makes it;
- ``destroy`` deletes what is not retained and leaves what the plan marks ``retainOnDelete`` (CRDs, namespaces).

The local control plane has no kubelet, so ``up`` (and a later ``preview``) also carry the remediation pack
``testbed/pulumi/no_kubelet_pack`` (``pulumi.com/skipAwait`` on what only a kubelet could make ready).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from planning import policy_gate
from planning.plan import build_plan
from tests.conftest import stack_config
from tests.e2e.kubeapi import KubeApi, KubeApiError
from testbed.kube.control_plane import KubeLocalCluster
from testbed.pulumi import cli as pulumi_local
from testbed.pulumi import language_host, no_kubelet
from testbed.pulumi.project import CliProject, CliResult

pytestmark = pytest.mark.kube

STACK = "dev"
PROJECT = "flink-platform"
PASSPHRASE = "e2e-only-passphrase"
EXTRA_NAMESPACE = "streaming-dev-e2e-extra"
KUBERNETES_TYPE_PREFIX = "kubernetes:"
#: Default providers the engine adds for packages used without an explicit provider: the dynamic resources'
#: (pulumi-python) and the StackReference's (pulumi); never kubernetes (disabled by every stack).
ENGINE_DEFAULT_PROVIDERS = {"pulumi-python::default", "pulumi::default"}


@pytest.fixture(scope="module")
def pulumi_tools(tmp_path_factory) -> dict[str, Path]:
    """The CLI and the provider (built on first use), the plugin installed into a fresh PULUMI_HOME."""
    return pulumi_local.install_plugin(tmp_path_factory.mktemp("pulumi-home"))


@pytest.fixture(scope="module")
def engine_cluster(tmp_path_factory, request):
    """A control plane of its own: the engine must create everything itself (nothing applied by other tests)."""
    from tests.kube_fixtures import start_kube_cluster

    yield from start_kube_cluster(tmp_path_factory, request, "kube-pulumi")


def plan_records(config: dict) -> list[dict]:
    plan = build_plan(STACK, config)
    assert plan.ok, plan.problems
    return json.loads(plan.resources_text())["resources"]


def kube_objects(records: list[dict]) -> dict[str, dict]:
    return {r["urn"]: r for r in records if r["type"].startswith(KUBERNETES_TYPE_PREFIX) and r["custom"]
            and "inputs" in r and "kind" in r["inputs"]}


def stack_urn(records: list[dict]) -> str:
    prefix = records[0]["urn"].split("::")[0]  # urn:pulumi:<stack>
    return f"{prefix}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}"


def without_engine_defaults(urns: set[str]) -> set[str]:
    return {u for u in urns if not ("::pulumi:providers:" in u and u.endswith("::default"))}


def offline_verdict(records: list[dict], environment: str, config_file: Path | None = None
                    ) -> set[tuple[str, str, str]]:
    """(policy, URN, level) of every diagnostic the offline gate gives the plan with ``policies/config/<env>.json``
    (or ``config_file``)."""
    config = policy_gate.load_config_file(config_file or policy_gate.CONFIG_DIR / f"{environment}.json")
    report = policy_gate.check_resources(records, stack=STACK, config=config)
    return {(d.policy, d.urn, d.level) for d in report.diagnostics}


def cli_verdict(result: CliResult) -> set[tuple[str, str, str]]:
    return {(e["policyName"], e.get("resourceUrn", ""), e["enforcementLevel"]) for e in result.policy_events()
            if e["policyPackName"] == "flink-platform"}


def live(kube: KubeApi, inputs: dict) -> dict | None:
    try:
        return kube.read(inputs)
    except (KubeApiError, LookupError) as exc:
        if isinstance(exc, LookupError) or exc.status == 404:
            return None
        raise


def test_dev_stack_lifecycle_through_the_pulumi_cli(pulumi_tools, engine_cluster: KubeLocalCluster, tmp_path: Path):
    kube = KubeApi(engine_cluster.server, str(engine_cluster.ca_file), cert=engine_cluster.admin_cert)
    config = stack_config(STACK)
    records = plan_records(config)
    planned = {r["urn"]: r for r in records}
    objects = kube_objects(records)
    context = config["flink-platform:platform"]["cluster"]["kubeconfigContext"]
    kubeconfig = engine_cluster.write_kubeconfig(tmp_path / "kubeconfig", contexts=(context,))
    project = CliProject(tmp_path / "cli", STACK, kubeconfig=kubeconfig, passphrase=PASSPHRASE, tools=pulumi_tools)
    project.create(config)
    try:
        # The CLI runs the language host of the CLI folder (the one built from source), nothing found elsewhere.
        assert shutil.which(language_host.HOST, path=project.env()["PATH"]) == str(project.folder / language_host.HOST)
        about = json.loads(project.check("about", "--json").stdout)
        assert {"name": "python", "kind": "language", "version": pulumi_local.cli_version().lstrip("v")} \
            in about["plugins"], about["plugins"]

        # The reviewer's preview, exactly as the README gives it: the plan's resources, the offline gate's advisories.
        preview = project.preview(*project.policy_args("dev"))
        assert preview.returncode == 0, preview.tail()
        expected = set(planned) | {stack_urn(records)}
        previewed = preview.by_op()
        assert without_engine_defaults(previewed.get("create", set())) == expected, (
            f"previewed but not planned: {sorted(previewed.get('create', set()) - expected)}; "
            f"planned but not previewed: {sorted(expected - previewed.get('create', set()))}")
        assert cli_verdict(preview) == offline_verdict(records, "dev") == set(), (
            "the committed dev stack raises nothing under dev.json (a newcomer's first plan is clean)")
        # Advisories as the CLI reports them: prod's rules, each made advisory, on the same stack.
        advised = tmp_path / "prod-advisory.json"
        prod = json.loads((policy_gate.CONFIG_DIR / "prod.json").read_text())
        advised.write_text(json.dumps({name: ({**value, "enforcementLevel": "advisory"} if isinstance(value, dict)
                                              else "advisory") for name, value in prod.items()}))
        advised_preview = project.preview("--policy-pack", "policies", "--policy-pack-config", str(advised))
        assert advised_preview.returncode == 0, advised_preview.tail()
        advisories = offline_verdict(records, "dev", advised)
        assert advisories and {level for _, _, level in advisories} == {"advisory"}
        assert cli_verdict(advised_preview) == advisories
        for policy, _, _ in advisories:
            assert f"[advisory]  {policy}" in advised_preview.stdout
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "streaming-dev"}}
        assert live(kube, namespace) is None, "a preview must not change the cluster"

        # The prod gate on the same stack: every mandatory violation of the offline gate, and the preview fails.
        gated = project.preview(*project.policy_args("prod"))
        mandatory = {v for v in offline_verdict(records, "prod") if v[2] == "mandatory"}
        assert mandatory, "prod.json must make the dev stack's findings mandatory"
        assert gated.returncode != 0, gated.tail()
        assert "error: preview failed" in gated.output
        assert {v for v in cli_verdict(gated) if v[2] == "mandatory"} == mandatory
        for policy, _, _ in mandatory:
            assert f"[mandatory]  {policy}" in gated.stdout
        assert live(kube, namespace) is None

        # up: exactly the plan's resources are created and every Kubernetes object is live.
        up = project.up()
        assert up.returncode == 0, up.tail()
        created = up.by_op().get("create", set())
        defaults = created - without_engine_defaults(created)
        assert {u.split("::pulumi:providers:")[1] for u in defaults} <= ENGINE_DEFAULT_PROVIDERS
        assert without_engine_defaults(created) == expected, (
            f"created but not planned: {sorted(created - expected)}; "
            f"planned but not created: {sorted(expected - created)}")
        for urn, record in objects.items():
            found = live(kube, record["inputs"])
            assert found is not None, f"{urn} is not in the cluster after up"
            skipped = (found["metadata"].get("annotations") or {}).get(no_kubelet.SKIP_AWAIT_ANNOTATION)
            assert (skipped == "true") == no_kubelet.needs_skip(record["type"]), \
                f"{urn}: the no-kubelet remediation must touch exactly the kinds nothing here makes ready"

        # preview (with the packs of the up) and refresh see no change.
        same = project.preview("--expect-no-changes", *project.policy_args("dev"), *project.local_packs())
        assert same.returncode == 0, same.tail()
        assert set(same.by_op()) - {"read"} == {"same"}, same.by_op().keys()
        refresh = project.refresh()
        assert refresh.returncode == 0, refresh.tail()
        changes = refresh.summary().get("resourceChanges") or {}
        # Only the impact preview's StackReference to this very stack may change: it now reads the outputs the up
        # wrote. Every Kubernetes object and every dynamic resource is unchanged.
        outcomes = refresh.outcomes()
        assert expected <= set(outcomes), refresh.tail()
        updated = {urn: kind for urn, (op, kind) in outcomes.items() if op == "update"}
        assert set(changes) <= {"same", "update"} and changes.get("update", 0) == len(updated), refresh.tail()
        assert set(updated.values()) <= {"pulumi:pulumi:StackReference"}, updated

        # A namespace added to the tenant: the preview shows exactly what the new plan adds or changes.
        changed = json.loads(json.dumps(config))
        changed["flink-platform:platform"]["tenants"][0]["namespaces"].append(EXTRA_NAMESPACE)
        replanned_records = plan_records(changed)
        replanned = {r["urn"]: r for r in replanned_records}
        project.write_config(changed)
        want_create = set(replanned) - set(planned)
        want_update = {urn for urn in set(replanned) & set(planned)
                       if replanned[urn]["custom"] and replanned[urn].get("inputs") != planned[urn].get("inputs")}
        assert want_create, "adding a namespace must add resources to the plan"
        diff = project.preview("--diff", *project.local_packs())
        assert diff.returncode == 0, diff.tail()
        # (the engine's default providers see the changed stack config)
        ops = {op: without_engine_defaults(urns) for op, urns in diff.by_op().items()}
        assert ops.get("create", set()) == want_create, diff.tail()
        assert ops.get("update", set()) == want_update, diff.tail()
        assert not ops.get("delete") and not ops.get("replace"), diff.tail()
        assert EXTRA_NAMESPACE in diff.stdout
        up = project.up()
        assert up.returncode == 0, up.tail()
        assert live(kube, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": EXTRA_NAMESPACE}})

        # destroy: what the plan retains stays, the rest goes.
        destroy = project.destroy()
        assert destroy.returncode == 0, destroy.tail()
        for urn, record in kube_objects(replanned_records).items():
            present = live(kube, record["inputs"])
            if record["options"].get("retainOnDelete"):
                assert present is not None and present["metadata"].get("deletionTimestamp") is None, \
                    f"{urn} is retained on delete but is gone after destroy"
            else:
                assert present is None or present["metadata"].get("deletionTimestamp"), \
                    f"{urn} is not retained but still in the cluster after destroy"
        kinds = {r["inputs"]["kind"] for r in kube_objects(replanned_records).values()
                 if r["options"].get("retainOnDelete")}
        assert {"CustomResourceDefinition", "Namespace"} <= kinds
    finally:
        kube.close()
        project.remove()

