"""Work around a Pulumi SDK leak in dynamic-provider serialization (pulumi 3.272, ``pulumi/dynamic/dynamic.py``).

``serialize_provider`` swaps ``pickle.Pickler`` for ``pickle._Pickler`` and replaces
``pickle._Pickler._batch_setitems`` with a sorting wrapper around the *current* method, but restores only
``pickle.Pickler``. Each dynamic resource therefore wraps the previous wrapper: serialization gets slower with
every resource (each level sorts again), and after roughly 470 dynamic resources in one program it fails with
``RecursionError: maximum recursion depth exceeded``. A stack with hundreds of stateful workloads (one
SavepointGate each) hits that under ``pulumi up`` exactly as in the offline plan.

:func:`reset_pickler` unwinds the wrappers to the original method; call it before constructing each dynamic
resource. The SDK then adds its one sorting wrapper, as intended, and serialization stays deterministic.
"""

from __future__ import annotations

import pickle

#: Names of the SDK's wrapper functions (``serialize_provider`` locals) around ``_batch_setitems``.
_SDK_WRAPPERS = ("batch_set_items_sorted_before_py14", "batch_set_items_sorted")


def _unwrapped(fn):  # type: ignore[no-untyped-def]
    while getattr(fn, "__name__", "") in _SDK_WRAPPERS and getattr(fn, "__closure__", None):
        cells = dict(zip(fn.__code__.co_freevars, (c.cell_contents for c in fn.__closure__)))
        if "unsorted_batch_setitems" not in cells:
            break
        fn = cells["unsorted_batch_setitems"]
    return fn


def wrapper_depth() -> int:
    """How many SDK wrappers sit on ``pickle._Pickler._batch_setitems`` now (0 = pristine)."""
    depth, fn = 0, pickle._Pickler._batch_setitems  # type: ignore[attr-defined]
    while getattr(fn, "__name__", "") in _SDK_WRAPPERS and getattr(fn, "__closure__", None):
        depth += 1
        fn = dict(zip(fn.__code__.co_freevars, (c.cell_contents for c in fn.__closure__)))["unsorted_batch_setitems"]
    return depth


def reset_pickler() -> None:
    """Restore the original ``pickle._Pickler._batch_setitems`` (see the module docstring)."""
    pickle._Pickler._batch_setitems = _unwrapped(pickle._Pickler._batch_setitems)  # type: ignore[attr-defined]
