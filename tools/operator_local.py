"""``python -m tools.operator_local build``: build the real operator 1.15.0 from ../shared (:mod:`testbed.operator.cli`)."""

from testbed.operator.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
