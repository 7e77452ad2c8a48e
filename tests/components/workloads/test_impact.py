"""The stateful-impact classification: a table of spec changes and what the operator 1.15 does with each."""

from __future__ import annotations

import copy
from typing import Any, Callable

import pytest

from components.workloads import impact

SAVEPOINTS = "s3://bucket/t/ns/app/savepoints"


def app(**job: Any) -> dict:
    """A stateful application FlinkDeployment record."""
    return {
        "kind": "FlinkDeployment",
        "name": "orders",
        "autoClean": False,
        "spec": {
            "image": "flink:2.2.0",
            "flinkVersion": "v2_2",
            "serviceAccount": "flink",
            "flinkConfiguration": {"execution.checkpointing.savepoint-dir": SAVEPOINTS,
                                   "execution.checkpointing.dir": "s3://bucket/t/ns/app/checkpoints"},
            "jobManager": {"resource": {"cpu": 1, "memory": "2048m"}, "replicas": 1},
            "taskManager": {"resource": {"cpu": 1, "memory": "2048m"}},
            "job": {"jarURI": "local:///opt/flink/usrlib/orders.jar", "parallelism": 2, "upgradeMode": "savepoint",
                    "state": "running", **job},
        },
    }


def session(**spec: Any) -> dict:
    record = app()
    del record["spec"]["job"]
    record["spec"].update(spec)
    return record


def session_job(**job: Any) -> dict:
    return {"kind": "FlinkSessionJob", "name": "report", "autoClean": False,
            "spec": {"deploymentName": "reporting", "flinkConfiguration": {
                "execution.checkpointing.savepoint-dir": SAVEPOINTS},
                     "job": {"jarURI": "https://a.example/r.jar", "parallelism": 2, "upgradeMode": "savepoint",
                             "state": "running", **job}}}


def change(record: dict, edit: Callable[[dict], None]) -> dict:
    new = copy.deepcopy(record)
    edit(new["spec"])
    return new


def _set_job(**values: Any) -> Callable[[dict], None]:
    return lambda spec: spec["job"].update(values)


def _set(**values: Any) -> Callable[[dict], None]:
    return lambda spec: spec.update(values)


def _drop_savepoint_dir(spec: dict) -> None:
    spec["flinkConfiguration"].pop("execution.checkpointing.savepoint-dir")
    spec["image"] = "flink:2.2.1"


# (description, old, new, expected action, a reason fragment or None, a warning fragment or None)
CASES = [
    ("first deploy", None, app(), impact.CREATE, "starts from empty state", None),
    ("first deploy from a savepoint", None, app(initialSavepointPath="s3://b/sp-1"), impact.CREATE,
     "restores from initialSavepointPath s3://b/sp-1", None),
    ("nothing changed", app(), app(), impact.NOTHING, None, None),
    ("upgradeMode alone", app(), app(upgradeMode="last-state"), impact.NOTHING, "only upgradeMode changed", None),
    ("initialSavepointPath alone", app(), app(initialSavepointPath="s3://b/sp-2"), impact.NOTHING,
     "only initialSavepointPath changed", None),
    ("allowNonRestoredState alone", app(), app(allowNonRestoredState=True), impact.NOTHING,
     "only allowNonRestoredState changed", "allowNonRestoredState False → True"),
    ("savepointTriggerNonce alone", app(), app(savepointTriggerNonce=1), impact.NOTHING,
     "a manual savepoint is triggered", None),
    ("new image, savepoint mode", app(), change(app(), _set(image="flink:2.2.1")), impact.SAVEPOINT_UPGRADE,
     "changed: image", None),
    ("new image, last-state mode", app(upgradeMode="last-state"),
     change(app(upgradeMode="last-state"), _set(image="flink:2.2.1")), impact.LAST_STATE_UPGRADE,
     "restore from HA metadata", None),
    ("new image, stateless mode", app(upgradeMode="stateless"),
     change(app(upgradeMode="stateless"), _set(image="flink:2.2.1")), impact.STATELESS_RESTART, "changed: image",
     None),
    ("switch to stateless with a change", app(), change(app(upgradeMode="stateless"), _set(image="flink:2.2.1")),
     impact.STATELESS_RESTART, None, "discards the job's state"),
    ("parallelism change", app(), app(parallelism=4), impact.SAVEPOINT_UPGRADE, "changed: job.parallelism",
     "parallelism 2 → 4"),
    ("version change, last-state", app(upgradeMode="last-state"),
     change(app(upgradeMode="last-state"), _set(flinkVersion="v2_1")), impact.LAST_STATE_UPGRADE,
     "takes a savepoint instead", None),
    ("suspend", app(), app(state="suspended"), impact.SUSPEND, "stop with a savepoint", None),
    ("resume", app(state="suspended"), app(), impact.RESUME, "restore from the suspend savepoint", None),
    ("spec change while suspended", app(state="suspended"), change(app(state="suspended"), _set(image="flink:2.2.1")),
     impact.NOTHING, "applied when the job is resumed", None),
    ("application → session", app(), session(), impact.FORBIDDEN, "application → session", None),
    ("session → application", session(), app(), impact.FORBIDDEN, "session → application", None),
    ("native → standalone", app(), change(app(), _set(mode="standalone")), impact.FORBIDDEN,
     "native ↔ standalone", None),
    ("flinkVersion after a last-state suspend", app(upgradeMode="last-state", state="suspended"),
     change(app(upgradeMode="last-state", state="suspended"), _set(flinkVersion="v2_1")), impact.FORBIDDEN,
     "after a last-state suspend", None),
    ("savepoint redeploy", app(initialSavepointPath="s3://b/sp-3"),
     app(initialSavepointPath="s3://b/sp-3", savepointRedeployNonce=1), impact.SAVEPOINT_REDEPLOY,
     "redeploy from initialSavepointPath", None),
    ("savepoint redeploy without a path", app(), app(savepointRedeployNonce=1), impact.FORBIDDEN,
     "InitialSavepointPath must not be empty", None),
    ("standalone rescale", change(app(), _set(mode="standalone")),
     change(app(parallelism=4), _set(mode="standalone")), impact.SCALE, None, "parallelism 2 → 4"),
    ("stateful upgrade without a savepoint dir", app(), change(app(), _drop_savepoint_dir), impact.SAVEPOINT_UPGRADE,
     None, "without a savepoint directory"),
    ("session cluster change", session(), change(session(), _set(image="flink:2.2.1")), impact.CLUSTER_REDEPLOY,
     "session jobs on it are restarted", None),
    ("session job deploymentName", session_job(), change(session_job(), _set(deploymentName="other")),
     impact.FORBIDDEN, "The deploymentName can't be changed", None),
    ("session job new jar", session_job(), session_job(jarURI="https://a.example/r-2.jar"), impact.SAVEPOINT_UPGRADE,
     "changed: job.jarURI", None),
    ("removed workload", app(), None, impact.DELETE, None, "savepoint history is dropped"),
]


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 12
    assert {c[3] for c in CASES} >= {impact.NOTHING, impact.STATELESS_RESTART, impact.SAVEPOINT_UPGRADE,
                                      impact.LAST_STATE_UPGRADE, impact.FORBIDDEN}


