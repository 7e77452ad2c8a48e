"""The real operator 1.15.0 (built from ``../shared``) runs every committed stack's operators on a local control plane.

Per stack, one control plane holds the whole plan (applied as in ``test_stacks_on_apiserver``), and every operator
the plan installs runs with its Deployment's replica count as plain JVMs (:mod:`testbed.operator.run`): each with a
TokenRequest token for exactly the plan's operator ServiceAccount and the plan's own ``flink-operator-config``.
The API server's audit log tells what each replica's token asked for and what the authorizer refused (events
are told apart by the token's ``credential-id``, so two replicas of one ServiceAccount are counted apart).

Shown, for every stack: each replica starts; an operator with leader election (more than one replica: prod) holds
its Lease, exactly one replica writes, and the other takes over within the elector's bound (the lease duration
plus two jittered retry periods after the last renewal) when the leader is SIGKILLed; each operator watches
exactly the plan's namespaces and reconciles every FlinkDeployment of the stack to its JobManager objects (the
JobManager Deployment, its Services and ConfigMaps; with no kubelet the pods stay Pending and the status says the
JobManager is not ready); no ``forbidden`` in any log and no refusal in the audit log; a namespace added to a tenant
by re-applying the plan is reconciled without a restart (dynamic namespaces); a tenant's own operator whose watched
namespaces are deliberately widened beyond its RBAC is refused by the authorizer (> 0), where the plan's gets 0.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from components.operator import upstream
from tests.conftest import STACKS, platform_config, stack_config, write_stack_file
from tests.e2e import plan_objects as po
from tests.e2e.kubeapi import FIELD_MANAGER, KubeApi, KubeApiError
from tests.e2e.test_stacks_on_apiserver import _external, apply_all
from testbed.kube.control_plane import KubeLocalCluster
from testbed.operator import run

pytestmark = pytest.mark.kube

#: A documentation address (TEST-NET-3): public, so the operator's restricted-host check accepts it; nothing ever
#: connects to it here (a session job is submitted only once its session cluster's JobManager is ready, which no
#: pod becomes without a kubelet).
JAR_HOST_ADDRESS = "203.0.113.10"
RECONCILE_DEADLINE_S = 180.0
CREDENTIAL_ID = "authentication.kubernetes.io/credential-id"
DECISION = "authorization.k8s.io/decision"
#: io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector.JITTER_FACTOR (the elector JOSDK uses).
FABRIC8_JITTER_FACTOR = 1.2
#: The FlinkDeployment put into a namespace added by re-applying the plan (the operator's basic example).
ADDED_NAMESPACE_SUFFIX = "-added"


def jar_hosts(objects: list[dict]) -> dict[str, str]:
    """Every http(s) host a FlinkSessionJob's jarURI names, mapped to :data:`JAR_HOST_ADDRESS`."""
    from urllib.parse import urlsplit

    hosts = {}
    for obj in objects:
        uri = ((obj.get("spec") or {}).get("job") or {}).get("jarURI") or ""
        if obj["kind"] == "FlinkSessionJob" and urlsplit(uri).scheme in ("http", "https"):
            hosts[urlsplit(uri).hostname] = JAR_HOST_ADDRESS
    return hosts


@dataclass
class Bed:
    """One stack's control plane, its applied plan and its running operator replicas."""

    stack: str
    cluster: KubeLocalCluster
    kube: KubeApi
    plane: run.ControlPlane
    objects: list[dict]
    installs: list[run.OperatorInstall]
    work_dir: Path
    replicas: dict[str, list[run.OperatorReplica]] = field(default_factory=dict)
    startup_s: dict[str, float] = field(default_factory=dict)

    def start_replica(self, install: run.OperatorInstall, index: int, **kwargs) -> run.OperatorReplica:
        hostname = f"{install.deployment['metadata']['name']}-{index}"
        replica = run.OperatorReplica(install, self.plane, self.work_dir / install.namespace / hostname, hostname,
                                      hosts=jar_hosts(self.objects), **kwargs)
        replica.start()
        self.startup_s[replica.hostname + "@" + install.namespace] = round(time.monotonic() - replica.started_at, 1)
        return replica

    def audit(self, replica: run.OperatorReplica) -> list[dict]:
        """The audit events of ``replica``'s token."""
        return [e for e in self.cluster.audit_events()
                if (e.get("user") or {}).get("extra", {}).get(CREDENTIAL_ID) == [replica.credential_id]]

    def stop(self) -> list[int]:
        survivors = []
        for replicas in self.replicas.values():
            for replica in replicas:
                survivors += replica.stop()
        return survivors


