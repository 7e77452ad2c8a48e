"""FlinkRestClient against a scripted fake server: only what a real local cluster cannot produce.

Retries (GET on 503 and dropped connections, never POST), malformed 2xx bodies, error body shapes,
``web-submit: false``, TLS with a CA bundle and client certificate, bearer/basic auth, and secrets never showing up
in messages or reprs. Real Flink behaviour is covered in test_flink_rest.py.
"""

from __future__ import annotations

import base64

import pytest

from flink_rest.client import (
    PATH_CONFIG,
    PATH_JARS_UPLOAD,
    PATH_OVERVIEW,
    WEB_SUBMIT_CONFIG_KEY,
    FlinkNotFoundError,
    FlinkRestClient,
    FlinkRestError,
    FlinkUnreachableError,
    JobStateError,
    OperationTimeoutError,
    RestEndpoint,
    SavepointFailedError,
)
from tests.fake_flink_server import FakeFlink, Reply, make_tls_files
from testbed.flink.cluster import free_port

JOB = "a" * 32
TRIGGER = "b" * 32
TOKEN = "tok-9f8e7d6c5b4a"
PASSWORD = "pw-0a1b2c3d4e5f"
CONFIG_OK = {"flink-version": "2.3.0", "features": {"web-submit": True}}


@pytest.fixture
def fake():
    with FakeFlink() as server:
        yield server


def client_for(url: str, **kwargs) -> FlinkRestClient:
    kwargs.setdefault("timeout_s", 5.0)
    return FlinkRestClient(RestEndpoint(url, **kwargs))


# --- retries ------------------------------------------------------------------------------------------------------
def test_get_is_retried_on_503_until_it_succeeds(fake):
    fake.script("GET", PATH_OVERVIEW, Reply(503, {"errors": ["busy"]}), Reply(503), Reply(200, {"taskmanagers": 1}))
    with client_for(fake.url, read_retries=3) as client:
        assert client.overview()["taskmanagers"] == 1
    assert fake.count("GET", PATH_OVERVIEW) == 3


def test_get_gives_up_after_read_retries_and_reports_the_last_answer(fake):
    fake.script("GET", PATH_OVERVIEW, Reply(503, {"errors": ["JobManager is busy"]}))
    with client_for(fake.url, read_retries=2) as client, pytest.raises(FlinkRestError) as info:
        client.overview()
    assert fake.count("GET", PATH_OVERVIEW) == 3  # first try + 2 retries
    assert info.value.status == 503 and info.value.call == "GET /overview"
    assert "Flink REST call GET /overview failed: HTTP 503: JobManager is busy" in str(info.value)


def test_get_is_retried_after_a_dropped_connection(fake):
    fake.script("GET", f"/jobs/{JOB}", Reply.dropped(), Reply(200, {"jid": JOB, "state": "RUNNING"}))
    with client_for(fake.url) as client:
        assert client.job(JOB)["state"] == "RUNNING"
    assert fake.count("GET", f"/jobs/{JOB}") == 2


def test_post_is_never_retried_on_503(fake):
    fake.script("POST", f"/jobs/{JOB}/stop", Reply(503, {"errors": ["try later"]}), Reply(202, {"request-id": TRIGGER}))
    with client_for(fake.url, read_retries=5) as client, pytest.raises(SavepointFailedError) as info:
        client.trigger_stop(JOB, target_directory="file:///sp", trigger_id=TRIGGER)
    assert fake.count("POST", f"/jobs/{JOB}/stop") == 1
    assert info.value.status == 503 and "try later" in str(info.value)


def test_patch_and_delete_are_never_retried(fake):
    fake.script("PATCH", f"/jobs/{JOB}", Reply(503))
    fake.script("DELETE", "/jars/x.jar", Reply(503))
    with client_for(fake.url, read_retries=5) as client:
        with pytest.raises(FlinkRestError):
            client.cancel(JOB)
        with pytest.raises(FlinkRestError):
            client.delete_jar("x.jar")
    assert fake.count("PATCH", f"/jobs/{JOB}") == 1
    assert fake.count("DELETE", "/jars/x.jar") == 1


def test_run_jar_dropped_post_without_job_is_reported_as_not_run(fake):
    fake.script("POST", "/jars/j.jar/run", Reply.dropped())
    with client_for(fake.url, read_retries=3) as client, pytest.raises(FlinkUnreachableError) as info:
        client.run_jar("j.jar", job_id=JOB)
    assert fake.count("POST", "/jars/j.jar/run") == 1
    assert fake.count("GET", f"/jobs/{JOB}") == 2  # looked up before posting and after the failure
    assert "POST /jars/j.jar/run" in str(info.value) and "retry with the same job id: that is safe" in str(info.value)


