"""``python -m tools.policy_check``: the policy gate: plan a stack (or read a plan) and judge it with the policy pack (:mod:`planning.policy_gate`)."""

from planning.policy_gate import main

if __name__ == "__main__":
    raise SystemExit(main())