def refusals(events: list[dict]) -> list[dict]:
    return [e for e in events if (e.get("annotations") or {}).get(DECISION) == "forbid"
            or (e.get("responseStatus") or {}).get("code") == 403]


@pytest.fixture(scope="module", params=STACKS)
def bed(request, tmp_path_factory, committed_plans: dict[str, Path]):
    """A control plane with the stack's plan applied and every operator of the plan running."""
    from tests.kube_fixtures import start_kube_cluster

    stack = request.param
    objects = [o for o in po.load_objects(committed_plans[stack]) if not _external(o)]
    for cluster in start_kube_cluster(tmp_path_factory, request, f"kube-operator-{stack}"):
        kube = KubeApi(cluster.server, str(cluster.ca_file), cert=cluster.admin_cert)
        plane = run.ControlPlane(cluster.server, cluster.ca_file, cluster.admin_cert)
        apply_all(kube, objects, f"{FIELD_MANAGER}-{stack}")
        bed = Bed(stack, cluster, kube, plane, objects, run.operator_installs(objects),
                  tmp_path_factory.mktemp(f"operator-{stack}"))
        try:
            for install in bed.installs:
                bed.replicas[install.namespace] = []
                for index in range(install.replicas):
                    bed.replicas[install.namespace].append(bed.start_replica(install, index))
            print(f"{stack}: operator replicas up (spawn to health probe 200, s): {bed.startup_s}")
            yield bed
        finally:
            survivors = bed.stop()
            kube.close()
            keep_operator_logs(bed, request)
        assert not survivors, f"operator processes {survivors} survived SIGKILL"


def keep_operator_logs(bed: Bed, request) -> None:
    """Copy the replicas' logs beside the control plane's (``build/test-logs``) when a test failed."""
    import shutil

    from tests.local_clusters import TEST_LOG_DIR

    if request.session.testsfailed:
        target = TEST_LOG_DIR / "operator" / f"{time.strftime('%Y%m%d-%H%M%S')}-{bed.stack}"
        for replicas in bed.replicas.values():
            for replica in replicas:
                if replica.log_path.exists():
                    (target / replica.install.namespace).mkdir(parents=True, exist_ok=True)
                    shutil.copy(replica.log_path, target / replica.install.namespace / f"{replica.hostname}.log")
        print(f"operator logs kept in {target}")


def wait_for(what: str, probe, deadline_s: float = RECONCILE_DEADLINE_S, interval_s: float = 1.0):
    end = time.monotonic() + deadline_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"{what}: not within {deadline_s:.0f} s (last: {value!r})")
        time.sleep(interval_s)


def leader(bed: Bed, install: run.OperatorInstall) -> run.OperatorReplica | None:
    """The replica holding the install's Lease; without leader election (one replica), that replica."""
    if not install.lease_name:
        (only,) = bed.replicas[install.namespace]
        return only
    lease = run.lease(bed.plane, install) or {}
    holder = (lease.get("spec") or {}).get("holderIdentity")
    return next((r for r in bed.replicas[install.namespace] if r.hostname == holder), None)


def test_the_plan_installs_the_operators_it_declares(bed: Bed) -> None:
    config = platform_config(bed.stack)
    expected = {config["operator"]["namespace"]} | {t["operator"]["namespace"] for t in config["tenants"]
                                                      if t.get("operator")}
    assert {i.namespace for i in bed.installs} == expected
    for install in bed.installs:
        assert install.service_account == upstream.OPERATOR_SERVICE_ACCOUNT
        # the plan turns leader election on exactly when it runs more than one replica
        assert (install.lease_name is not None) == (install.replicas > 1), install.label


