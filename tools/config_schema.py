"""``python -m tools.config_schema [--check]``: write (or check) the JSON Schema of the stack files (:mod:`planning.config_schema`)."""

from planning.config_schema import main

if __name__ == "__main__":
    raise SystemExit(main())
