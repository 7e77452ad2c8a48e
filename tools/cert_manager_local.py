"""``python -m tools.cert_manager_local``: build and run a real cert-manager controller (from its Go module) against a local control plane (:mod:`testbed.certmanager.controller`)."""

from testbed.certmanager.controller import main

if __name__ == "__main__":
    raise SystemExit(main())