def test_each_operator_starts_and_holds_its_lease(bed: Bed) -> None:
    """Every replica is up (health probe 200); with leader election one holds the Lease and renews it for longer
    than the lease duration without losing it; without, no Lease is taken."""
    for install in bed.installs:
        assert all(r.alive() and r.healthy() for r in bed.replicas[install.namespace]), install.label
        if not install.lease_name:
            leases = bed.kube.get(f"/apis/coordination.k8s.io/v1/namespaces/{install.namespace}/leases")["items"]
            assert leases == [], f"{install.label} runs without leader election but took {leases}"
            continue
        first = wait_for(f"{install.label}: a replica holds {install.lease_name}", lambda: leader(bed, install),
                         deadline_s=60)
        duration = install.lease_setting_s(run.KEY_LEASE_DURATION)
        lease = run.lease(bed.plane, install)
        assert lease["spec"]["leaseDurationSeconds"] == int(duration)
        renewed = lease["spec"]["renewTime"]
        time.sleep(duration + 1)
        later = run.lease(bed.plane, install)
        assert later["spec"]["holderIdentity"] == first.hostname, "the lease changed hands with nobody killed"
        assert later["spec"]["renewTime"] != renewed, "the leader stopped renewing its lease"
        assert all(r.alive() and r.healthy() for r in bed.replicas[install.namespace])


#: Verbs that change something: a standby may read (JOSDK starts every replica's informers), only a leader writes.
WRITES = ("create", "update", "patch", "delete", "deletecollection")


#: What a standby may create too: its attempts at the Lease, and reviews of its own permissions (queries, stored
#: nowhere; every replica asks at startup).
NOT_WRITES = ("leases", "selfsubjectrulesreviews", "selfsubjectaccessreviews")


def writes(events: list[dict]) -> list[dict]:
    """Allowed writes to anything but :data:`NOT_WRITES`."""
    return [e for e in events if e["verb"] in WRITES and (e.get("objectRef") or {}).get("resource") not in NOT_WRITES
            and (e.get("annotations") or {}).get(DECISION) == "allow"]


def test_exactly_one_replica_leads(bed: Bed) -> None:
    """Only the Lease's holder writes (creates the JobManager objects, patches the status); a standby writes
    nothing but its attempts at the Lease."""
    for install in bed.installs:
        replicas = bed.replicas[install.namespace]
        assert len(replicas) == install.replicas
        the_leader = wait_for(f"{install.label}: a leader", lambda: leader(bed, install), deadline_s=60)
        assert wait_for(f"{install.label}: the leader writes", lambda: writes(bed.audit(the_leader)))
        for replica in replicas:
            if replica is not the_leader and replica.alive():  # (a leader killed by the failover test is dead)
                written = writes(bed.audit(replica))
                assert written == [], (f"{install.label}: the standby {replica.hostname} wrote",
                                       [(e["verb"], e.get("objectRef")) for e in written[:5]])


def test_every_flink_deployment_is_reconciled_to_its_jobmanager(bed: Bed) -> None:
    deployments = [o for o in bed.objects if o["kind"] == "FlinkDeployment"]
    assert deployments, f"the {bed.stack} plan has no FlinkDeployment"
    for fd in deployments:
        assert_reconciled(bed.kube, fd["metadata"]["namespace"], fd["metadata"]["name"])


