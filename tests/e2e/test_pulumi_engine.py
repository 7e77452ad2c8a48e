"""The real Pulumi engine (CLI v3.274.0 and the Kubernetes provider plugin, both built from Go modules by
``testbed.pulumi.cli``) runs the dev stack against a real local control plane.

The program runs in this process through the Automation API's inline mode (the CLI connects to it with
``--client``), because the Python language host is not served by the module proxy (see ``testbed/pulumi/cli.py``);
engine, state backend (``file://``), secrets provider (passphrase) and provider plugin are the real ones.

The offline plan is the oracle, the engine and the API server are the judges: ``up`` creates exactly the plan's
resources (same URNs) and every Kubernetes object is then live; ``preview`` and ``refresh`` afterwards see no
change; a namespace added to a tenant previews (``--diff``) exactly the resources the plan of the new config adds
or changes and ``up`` makes them; ``destroy`` deletes what is not retained and leaves what the plan marks
``retainOnDelete`` (CRDs, namespaces) in the cluster.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import stack_config
from tests.e2e.kubeapi import KubeApi, KubeApiError
from testbed.pulumi import cli as pulumi_local
from testbed.kube.control_plane import KubeLocalCluster
from planning.plan import build_plan

pytestmark = pytest.mark.kube

STACK = "dev"
PROJECT = "flink-platform"
PASSPHRASE = "e2e-only-passphrase"
EXTRA_NAMESPACE = "streaming-dev-e2e-extra"
KUBERNETES_TYPE_PREFIX = "kubernetes:"


@pytest.fixture(scope="module")
def pulumi_tools(tmp_path_factory) -> dict[str, Path]:
    """The CLI and the provider (built on first use), the plugin installed into a fresh PULUMI_HOME."""
    return pulumi_local.install_plugin(tmp_path_factory.mktemp("pulumi-home"))


@pytest.fixture(scope="module")
def engine_cluster(tmp_path_factory, request):
    """A control plane of its own: the engine must create everything itself (nothing applied by other tests)."""
    from tests.kube_fixtures import start_kube_cluster

    yield from start_kube_cluster(tmp_path_factory, request, "kube-pulumi")


def plan_index(config: dict) -> dict[str, dict]:
    """URN -> registration (type, inputs, options) of the offline plan of ``config`` for the dev stack."""
    plan = build_plan(STACK, config)
    assert plan.ok, plan.problems
    return {r["urn"]: r for r in json.loads(plan.resources_text())["resources"]}


def kube_objects(index: dict[str, dict]) -> dict[str, dict]:
    return {urn: r for urn, r in index.items()
            if r["type"].startswith(KUBERNETES_TYPE_PREFIX) and r["custom"] and "inputs" in r
            and "kind" in r["inputs"]}


class Events:
    """Steps the engine reports (``resourcePreEvent``): URN -> operation."""

    def __init__(self):
        self.ops: dict[str, str] = {}

    def __call__(self, event) -> None:
        pre = getattr(event, "resource_pre_event", None)
        if pre is not None and pre.metadata is not None:
            self.ops[pre.metadata.urn] = str(getattr(pre.metadata.op, "value", pre.metadata.op))

    def by_op(self) -> dict[str, set[str]]:
        grouped = defaultdict(set)
        for urn, op in self.ops.items():
            grouped[op].add(urn)
        return dict(grouped)


def make_workspace(tmp: Path, pulumi_tools: dict, cluster: KubeLocalCluster, config: dict):
    return pulumi_local.local_stack(STACK, config, work_dir=tmp, kubeconfig=tmp / "kubeconfig",
                                    passphrase=PASSPHRASE, tools=pulumi_tools, context_from=cluster)


def write_config(project: Path, config: dict) -> None:
    pulumi_local.write_stack_config(project, STACK, config)


def live(kube: KubeApi, inputs: dict) -> dict | None:
    try:
        return kube.read(inputs)
    except (KubeApiError, LookupError) as exc:
        if isinstance(exc, LookupError) or exc.status == 404:
            return None
        raise


def test_dev_stack_lifecycle_under_the_real_engine(pulumi_tools, engine_cluster: KubeLocalCluster, tmp_path: Path):
    kube = KubeApi(engine_cluster.server, str(engine_cluster.ca_file), cert=engine_cluster.admin_cert)
    config = stack_config(STACK)
    planned = plan_index(config)
    stack, project = make_workspace(tmp_path, pulumi_tools, engine_cluster, config)
    try:
        # up: exactly the plan's resources are created and every Kubernetes object is live
        events = Events()
        up = stack.up(on_event=events, color="never")
        assert up.summary.result == "succeeded", up.stdout
        created = events.by_op().get("create", set())
        # The engine adds a default provider for each package the program uses without an explicit one: here the
        # dynamic providers' (pulumi-python) and the StackReference's (pulumi), never kubernetes (disabled).
        engine_defaults = {urn for urn in created if "::pulumi:providers:" in urn and urn.endswith("::default")}
        assert {urn.split("::pulumi:providers:")[1] for urn in engine_defaults} <= {"pulumi-python::default",
                                                                                   "pulumi::default"}
        created -= engine_defaults
        expected = {urn for urn in planned} | {stack_urn(planned)}
        assert created == expected, (f"created but not planned: {sorted(created - expected)}; "
                                     f"planned but not created: {sorted(expected - created)}")
        for urn, record in kube_objects(planned).items():
            assert live(kube, record["inputs"]) is not None, f"{urn} is not in the cluster after up"

        # preview and refresh see no change
        events = Events()
        preview = stack.preview(on_event=events, color="never")
        # (the impact preview reads this stack's own outputs through a StackReference: a read, not a change)
        assert set(preview.change_summary) - {"read"} == {"same"}, preview.stdout
        assert set(events.by_op()) - {"read"} == {"same"}
        refresh = stack.refresh(color="never")
        # Only the impact preview's StackReference to this very stack may change on refresh: it now reads the
        # outputs the `up` above wrote. Every Kubernetes object and every dynamic resource is unchanged.
        import re

        changes = refresh.summary.resource_changes or {}
        updated = re.findall(r"~\s+(\S+)\s+\S+\s+updated", refresh.stdout)
        assert set(changes) <= {"same", "update"} and changes.get("update", 0) == len(updated), refresh.stdout
        assert set(updated) <= {"pulumi:pulumi:StackReference"}, refresh.stdout

        # a namespace added to the tenant: the preview shows exactly what the new plan adds or changes
        changed = json.loads(json.dumps(config))
        changed["flink-platform:platform"]["tenants"][0]["namespaces"].append(EXTRA_NAMESPACE)
        replanned = plan_index(changed)
        write_config(project, changed)
        want_create = set(replanned) - set(planned)
        want_update = {urn for urn in set(replanned) & set(planned)
                       if replanned[urn]["custom"] and replanned[urn].get("inputs") != planned[urn].get("inputs")}
        assert want_create, "adding a namespace must add resources to the plan"
        events = Events()
        preview = stack.preview(diff=True, on_event=events, color="never")
        # The engine's default providers (pulumi-python for the dynamic resources) see the changed stack config.
        ops = {op: {u for u in urns if not (u.endswith("::default") and "::pulumi:providers:" in u)}
               for op, urns in events.by_op().items()}
        assert ops.get("create", set()) == want_create, preview.stdout
        assert ops.get("update", set()) == want_update, preview.stdout
        assert not ops.get("delete") and not ops.get("replace"), preview.stdout
        assert EXTRA_NAMESPACE in preview.stdout
        up = stack.up(color="never")
        assert up.summary.result == "succeeded", up.stdout
        assert live(kube, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": EXTRA_NAMESPACE}})

        # destroy: what the plan retains stays, the rest goes
        destroy = stack.destroy(color="never")
        assert destroy.summary.result == "succeeded", destroy.stdout
        for urn, record in kube_objects(replanned).items():
            present = live(kube, record["inputs"])
            if record["options"].get("retainOnDelete"):
                assert present is not None and present["metadata"].get("deletionTimestamp") is None, \
                    f"{urn} is retained on delete but is gone after destroy"
            else:
                assert present is None or present["metadata"].get("deletionTimestamp"), \
                    f"{urn} is not retained but still in the cluster after destroy"
        kinds = {r["inputs"]["kind"] for r in kube_objects(replanned).values() if r["options"].get("retainOnDelete")}
        assert {"CustomResourceDefinition", "Namespace"} <= kinds
    finally:
        kube.close()
        try:
            stack.workspace.remove_stack(STACK, force=True)
        except Exception:  # noqa: BLE001 - the stack may not exist if up failed early
            pass
        shutil.rmtree(project, ignore_errors=True)


def stack_urn(index: dict[str, dict]) -> str:
    any_urn = next(iter(index))
    prefix = any_urn.split("::")[0]  # urn:pulumi:<stack>
    return f"{prefix}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}"

