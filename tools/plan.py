"""``python -m tools.plan``: the offline plan of a stack (render, schema-validate, policy-check, pictures, review page) (:mod:`planning.plan`)."""

from planning.plan import main

if __name__ == "__main__":
    raise SystemExit(main())
