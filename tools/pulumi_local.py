"""``python -m tools.pulumi_local``: the real Pulumi CLI, language host and provider against the local control plane (build, preview, up, refresh, destroy) (:mod:`testbed.pulumi.project`)."""

from testbed.pulumi.project import main

if __name__ == "__main__":
    raise SystemExit(main())
