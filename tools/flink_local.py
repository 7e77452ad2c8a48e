"""``python -m tools.flink_local``: start, stop a real Flink 2.3 session cluster on 127.0.0.1 (:mod:`testbed.flink.cluster`)."""

from testbed.flink.cluster import main

if __name__ == "__main__":
    raise SystemExit(main())