def assert_reconciled(kube: KubeApi, namespace: str, name: str) -> None:
    """The JobManager objects the operator creates for FlinkDeployment ``namespace/name``, its Pending pods, and a
    status that says the JobManager is deploying (not an error)."""
    ns = f"/namespaces/{namespace}"

    def get(path: str):
        try:
            return kube.get(path)
        except KubeApiError as exc:
            if exc.status == 404:
                return None
            raise

    deployment = wait_for(f"{namespace}/{name}: the JobManager Deployment",
                          lambda: get(f"/apis/apps/v1{ns}/deployments/{name}"))
    assert deployment["metadata"]["ownerReferences"][0]["kind"] == "FlinkDeployment"
    # Flink's native Kubernetes deployer: the REST Service, the internal JobManager Service unless HA is on (the
    # JobManager is then found through the HA services), the Flink config ConfigMap; all owned by the Deployment
    owned = {"Service": [f"{name}-rest"], "ConfigMap": [f"flink-config-{name}"]}
    conf = ((get(f"/apis/flink.apache.org/v1beta1{ns}/flinkdeployments/{name}") or {}).get("spec") or {}).get(
        "flinkConfiguration") or {}
    if str(conf.get("high-availability.type", conf.get("high-availability", "NONE"))).upper() == "NONE":
        owned["Service"].append(name)
    for kind, names in owned.items():
        for child in names:
            live = wait_for(f"{namespace}: the {kind} {child}", lambda: get(f"/api/v1{ns}/{kind.lower()}s/{child}"),
                            deadline_s=60)
            assert [(o["kind"], o["name"]) for o in live["metadata"]["ownerReferences"]] == [("Deployment", name)]
    pods = wait_for(f"{namespace}/{name}: JobManager pods", lambda: kube.get(
        f"/api/v1{ns}/pods", labelSelector=f"app={name},component=jobmanager")["items"])
    assert {p["status"].get("phase") for p in pods} == {"Pending"}
    def deploying():
        status = (get(f"/apis/flink.apache.org/v1beta1{ns}/flinkdeployments/{name}") or {}).get("status") or {}
        return status if status.get("jobManagerDeploymentStatus") in ("DEPLOYING", "DEPLOYED_NOT_READY") else None

    # the status says the JobManager is deploying (first MISSING, until the operator has created it)
    fd = wait_for(f"{namespace}/{name}: the operator's status says the JobManager is deploying", deploying)
    assert not fd.get("error"), fd


def test_every_flink_session_job_passes_the_operators_validation(bed: Bed) -> None:
    """The operator validates a FlinkSessionJob before it waits for its session cluster: each of the plan's gets
    past validation (its jar host resolves, through the JVM's hosts file, to a public address); a copy whose jar
    host resolves nowhere is refused with the operator's own message, so the check can fail."""
    jobs = [o for o in bed.objects if o["kind"] == "FlinkSessionJob"]
    configured = (platform_config(bed.stack).get("workloads") or {}).get("sessionJobs") or []
    assert sorted(o["metadata"]["name"] for o in jobs) == sorted(j["name"] for j in configured)  # staging: none
    for job in jobs:
        meta = job["metadata"]
        shared = next(i for i in bed.installs if meta["namespace"] in i.watched_namespaces)
        logs = lambda: "".join(r.log_text() for r in bed.replicas[shared.namespace])  # noqa: E731
        wait_for(f"{meta['namespace']}/{meta['name']}: past validation, waiting for its session cluster",
                 lambda: f"[{meta['namespace']}/{meta['name']}] Not ready for reconciliation yet" in logs())
        live = bed.kube.get(f"/apis/flink.apache.org/v1beta1/namespaces/{meta['namespace']}/flinksessionjobs/"
                            f"{meta['name']}")
        assert not (live.get("status") or {}).get("error"), live["status"]
        unresolvable = copy.deepcopy(job)
        unresolvable["metadata"] = {"name": f"{meta['name']}-unresolvable", "namespace": meta["namespace"]}
        uri = unresolvable["spec"]["job"]["jarURI"]
        host = uri.split("/")[2]
        unresolvable["spec"]["job"]["jarURI"] = uri.replace(host, "unresolvable.acme.example", 1)
        bed.kube.apply(unresolvable)
        path = (f"/apis/flink.apache.org/v1beta1/namespaces/{meta['namespace']}/flinksessionjobs/"
                f"{unresolvable['metadata']['name']}")
        try:
            error = wait_for("the unresolvable copy refused by the operator's validator",
                             lambda: (bed.kube.get(path).get("status") or {}).get("error"))
            assert "jarURI host 'unresolvable.acme.example' cannot be resolved" in error, error
        finally:
            bed.kube.delete(unresolvable)


