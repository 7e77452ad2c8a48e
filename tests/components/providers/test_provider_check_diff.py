"""check/diff of FlinkJob and SavepointGate: validation messages, preview unknowns, diff decisions, no network.

Every test points the inputs at a closed port and forbids socket connections, so a check or diff that tried to
reach Flink fails loudly instead of passing by luck.
"""

from __future__ import annotations

import socket

import pytest
from pulumi.output import Unknown
from pulumi.runtime import rpc

from components.providers.flink_job import FlinkJobProvider
from components.providers.savepoint_gate import SavepointGateProvider
from tests.components.providers.provider_helpers import PASSWORD, TOKEN, closed_port_url

SHA = "ab" * 32
CLOSED_URL = closed_port_url()


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self, *args, **kwargs):
        raise AssertionError(f"check/diff tried to open a connection to {args}")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


def job_news(**overrides) -> dict:
    return {"restUrl": CLOSED_URL, "jar": "/opt/jobs/job.jar", "jarSha256": SHA, "entryClass": "a.B",
            "args": ["--out", "/tmp/x"], "parallelism": 1, **overrides}


def stored_outputs(news: dict, **computed) -> dict:
    """What the engine would hold after create: checked inputs without secrets, plus computed outputs."""
    checked = FlinkJobProvider().check({}, news).inputs
    outs = {k: v for k, v in checked.items() if k not in ("bearerToken", "basicPassword")}
    outs.update({"jobId": "0" * 32, "jarId": "x.jar", "state": "RUNNING", **computed})
    return outs


def reasons(result) -> dict[str, str]:
    return {f.property: f.reason for f in result.failures}


# --- FlinkJob check -------------------------------------------------------------------------------------------
def test_check_fills_defaults_and_accepts_engine_numbers():
    result = FlinkJobProvider().check({}, job_news(parallelism=2.0, flinkConfiguration={"a.b": 5.0, "c": True}))
    assert result.failures == []
    inputs = result.inputs
    assert inputs["parallelism"] == 2 and inputs["upgradeMode"] == "savepoint" and inputs["onDelete"] == "savepoint"
    assert inputs["timeouts"] == {"runningS": 120.0, "savepointS": 300.0, "checkpointS": 180.0}
    assert inputs["flinkConfiguration"] == {"a.b": "5", "c": "true"}


def test_check_failures_name_field_value_and_what_is_allowed():
    news = job_news(jar="http://repo.example/job.jar", jarSha256="ABC", upgradeMode="last-state", parallelism=0,
                    onDelete="destroy", timeouts={"runningS": -1}, restUrl="ftp://jm:8081", surprise=1)
    found = reasons(FlinkJobProvider().check({}, news))
    assert "scheme 'http' is not allowed; use https" in found["jar"] and "http://repo.example/job.jar" in found["jar"]
    assert "64 lowercase hex" in found["jarSha256"] and "'ABC'" in found["jarSha256"]
    assert "'savepoint' or 'stateless'" in found["upgradeMode"] and "'last-state'" in found["upgradeMode"]
    assert "greater than or equal to 1" in found["parallelism"]
    assert "'savepoint', 'drain' or 'cancel'" in found["onDelete"]
    assert "greater than 0" in found["timeouts.runningS"]
    assert "http or https://host" in found["restUrl"]
    assert "not permitted" in found["surprise"]


def test_check_requires_jar_fields():
    found = reasons(FlinkJobProvider().check({}, {"restUrl": CLOSED_URL}))
    assert "required" in found["jar"] and "required" in found["jarSha256"]


def test_check_never_echoes_secret_values_in_failures():
    news = job_news(bearerToken=TOKEN, basicUsername="ops", basicPassword=PASSWORD, allowInsecureCredentials=True)
    result = FlinkJobProvider().check({}, news)
    assert "bearerToken or basicUsername/basicPassword, not both" in " ".join(reasons(result).values())
    bad_type = FlinkJobProvider().check({}, job_news(bearerToken=["not", TOKEN], allowInsecureCredentials=True))
    assert "[secret]" in reasons(bad_type)["bearerToken"]
    for text in [*reasons(result).values(), *reasons(bad_type).values()]:
        assert TOKEN not in text and PASSWORD not in text


def test_check_rejects_credentials_in_the_url():
    found = reasons(FlinkJobProvider().check({}, job_news(restUrl=f"http://ops:{PASSWORD}@127.0.0.1:1")))
    assert "must not contain user:password@" in found["restUrl"] and PASSWORD not in found["restUrl"]