@pytest.mark.parametrize(("what", "old", "new", "action", "reason", "warning"), CASES, ids=[c[0] for c in CASES])
def test_impact(what: str, old: dict | None, new: dict | None, action: str, reason: str | None,
                warning: str | None) -> None:
    verdict = impact.classify("FlinkDeployment/ns/orders", old, new)
    assert verdict.action == action, verdict.line()
    if reason:
        assert any(reason in r for r in verdict.reasons), verdict.line()
    if warning:
        assert any(warning in w for w in verdict.warnings), verdict.line()
    else:
        assert verdict.warnings == (), verdict.line()


def test_integral_numbers_compare_equal_whatever_their_type() -> None:
    """The engine carries numbers as doubles: cpu 1 and 1.0 are the same spec (no phantom upgrade)."""
    floats = change(app(), lambda spec: spec["jobManager"]["resource"].update(cpu=1.0))
    assert impact.classify("k", app(), floats).action == impact.NOTHING
    assert impact.restart_fingerprint(app()) == impact.restart_fingerprint(floats)


def test_the_table_file_lists_every_workload() -> None:
    impacts = impact.compare({"a": app()}, {"a": app(parallelism=3), "b": session()})
    text = impact.table(impacts, previous_known=True)
    rows = [line for line in text.splitlines() if line.startswith("| a ") or line.startswith("| b ")]
    assert [r.split(" | ")[1] for r in rows] == [impact.SAVEPOINT_UPGRADE, impact.CREATE]
    assert "No previous plan" in impact.table(impacts, previous_known=False)


def test_a_session_job_takes_the_impact_of_its_redeployed_session_cluster() -> None:
    cluster = {**session(), "name": "reporting"}
    previous = {"FlinkDeployment/ns/reporting": cluster, "FlinkSessionJob/ns/report": session_job(),
                "FlinkSessionJob/ns/other": {**session_job(), "spec": {**session_job()["spec"],
                                                                        "deploymentName": "elsewhere"}}}
    current = {**previous, "FlinkDeployment/ns/reporting": change(cluster, _set(image="flink:2.2.1"))}
    got = {i.key: i for i in impact.compare(previous, current)}
    assert got["FlinkDeployment/ns/reporting"].action == impact.CLUSTER_REDEPLOY
    job = got["FlinkSessionJob/ns/report"]
    assert job.action == impact.CLUSTER_REDEPLOY
    assert job.reasons[0] == ("its session cluster FlinkDeployment/ns/reporting has the impact 'session cluster "
                              "redeploy': the job is restarted from its last savepoint/checkpoint")
    assert got["FlinkSessionJob/ns/other"].action == impact.NOTHING
    unchanged = {i.key: i.action for i in impact.compare(previous, previous)}
    assert set(unchanged.values()) == {impact.NOTHING}