def test_each_operator_watches_exactly_the_plans_namespaces(bed: Bed) -> None:
    for install in bed.installs:
        the_leader = wait_for(f"{install.label}: a leader", lambda: leader(bed, install), deadline_s=60)
        watched = {(e.get("objectRef") or {}).get("namespace") for e in bed.audit(the_leader)
                   if e["verb"] == "watch" and (e.get("objectRef") or {}).get("resource") == "flinkdeployments"}
        assert watched == set(install.watched_namespaces), (install.label, watched)


def test_no_operator_is_refused_anything(bed: Bed) -> None:
    for replicas in bed.replicas.values():
        for replica in replicas:
            assert "forbidden" not in replica.log_text().lower(), replica.log_tail()
            events = bed.audit(replica)
            assert events, f"{replica.hostname}: no audit event carries its token"
            assert refusals(events) == [], refusals(events)[:3]


def test_a_namespace_added_to_a_tenant_is_reconciled_without_a_restart(bed: Bed, tmp_path: Path) -> None:
    """Re-apply the plan with one more namespace for the first tenant (run by the shared operator): the operator
    takes the new ``watched.namespaces`` from its ConfigMap and reconciles a FlinkDeployment there, same process."""
    from planning import plan

    config = copy.deepcopy(stack_config(bed.stack))
    tenant = next(t for t in config["flink-platform:platform"]["tenants"] if not t.get("operator"))
    added = tenant["namespaces"][0] + ADDED_NAMESPACE_SUFFIX
    tenant["namespaces"].append(added)
    out = tmp_path / "plan"
    assert plan.main(["--stack", bed.stack, "--config-file", str(write_stack_file(tmp_path / "stack.yaml", config)),
                      "--out", str(out)]) == 0
    objects = [o for o in po.load_objects(out) if not _external(o)]
    shared = next(i for i in bed.installs if i.namespace == config["flink-platform:platform"]["operator"]["namespace"])
    pids = [r.pid for r in bed.replicas[shared.namespace]]
    apply_all(bed.kube, objects, f"{FIELD_MANAGER}-{bed.stack}")
    for replica in bed.replicas[shared.namespace]:
        replica.sync_config()  # the kubelet's part: the mounted ConfigMap follows the live one
    # one of the tenant's own FlinkDeployments (its pods pass the tenant's Pod Security level), put into the new one
    original = next(o for o in objects if o["kind"] == "FlinkDeployment"
                    and o["metadata"]["namespace"] in tenant["namespaces"][:-1])
    moved = copy.deepcopy(original)
    moved["metadata"] = {**{k: v for k, v in original["metadata"].items() if k in ("name", "labels")},
                         "namespace": added}
    bed.kube.apply(moved)
    assert_reconciled(bed.kube, added, moved["metadata"]["name"])
    assert [r.pid for r in bed.replicas[shared.namespace]] == pids
    assert all(r.alive() for r in bed.replicas[shared.namespace])


def test_a_tenant_operator_is_refused_outside_its_namespaces(bed: Bed) -> None:
    """The plan's tenant operators get no refusal (above); one widened on purpose to watch another tenant's
    namespace too is refused there by the authorizer, so the count can fail."""
    config = platform_config(bed.stack)
    tenant_installs = [i for i in bed.installs if i.namespace != config["operator"]["namespace"]]
    assert len(tenant_installs) == len([t for t in config["tenants"] if t.get("operator")])  # dev, staging: none
    for install in tenant_installs:
        assert_refused_when_widened(bed, install, config)