@pytest.mark.parametrize("unknown", [Unknown(), rpc.UNKNOWN], ids=["Unknown", "wire-sentinel"])
def test_check_skips_unknown_values_in_preview(unknown):
    news = job_news(restUrl=unknown, jarSha256=unknown, args=["--out", unknown], bearerToken=unknown,
                    basicUsername="ops")
    result = FlinkJobProvider().check({}, news)
    assert result.failures == []
    assert result.inputs["restUrl"] is unknown and result.inputs["args"][1] is unknown
    assert result.inputs["upgradeMode"] == "savepoint"  # known defaults still filled in


def test_check_still_reports_known_problems_next_to_unknowns():
    result = FlinkJobProvider().check({}, job_news(restUrl=Unknown(), parallelism=-3))
    assert set(reasons(result)) == {"parallelism"}


# --- FlinkJob diff --------------------------------------------------------------------------------------------
def checked(news: dict) -> dict:
    return FlinkJobProvider().check({}, news).inputs


def test_diff_no_change_is_no_update():
    news = job_news(bearerToken=TOKEN)
    assert FlinkJobProvider().diff("id", stored_outputs(news), checked(news)).changes is False


@pytest.mark.parametrize("change", [
    {"parallelism": 2}, {"args": ["--out", "/tmp/y"]}, {"jarSha256": "cd" * 32}, {"entryClass": "a.C"},
    {"flinkConfiguration": {"x": "1"}},                        # need a new job
    {"jar": "https://repo.example/job.jar"}, {"onDelete": "cancel"}, {"timeouts": {"runningS": 5}},
    {"restUrl": "http://127.0.0.1:2"}, {"savepointDir": "file:///sp"},  # recorded only
])
def test_diff_changes_are_updates_never_replacements(change):
    news = job_news()
    result = FlinkJobProvider().diff("id", stored_outputs(news), checked({**news, **change}))
    assert result.changes is True
    assert result.replaces == [] and result.delete_before_replace is False


def test_diff_ignores_secret_rotation():
    olds = stored_outputs(job_news(bearerToken=TOKEN))
    assert FlinkJobProvider().diff("id", olds, checked(job_news(bearerToken="rotated"))).changes is False


@pytest.mark.parametrize("unknown", [Unknown(), rpc.UNKNOWN], ids=["Unknown", "wire-sentinel"])
def test_diff_unknown_value_counts_as_change(unknown):
    news = job_news()
    olds = stored_outputs(news)
    assert FlinkJobProvider().diff("id", olds, {**checked(news), "parallelism": unknown}).changes is True
    nested = {**checked(news), "flinkConfiguration": {"k": unknown}}
    assert FlinkJobProvider().diff("id", olds, nested).changes is True


@pytest.mark.parametrize("state", ["FAILED", "CANCELED", "FINISHED", "MISSING"])
def test_diff_reports_drift_found_by_refresh(state):
    news = job_news()
    assert FlinkJobProvider().diff("id", stored_outputs(news, state=state), checked(news)).changes is True


# --- SavepointGate --------------------------------------------------------------------------------------------
def gate_news(**overrides) -> dict:
    return {"restUrl": CLOSED_URL, "specHash": "h1", **overrides}


def gate_checked(news: dict) -> dict:
    result = SavepointGateProvider().check({}, news)
    assert result.failures == []
    return result.inputs


def test_gate_check_validates_and_skips_unknowns():
    found = reasons(SavepointGateProvider().check({}, gate_news(jobId="XYZ", specHash="", maxCheckpointAgeS=0)))
    assert "32 lowercase hex" in found["jobId"] and "'XYZ'" in found["jobId"]
    assert "at least 1 character" in found["specHash"]
    assert "greater than 0" in found["maxCheckpointAgeS"]
    assert SavepointGateProvider().check({}, gate_news(specHash=Unknown(), restUrl=rpc.UNKNOWN)).failures == []


def test_gate_diff_spec_hash_change_is_update_and_other_changes_are_recorded():
    provider = SavepointGateProvider()
    olds = {**gate_checked(gate_news()), "rollbackSavepoint": None}
    assert provider.diff("id", olds, gate_checked(gate_news())).changes is False
    for change in ({"specHash": "h2"}, {"specHash": Unknown()}, {"skipWhenNoJob": True}):
        result = provider.diff("id", olds, {**gate_checked(gate_news()), **change})
        assert result.changes is True and result.replaces == []