def test_run_jar_dropped_post_whose_job_exists_counts_as_submitted(fake):
    fake.script("POST", "/jars/j.jar/run", Reply.dropped())
    fake.script("GET", f"/jobs/{JOB}", Reply(404, {"errors": ["Job not found"]}),
                Reply(200, {"jid": JOB, "state": "RUNNING"}))
    with client_for(fake.url) as client:
        result = client.submit_jar("j.jar", job_id=JOB, args=["--x", "1"])
    assert (result.job_id, result.duplicate) == (JOB, True)
    assert fake.count("POST", "/jars/j.jar/run") == 1


def test_run_jar_sends_the_documented_body_not_query_params(fake):
    fake.script("POST", "/jars/j.jar/run", Reply(200, {"jobid": JOB}))
    with client_for(fake.url) as client:
        assert client.run_jar("j.jar", job_id=JOB, entry_class="a.B", args=["--out", "/o"], parallelism=2,
                              savepoint_path="file:///sp/1", allow_non_restored_state=True,
                              flink_configuration={"k": "v"}, claim_mode="NO_CLAIM") == JOB
    sent = fake.last("POST", "/jars/j.jar/run")
    assert sent.query == ""
    assert sent.json() == {"jobId": JOB, "entryClass": "a.B", "programArgsList": ["--out", "/o"], "parallelism": 2,
                           "savepointPath": "file:///sp/1", "allowNonRestoredState": True,
                           "flinkConfiguration": {"k": "v"}, "claimMode": "NO_CLAIM"}


def test_trigger_bodies_use_camel_case_for_stop_and_kebab_case_for_savepoints(fake):
    fake.script("POST", f"/jobs/{JOB}/stop", Reply(202, {"request-id": TRIGGER}))
    fake.script("POST", f"/jobs/{JOB}/savepoints", Reply(202, {"request-id": TRIGGER}))
    with client_for(fake.url) as client:
        client.trigger_stop(JOB, target_directory="file:///sp", drain=True, trigger_id=TRIGGER)
        client.trigger_savepoint(JOB, target_directory="file:///sp", trigger_id=TRIGGER)
    assert fake.last("POST", f"/jobs/{JOB}/stop").json() == {"targetDirectory": "file:///sp", "drain": True,
                                                             "triggerId": TRIGGER}
    assert fake.last("POST", f"/jobs/{JOB}/savepoints").json() == {"target-directory": "file:///sp",
                                                                   "cancel-job": False, "triggerId": TRIGGER}


# --- malformed 2xx bodies and error shapes ------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path", "reply", "call", "needle"), [
    ("POST", PATH_JARS_UPLOAD, Reply(200, {"status": "success"}), lambda c, p: c.upload_jar(p), "'filename'"),
    ("POST", f"/jobs/{JOB}/stop", Reply(202, {}), lambda c, p: c.trigger_stop(
        JOB, target_directory=None, trigger_id=TRIGGER), "'request-id'"),
    ("POST", "/jars/j.jar/run", Reply(200, "OK"), lambda c, p: c.run_jar("j.jar", job_id=JOB), "not JSON"),
    ("POST", "/jars/j.jar/run", Reply(200, {"jobid": "c" * 32}), lambda c, p: c.run_jar("j.jar", job_id=JOB),
     "expected the requested"),
    ("GET", f"/jobs/{JOB}/savepoints/{TRIGGER}", Reply(200, {"status": {}}),
     lambda c, p: c.wait_savepoint(JOB, TRIGGER, deadline_s=1), "'status.id'"),
    ("GET", f"/jobs/{JOB}/savepoints/{TRIGGER}", Reply(200, {"status": {"id": "COMPLETED"}, "operation": {}}),
     lambda c, p: c.wait_savepoint(JOB, TRIGGER, deadline_s=1), "'location'"),
    ("GET", f"/jobs/{JOB}", Reply(200, [1, 2]), lambda c, p: c.job(JOB), "'state'"),
])
def test_malformed_2xx_bodies_name_the_call_and_the_field(fake, tmp_path, method, path, reply, call, needle):
    fake.script("GET", PATH_CONFIG, Reply(200, CONFIG_OK))
    fake.script(method, path, reply)
    jar = tmp_path / "j.jar"
    jar.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    with client_for(fake.url) as client, pytest.raises(FlinkRestError) as info:
        call(client, str(jar))
    assert type(info.value) is FlinkRestError
    assert needle in str(info.value) and f"{method} {path}" in str(info.value)


