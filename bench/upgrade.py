"""Benchmark: upgrade downtime through the FlinkJob provider vs the same REST sequence driven by hand.

``python -m bench.upgrade [--pairs N] [--dir DIR]``

Starts a local Flink session cluster (testbed.flink.cluster), builds the test job jar as the tests do
(tests.jobs.build), runs two copies of the job side by side and then, interleaved, upgrades each one N times
(the `--version` argument alternates, a change that needs a new job; not parallelism: after scaling the test
job up one source subtask finishes, and a later stop-with-savepoint can race with that in Flink):

- provider: `FlinkJobProvider.update`, downtime = its `lastUpgrade.durationS`, measured from the stop request to
  the new job having every vertex RUNNING;
- by hand: the operator's sequence with the same client: jar uploaded beforehand, `POST /jobs/:id/stop` and poll
  the trigger, `POST /jars/:id/run` from the savepoint under a fresh job id, wait for every vertex RUNNING;
  downtime measured between the same two points.

The order within a pair alternates and one warm-up pair is not counted.
Prints every pair, the medians and the median of the per-pair ratios provider/hand (target: at most 1.10), and
the REST requests each side sent per upgrade (counted in the transport, `RestTransport.sent_total`; the
provider's count includes its health gate, lineage lookup, jar clean-up and checkpoint record, the hand-driven
count the same checkpoint waits).
No assertions: the exit status is non-zero only if something failed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from flink_rest.client import FlinkRestClient
from flink_rest.transport import RestTransport
from components.providers.flink_job import FlinkJobProvider
from components.providers.flink_job_model import RESTORE_CLAIM_MODE, lineage_seed
from tests.jobs.build import build_job_jars
from testbed.flink.cluster import FlinkLocalCluster

TARGET_RATIO = 1.10
DEADLINE_S = 60.0
#: Unmeasured pairs first: the JVMs' JIT warms up during the first upgrades.
WARMUP_PAIRS = 1


def hand_upgrade(client: FlinkRestClient, job_id: str, jar_id: str, entry_class: str,
                 args: list[str]) -> tuple[str, float]:
    """Stop with savepoint and restart from it by hand; returns (new job id, downtime seconds)."""
    new_id = client.new_job_id()
    start = time.monotonic()
    savepoint = client.stop_with_savepoint(job_id, target_directory=None, deadline_s=DEADLINE_S)
    client.run_jar(jar_id, job_id=new_id, entry_class=entry_class, args=args, parallelism=1,
                   savepoint_path=savepoint, claim_mode=RESTORE_CLAIM_MODE)
    client.wait_all_vertices_running(new_id, deadline_s=DEADLINE_S)
    return new_id, time.monotonic() - start


def job_args(out: Path, who: str, pair: int) -> list[str]:
    """Program arguments; the version alternates so that every upgrade changes the job spec."""
    return ["--out", str(out / who), "--version", f"b{pair % 2}"]


def run(pairs: int, work_dir: Path) -> int:
    jars = build_job_jars(work_dir / "jars")
    out = work_dir / "job-output"
    with FlinkLocalCluster(work_dir / "cluster") as cluster, FlinkRestClient(cluster.endpoint()) as client:
        provider = FlinkJobProvider()
        news = provider.check({}, {
            "restUrl": cluster.rest_url, "jar": str(jars.v1), "jarSha256": jars.sha256(jars.v1),
            "entryClass": jars.entry_class, "args": job_args(out, "provider", 0), "parallelism": 1,
            "lineageSeed": lineage_seed("flink-platform", "bench", "upgrade"),  # as the FlinkJob constructor does
            "timeouts": {"runningS": DEADLINE_S, "savepointS": DEADLINE_S, "checkpointS": DEADLINE_S}}).inputs
        outs = provider.create(news).outs

        jar_id = client.upload_jar(str(jars.v1))
        hand_job = client.run_jar(jar_id, job_id=client.new_job_id(), entry_class=jars.entry_class,
                                  args=job_args(out, "hand", 0), parallelism=1)
        client.wait_all_vertices_running(hand_job, deadline_s=DEADLINE_S)

        print(f"cluster {cluster.rest_url}; {pairs} interleaved pairs; downtime = stop request -> every vertex "
              "of the new job RUNNING")
        print(f"{'pair':>4} {'provider s':>11} {'by hand s':>10} {'ratio':>7} {'provider update total s':>24} "
              f"{'requests provider':>18} {'requests by hand':>17}")
        ratios, provider_s, hand_s, provider_requests, hand_requests = [], [], [], [], []
        state = {"outs": outs, "news": news, "hand": hand_job}

        def by_provider(pair: int) -> tuple[float, float]:
            state["news"] = {**state["news"], "args": job_args(out, "provider", pair)}
            started = time.monotonic()
            state["outs"] = provider.update(state["outs"]["jobId"], state["outs"], state["news"]).outs
            return float(state["outs"]["lastUpgrade"]["durationS"]), time.monotonic() - started

        def by_hand(pair: int) -> float:
            client.wait_completed_checkpoint(state["hand"], deadline_s=DEADLINE_S)  # the provider's health gate
            state["hand"], downtime = hand_upgrade(client, state["hand"], jar_id, jars.entry_class,
                                                   job_args(out, "hand", pair))
            client.wait_completed_checkpoint(state["hand"], deadline_s=DEADLINE_S)  # as the provider confirms
            return downtime

        def counted(fn, *args):
            before = RestTransport.sent_total
            result = fn(*args)
            return result, RestTransport.sent_total - before

        for pair in range(WARMUP_PAIRS + pairs):
            if pair % 2:  # alternate who goes first, so neither side always runs on a colder JVM
                h, hr = counted(by_hand, pair + 1)
                (p, total), pr = counted(by_provider, pair + 1)
            else:
                (p, total), pr = counted(by_provider, pair + 1)
                h, hr = counted(by_hand, pair + 1)
            label = "warm" if pair < WARMUP_PAIRS else str(pair - WARMUP_PAIRS + 1)
            print(f"{label:>4} {p:>11.3f} {h:>10.3f} {p / h:>7.2f} {total:>24.3f} {pr:>18} {hr:>17}")
            if pair >= WARMUP_PAIRS:
                ratios.append(p / h)
                provider_s.append(p)
                hand_s.append(h)
                provider_requests.append(pr)
                hand_requests.append(hr)

        outs, hand_job = state["outs"], state["hand"]
        provider.delete(outs["jobId"], outs)
        client.cancel(hand_job)
        client.delete_jar(jar_id)
    median_ratio = statistics.median(ratios)
    print(f"REST requests per upgrade (median): provider {statistics.median(provider_requests):g}, by hand "
          f"{statistics.median(hand_requests):g}")
    print(f"median downtime: provider {statistics.median(provider_s):.3f} s, by hand {statistics.median(hand_s):.3f} s")
    print(f"median ratio provider/hand: {median_ratio:.2f}x (target <= {TARGET_RATIO:.2f}x: "
          f"{'met' if median_ratio <= TARGET_RATIO else 'NOT met'})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=7, help="interleaved upgrade pairs (at least 5)")
    parser.add_argument("--dir", type=Path, default=None, help="work dir (default: a fresh temp dir)")
    ns = parser.parse_args(argv)
    if ns.pairs < 5:
        parser.error("--pairs must be at least 5")
    if ns.dir is not None:
        ns.dir.mkdir(parents=True, exist_ok=True)
        return run(ns.pairs, ns.dir.resolve())
    with tempfile.TemporaryDirectory(prefix="bench-upgrade-") as tmp:
        return run(ns.pairs, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
