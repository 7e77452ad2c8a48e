"""Deserialize a resource's properties once per request instead of once per policy.

pulumi-policy 1.21.0's ``Analyze``/``AnalyzeStack`` loop over the registered policies and, for each one, convert
the request's protobuf ``Struct`` to a dict (``json_format.MessageToDict``), deserialize it
(``deserialize_properties``) and wrap it in unknown-checking proxies (``unknown_checking_proxy``), *before* the
policy can look at the resource type. With one policy per rule that is ~30 full copies of every resource, and the
operator CRDs are ~600 kB each: the SDK's per-policy cost, not the rules, dominated the gate.

``install()`` memoizes those three steps on the identity of their input (the request's sub-message, then the
dict made from it), so every policy of one request reads the same read-only proxy tree. Semantics are unchanged:
unknown values still raise ``UnknownValueError`` when a policy reads them (each policy gets its own advisory),
enforcement levels and configs are untouched. Policies must not mutate ``args.props`` (none here do; remediation,
which this pack does not use, deserializes with different arguments and so gets its own copy).

The memo keeps a reference to each input it has seen, so an ``id`` cannot be reused while its entry exists; it is
bounded (LRU). ``install`` refuses to run against an SDK whose patch points moved (pin: policies/requirements.txt).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable

import pulumi_policy.policy as sdk

PATCH_POINTS = ("json_format", "deserialize_properties", "unknown_checking_proxy")
#: Entries kept: three per resource, so an AnalyzeStack over ~60,000 resources still shares across policies.
MAX_ENTRIES = 200_000


class _Memo:
    def __init__(self, fn: Callable[..., Any], max_entries: int = MAX_ENTRIES):
        self.fn = fn
        self.max_entries = max_entries
        self.cache: OrderedDict[tuple, tuple[Any, Any]] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def __call__(self, obj: Any, *args: Any, **kwargs: Any) -> Any:
        key = (id(obj), args, tuple(sorted(kwargs.items()))) if kwargs else (id(obj), args)
        with self.lock:
            hit = self.cache.get(key)
            if hit is not None and hit[0] is obj:
                self.cache.move_to_end(key)
                self.hits += 1
                return hit[1]
        result = self.fn(obj, *args, **kwargs)
        with self.lock:
            self.misses += 1
            self.cache[key] = (obj, result)
            while len(self.cache) > self.max_entries:
                self.cache.popitem(last=False)
        return result


class _JsonFormat:
    """``google.protobuf.json_format`` with a memoized ``MessageToDict``."""

    def __init__(self, module: Any):
        self._module = module
        self.MessageToDict = _Memo(module.MessageToDict)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def install() -> None:
    missing = [p for p in PATCH_POINTS if not hasattr(sdk, p)]
    if missing:
        raise RuntimeError(f"pulumi_policy.policy has no {missing}: the SDK changed; update policies/shared_props.py")
    if isinstance(sdk.json_format, _JsonFormat):
        return
    sdk.json_format = _JsonFormat(sdk.json_format)
    sdk.deserialize_properties = _Memo(sdk.deserialize_properties)
    sdk.unknown_checking_proxy = _Memo(sdk.unknown_checking_proxy)
