"""Entry point the Pulumi CLI runs (``python -m pulumi.policy <engine> policies``): build the PolicyPack, nothing else.

The pack imports upstream facts from ``components/`` (stdlib-only modules), so the project root goes on
``sys.path`` first; see policies/README.md ("Where the facts live").
"""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from pulumi_policy import PolicyPack  # noqa: E402

from policies import shared_props  # noqa: E402
from policies.pack import DEFAULT_LEVEL, PACK_NAME, all_policies  # noqa: E402

shared_props.install()
PolicyPack(name=PACK_NAME, policies=all_policies(), enforcement_level=DEFAULT_LEVEL)
