"""``python -m tools.pulumi_local``: the real Pulumi CLI against the local control plane (build, up, preview, refresh, destroy) (:mod:`testbed.pulumi.cli`)."""

from testbed.pulumi.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
