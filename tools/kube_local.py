"""``python -m tools.kube_local``: build, start, stop a real Kubernetes control plane on 127.0.0.1 (:mod:`testbed.kube.control_plane`)."""

from testbed.kube.control_plane import main

if __name__ == "__main__":
    raise SystemExit(main())
