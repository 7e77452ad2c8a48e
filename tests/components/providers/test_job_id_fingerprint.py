"""Job ids do not let anyone guess a secret-looking `flinkConfiguration` value (issue 19, finding 10).

A job id's last 16 hex are the job spec's fingerprint. Plain sha256 over a spec holding `s3.secret-key` lets whoever
sees the id (the Flink UI, logs, `pulumi stack output`) test password guesses offline; the issue recovered a weak
one in 377 guesses. With the stack's `flink-platform:jobIdKey` the fingerprint is HMAC-SHA256 under that key, and
ids that existing stacks hold (plain sha256, see tests/fixtures/stored_state) are still recognised as running their
spec, so upgrading the project restarts nothing.
"""

from __future__ import annotations

import hashlib
import pickle

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from components.providers.connection import CONFIG_JOB_ID_KEY, CONFIG_KEYS, ProviderError
from components.providers.flink_job import FlinkJobProvider, parse_inputs
from components.providers.flink_job_model import spec_fingerprints, spec_hash
from components.providers.job_lifecycle import LINEAGE_HEX, first_job_id, runs_spec, successor_id
from tests.fake_flink_server import FakeFlink, Reply

KEY = "5f0c8e2a9d4b7c1e3a6f8b0d2c4e6a8f5f0c8e2a9d4b7c1e3a6f8b0d2c4e6a8f"
WEAK = "summer2024"
#: 376 wrong guesses, then the password: the issue's dictionary attack, 377 guesses.
GUESSES = [f"{word}{year}" for word in ("password", "welcome", "flink", "kafka", "admin", "letmein", "secret",
                                        "changeme", "qwerty", "dragon", "monkey", "winter", "spring", "autumn",
                                        "orders", "payments")
           for year in range(2000, 2024)][:376] + [WEAK]


def configured(**config) -> FlinkJobProvider:
    provider = FlinkJobProvider()
    provider.configure(ConfigureRequest(Config(config, "flink-platform")))
    return provider


def run_request_job_id(tmp_path, provider: FlinkJobProvider, password: str) -> tuple[str, dict]:
    """The job id the provider asks Flink to run a spec holding `password` under, and that spec."""
    jar = tmp_path / "job.jar"
    jar.write_bytes(b"PK fake jar")
    with FakeFlink() as fake:
        fake.script("GET", "/config", Reply(200, {"features": {"web-submit": True}}))
        fake.script("POST", "/jars/upload", Reply(200, {"filename": "/tmp/up/abc_job.jar", "status": "success"}))
        fake.script("POST", "/jars/abc_job.jar/run", Reply(400, {"errors": ["refused by the test"]}))
        news = provider.check({}, {"restUrl": fake.url, "jar": str(jar), "parallelism": 1,
                                   "jarSha256": hashlib.sha256(jar.read_bytes()).hexdigest(),
                                   "flinkConfiguration": {"s3.secret-key": password, "pipeline.name": "orders"}}
                              ).inputs
        with pytest.raises(ProviderError):
            provider.create(news)
        sent = fake.last("POST", "/jars/abc_job.jar/run").json()
    return sent["jobId"], parse_inputs(news, what="test").spec()


def guess(job_id: str, spec: dict) -> str | None:
    """What an attacker who knows everything but the password recovers from the job id (or None)."""
    for candidate in GUESSES:
        tried = {**spec, "flinkConfiguration": {**spec["flinkConfiguration"], "s3.secret-key": candidate}}
        if spec_hash(tried)[:LINEAGE_HEX] == job_id[LINEAGE_HEX:]:
            return candidate
    return None


def test_without_a_key_the_377_guess_attack_recovers_the_password(tmp_path):
    job_id, spec = run_request_job_id(tmp_path, FlinkJobProvider(), WEAK)
    assert guess(job_id, spec) == WEAK  # the finding, as existing stacks' ids still allow


def test_with_the_stack_key_the_job_id_reveals_nothing_by_guessing(tmp_path):
    job_id, spec = run_request_job_id(tmp_path, configured(**{CONFIG_JOB_ID_KEY: KEY}), WEAK)
    assert guess(job_id, spec) is None
    assert job_id[LINEAGE_HEX:] == spec_hash(spec, KEY)[:LINEAGE_HEX]


def test_ids_existing_stacks_hold_are_still_recognised_as_running_their_spec():
    spec = {"jarSha256": "ab" * 32, "parallelism": 1, "flinkConfiguration": {"s3.secret-key": WEAK}}
    legacy_first, legacy_next = first_job_id(spec_hash(spec), "ab" * 16), successor_id("c" * 32, spec_hash(spec))
    for job_id in (legacy_first, legacy_next):
        assert runs_spec(job_id, spec_fingerprints(spec, KEY))
        assert not runs_spec(job_id, spec_fingerprints({**spec, "parallelism": 2}, KEY))
    keyed = first_job_id(spec_hash(spec, KEY), "ab" * 16)
    assert runs_spec(keyed, spec_fingerprints(spec, KEY))
    assert not runs_spec(keyed, spec_fingerprints(spec, "another-stack-key"))
    assert spec_fingerprints(spec) == (spec_hash(spec),)  # no key: exactly the old scheme


def test_the_key_is_stack_config_and_never_serialized_with_the_provider():
    assert CONFIG_JOB_ID_KEY in CONFIG_KEYS
    provider = configured(**{CONFIG_JOB_ID_KEY: KEY})
    assert provider._configured.job_id_key == KEY
    restored = pickle.loads(pickle.dumps(provider))
    assert KEY.encode() not in pickle.dumps(provider) and restored._configured.job_id_key is None


@pytest.mark.flink
def test_a_job_started_before_the_stack_had_a_key_is_kept_not_restarted(flink_cluster, flink_client, job_jars,
                                                                        job_output):
    """On a real cluster: a job created with plain-sha256 ids (an existing stack) is, once the stack sets jobIdKey,
    recognised as running its spec (an update of another input keeps it); a spec change then starts a keyed id."""
    from tests.components.providers.provider_helpers import job_inputs

    news = job_inputs(flink_cluster.rest_url, job_jars, job_output,
                      flinkConfiguration={"s3.secret-key": WEAK, "pipeline.name": "orders"})
    outs = FlinkJobProvider().create(news).outs
    try:
        keyed = configured(**{CONFIG_JOB_ID_KEY: KEY})
        assert outs["jobId"][LINEAGE_HEX:] == spec_hash(parse_inputs(news, what="test").spec())[:LINEAGE_HEX]
        kept = keyed.update(outs["jobId"], outs, {**news, "onDelete": "cancel"}).outs
        assert kept["jobId"] == outs["jobId"] and kept["state"] == "RUNNING"
        changed = {**news, "onDelete": "cancel", "parallelism": 2}
        outs = keyed.update(kept["jobId"], kept, changed).outs
        spec = parse_inputs(changed, what="test").spec()
        assert outs["jobId"] != kept["jobId"] and outs["jobId"][LINEAGE_HEX:] == spec_hash(spec, KEY)[:LINEAGE_HEX]
        assert guess(outs["jobId"], spec) is None
    finally:
        configured().delete(outs["jobId"], {**outs, "onDelete": "cancel"})
