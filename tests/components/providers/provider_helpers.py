"""Helpers shared by the provider tests: FlinkJob inputs for the test job, a closed port, secret scanning."""

from __future__ import annotations

import json
from typing import Any

from components.providers.flink_job import FlinkJobProvider
from components.providers.flink_job_model import lineage_seed
from testbed.flink.cluster import free_port

#: Fake credentials: the local cluster ignores auth headers, so these only prove they never leak.
TOKEN = "tok-6f1c9e0d-secret-bearer"
PASSWORD = "pw-93b2a7-secret-basic"


def closed_port_url() -> str:
    """http://127.0.0.1:<port> where nothing listens (the port was free a moment ago)."""
    return f"http://127.0.0.1:{free_port()}"


def seed_for(output: Any) -> str:
    """The `lineageSeed` the FlinkJob constructor would set, one per test (derived from its output dir)."""
    return lineage_seed("flink-platform", "test", str(output.dir))


def job_inputs(rest_url: str, jars: Any, output: Any, *, version: str = "v1", jar: str | None = None,
               **overrides: Any) -> dict[str, Any]:
    """Checked FlinkJob inputs for the test job writing into `output`, as the engine would pass them."""
    jar = jar or str(getattr(jars, version))
    news = {"restUrl": rest_url, "jar": jar, "jarSha256": jars.sha256(jar), "entryClass": jars.entry_class,
            "args": output.args(version), "parallelism": 1, "lineageSeed": seed_for(output),
            "timeouts": {"runningS": 60, "savepointS": 60, "checkpointS": 60}, **overrides}
    result = FlinkJobProvider().check({}, news)
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return result.inputs


def assert_no_secret(value: Any, *secrets: str) -> None:
    """Fail if any secret appears anywhere in `value` (dumped as JSON, or its str)."""
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):
        text = str(value)
    for secret in secrets or (TOKEN, PASSWORD):
        assert secret not in text, f"secret leaked into {text[:300]}"


def assert_state_continued(job_output: Any, old_job: str, new_job: str) -> None:
    """The new job's first count per key is exactly the stopped job's last count + 1 (nothing lost or redone)."""
    last = job_output.read_counts(job_id=old_job)
    job_output.wait_for_counts(1, keys=len(last), job_id=new_job)
    assert last and job_output.first_counts(job_id=new_job) == {k: v + 1 for k, v in last.items()}