def assert_refused_when_widened(bed: Bed, install: run.OperatorInstall, config: dict) -> None:
    other = next(n for t in config["tenants"] if not t.get("operator") for n in t["namespaces"])
    widened = run.OperatorReplica(install, bed.plane, bed.work_dir / "widened" / install.namespace, "widened-0",
                                  hosts=jar_hosts(bed.objects), start_deadline_s=120, config_overrides={
                                      upstream.KEY_WATCHED_NAMESPACES: ",".join([*install.watched_namespaces, other]),
                                      upstream.KEY_LEASE_NAME: f"{install.lease_name}-widened"})
    try:
        try:
            widened.start()
        except run.OperatorStartError:
            pass  # refused informers may stop it at startup (kubernetes.operator.startup.stop-on-informer-error)
        refused = wait_for("the widened operator refused outside its namespaces",
                           lambda: refusals(bed.audit(widened)), deadline_s=120)
        assert {(e.get("objectRef") or {}).get("namespace") for e in refused} == {other}, refused[:3]
        print(f"{install.label} widened to {other}: {len(refusals(bed.audit(widened)))} refusals, "
              f"{'forbidden' in widened.log_text().lower() and 'forbidden in its log' or 'no forbidden in its log'}")
    finally:
        widened.stop()
    for replica in bed.replicas[install.namespace]:
        assert refusals(bed.audit(replica)) == []


def test_an_operator_that_cannot_start_names_the_step_and_leaves_nothing_running(bed: Bed) -> None:
    install = bed.installs[0]
    replica = run.OperatorReplica(install, bed.plane, bed.work_dir / "broken", "broken-0", start_deadline_s=60,
                                  config_overrides={"kubernetes.operator.reconcile.interval": "not a duration"})
    with pytest.raises(run.OperatorStartError) as failed:
        replica.start()
    message = str(failed.value)
    assert "waiting for the health probe failed" in message and str(replica.log_path) in message, message
    assert "not a duration" in message, "the log's tail shows why"
    assert replica.proc is not None and not replica.alive()
    from testbed.process_groups import group_members
    assert group_members(replica.proc.pid) == []


def test_the_standby_takes_over_within_the_lease_duration(bed: Bed) -> None:
    """Runs last in each module (it kills a leader): the standby holds the lease within the elector's bound after
    the killed leader's last renewal (below); the time from the kill is printed."""
    multi = [i for i in bed.installs if i.replicas > 1]  # dev, staging: none (one replica, no leader election)
    for install in multi:
        old = wait_for(f"{install.label}: a leader", lambda: leader(bed, install), deadline_s=60)
        last_renewal = run.lease(bed.plane, install)["spec"]["renewTime"]
        killed_at = time.monotonic()
        assert old.kill() == []
        new = wait_for(f"{install.label}: a new leader", lambda: (lambda r: r if r and r is not old else None)(
            leader(bed, install)), deadline_s=120, interval_s=0.2)
        took = time.monotonic() - killed_at
        lease = run.lease(bed.plane, install)["spec"]
        from datetime import datetime
        gap = (datetime.fromisoformat(lease["acquireTime"].replace("Z", "+00:00"))
               - datetime.fromisoformat(last_renewal.replace("Z", "+00:00"))).total_seconds()
        # fabric8's LeaderElector retries every retryPeriod x (1 + up to JITTER_FACTOR 1.2) and counts the lease
        # from when it last saw the record change: a standby sees the last renewal within one such retry and
        # takes over at the first retry after leaseDuration more
        retry = install.lease_setting_s(run.KEY_RETRY_PERIOD) * (1 + FABRIC8_JITTER_FACTOR)
        bound = install.lease_setting_s(run.KEY_LEASE_DURATION) + 2 * retry
        print(f"{install.label}: {new.hostname} took over {took:.1f} s after the kill, {gap:.1f} s after the last "
              f"renewal (lease {lease['leaseDurationSeconds']} s, bound {bound:.0f} s)")
        assert gap <= bound, (gap, bound)
        assert lease["leaseTransitions"] >= 1
        assert new.alive() and not old.alive()
