"""``python -m tools.netpol``: ask the NetworkPolicy evaluator whether one flow is allowed by a rendered plan (:mod:`planning.netpol`)."""

from planning.netpol import main

if __name__ == "__main__":
    raise SystemExit(main())