def test_error_bodies_of_any_shape_become_messages(fake):
    fake.script("GET", f"/jobs/{JOB}", Reply(400, {"errors": ["first", "second"]}))
    fake.script("GET", f"/jobs/{JOB}/checkpoints", Reply(500, "<html>proxy error</html>",
                                                         {"Content-Type": "text/html"}))
    fake.script("GET", PATH_OVERVIEW, Reply(500, None))
    with client_for(fake.url, read_retries=0) as client:
        with pytest.raises(FlinkRestError) as info:
            client.job(JOB)
        assert str(info.value) == f"Flink REST call GET /jobs/{JOB} failed: HTTP 400: first; second"
        assert info.value.errors == ["first", "second"]
        with pytest.raises(FlinkRestError, match="HTTP 500: <html>proxy error</html>"):
            client.checkpoints(JOB)
        with pytest.raises(FlinkRestError, match="HTTP 500: Internal Server Error"):
            client.overview()


def test_404_is_flink_not_found_and_find_job_returns_none(fake):
    with client_for(fake.url) as client:
        with pytest.raises(FlinkNotFoundError) as info:
            client.job(JOB)
        assert info.value.status == 404
        assert client.find_job(JOB) is None


def test_upload_refuses_when_web_submit_is_disabled(fake, tmp_path):
    fake.script("GET", PATH_CONFIG, Reply(200, {"features": {"web-submit": False}}))
    jar = tmp_path / "j.jar"
    jar.write_bytes(b"x")
    with client_for(fake.url) as client, pytest.raises(FlinkRestError) as info:
        client.upload_jar(str(jar))
    assert WEB_SUBMIT_CONFIG_KEY in str(info.value) and info.value.call == "GET /config"
    assert fake.count("POST", PATH_JARS_UPLOAD) == 0


def test_upload_sends_a_multipart_jarfile_part(fake, tmp_path):
    fake.script("GET", PATH_CONFIG, Reply(200, CONFIG_OK))
    fake.script("POST", PATH_JARS_UPLOAD, Reply(200, {"filename": "/tmp/up/1234_j.jar", "status": "success"}))
    jar = tmp_path / "j.jar"
    jar.write_bytes(b"jar-bytes")
    with client_for(fake.url) as client:
        assert client.upload_jar(str(jar)) == "1234_j.jar"
    sent = fake.last("POST", PATH_JARS_UPLOAD)
    assert sent.headers["Content-Type"].startswith("multipart/form-data")
    assert b'name="jarfile"; filename="j.jar"' in sent.body
    assert b"Content-Type: application/x-java-archive" in sent.body and b"jar-bytes" in sent.body


# --- waits --------------------------------------------------------------------------------------------------------
def test_savepoint_failure_cause_that_cannot_be_decoded_names_its_keys(fake):
    junk = {"serialized-throwable": base64.b64encode(b"\x00\x01not java").decode()}
    fake.script("GET", f"/jobs/{JOB}/savepoints/{TRIGGER}",
                Reply(200, {"status": {"id": "IN_PROGRESS"}}),
                Reply(200, {"status": {"id": "COMPLETED"}, "operation": {"failure-cause": junk}}))
    with client_for(fake.url) as client, pytest.raises(SavepointFailedError) as info:
        client.wait_savepoint(JOB, TRIGGER, deadline_s=10, poll_s=0.01)
    assert "could not be decoded (keys: ['serialized-throwable'])" in info.value.failure
    assert TRIGGER in str(info.value)


def test_savepoint_wait_past_its_deadline_says_what_it_waited_for(fake):
    fake.script("GET", f"/jobs/{JOB}/savepoints/{TRIGGER}", Reply(200, {"status": {"id": "IN_PROGRESS"}}))
    with client_for(fake.url) as client, pytest.raises(OperationTimeoutError) as info:
        client.wait_savepoint(JOB, TRIGGER, deadline_s=0.2, poll_s=0.02)
    assert info.value.last_state == "IN_PROGRESS"
    assert f"savepoint {TRIGGER} of job {JOB} did not complete" in str(info.value)


def test_wait_job_state_stops_at_an_unexpected_terminal_state_with_the_root_cause(fake):
    fake.script("GET", f"/jobs/{JOB}", Reply(200, {"state": "CREATED"}), Reply(200, {"state": "FAILED"}))
    fake.script("GET", f"/jobs/{JOB}/exceptions", Reply(200, {"exceptionHistory": {"entries": [
        {"exceptionName": "java.lang.RuntimeException", "taskName": "counter (1/1)",
         "stacktrace": "java.lang.RuntimeException: boom\n\tat x.y(Z.java:1)\n"
                       "Caused by: java.io.IOException: disk"}]}}))
    with client_for(fake.url) as client, pytest.raises(JobStateError) as info:
        client.wait_job_state(JOB, {"RUNNING"}, deadline_s=10, poll_s=0.01)
    assert info.value.state == "FAILED"
    assert info.value.root_cause == ("java.lang.RuntimeException: boom | root cause: java.io.IOException: disk "
                                     "(in counter (1/1))")


# --- transport: unreachable, TLS, auth, secrets -------------------------------------------------------------------
def test_unreachable_endpoint_names_the_call_and_the_url():
    url = f"http://127.0.0.1:{free_port()}"
    with client_for(url, read_retries=1, bearer_token=TOKEN) as client, \
            pytest.raises(FlinkUnreachableError) as info:
        client.overview()
    assert str(info.value).startswith(f"Flink REST call GET /overview to {url} failed: connection refused")
    assert info.value.status is None and TOKEN not in str(info.value)


def test_tls_with_ca_bundle_and_client_certificate(tmp_path):
    tls = make_tls_files(tmp_path / "tls")
    with FakeFlink(tls=tls.server_context(require_client_cert=True)) as server:
        server.script("GET", PATH_OVERVIEW, Reply(200, {"taskmanagers": 2}))
        with client_for(server.url, ca_bundle=str(tls.ca), client_cert=str(tls.client_cert),
                        client_key=str(tls.client_key)) as client:
            assert client.overview()["taskmanagers"] == 2
        with client_for(server.url, ca_bundle=str(tls.ca), read_retries=0) as no_cert, \
                pytest.raises(FlinkUnreachableError):
            no_cert.overview()
        with client_for(server.url, client_cert=str(tls.client_cert), client_key=str(tls.client_key),
                        read_retries=0) as unknown_ca, pytest.raises(FlinkUnreachableError, match="TLS error"):
            unknown_ca.overview()
    assert server.count("GET", PATH_OVERVIEW) == 1


def test_bearer_token_is_sent_and_never_shown(fake):
    fake.script("GET", PATH_OVERVIEW, Reply(401, {"errors": [f"bad credentials: Bearer {TOKEN}"]}))
    endpoint = RestEndpoint(fake.url, bearer_token=TOKEN)
    with FlinkRestClient(endpoint) as client, pytest.raises(FlinkRestError) as info:
        client.overview()
    assert fake.last("GET", PATH_OVERVIEW).headers["Authorization"] == f"Bearer {TOKEN}"
    shown = [str(info.value), repr(info.value), *info.value.errors, repr(endpoint), repr(client)]
    assert not [text for text in shown if TOKEN in text]
    assert "bad credentials: Bearer ***" in str(info.value)


def test_basic_auth_is_sent_and_the_password_never_shown(fake):
    fake.script("GET", PATH_CONFIG, Reply(500, f"echo {PASSWORD}", {"Content-Type": "text/plain"}))
    endpoint = RestEndpoint(fake.url, basic_username="flink", basic_password=PASSWORD, read_retries=0)
    with FlinkRestClient(endpoint) as client, pytest.raises(FlinkRestError) as info:
        client.config()
    expected = "Basic " + base64.b64encode(f"flink:{PASSWORD}".encode()).decode()
    assert fake.last("GET", PATH_CONFIG).headers["Authorization"] == expected
    assert PASSWORD not in str(info.value) + repr(endpoint) + repr(client) + "".join(info.value.errors)


def test_endpoint_rejects_credentials_in_the_url_without_echoing_them():
    with pytest.raises(ValueError) as info:
        RestEndpoint(f"http://flink:{PASSWORD}@127.0.0.1:8081")
    assert PASSWORD not in str(info.value)


@pytest.mark.parametrize("kwargs", [
    {"url": "ftp://127.0.0.1"}, {"url": "127.0.0.1:8081"}, {"url": "http://h", "timeout_s": 0},
    {"url": "http://h", "read_retries": -1}, {"url": "http://h", "bearer_token": "t", "basic_username": "u",
                                              "basic_password": "p"},
    {"url": "http://h", "basic_username": "u"}, {"url": "http://h", "client_key": "k.pem"},
])
def test_endpoint_rejects_inconsistent_settings(kwargs):
    with pytest.raises(ValueError):
        RestEndpoint(**kwargs)


def test_ids_are_validated_before_any_request(fake):
    with client_for(fake.url) as client:
        with pytest.raises(ValueError, match="job_id must be 32 lowercase hex"):
            client.job("../config")
        with pytest.raises(ValueError, match="trigger_id"):
            client.trigger_stop(JOB, target_directory=None, trigger_id="X" * 32)
    assert fake.requests == []
    assert len(FlinkRestClient.new_job_id()) == 32 and FlinkRestClient.new_job_id() != FlinkRestClient.new_job_id()
