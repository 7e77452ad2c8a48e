"""Pod templates merged as the operator merges them (stdlib only: the program and the policy pack import it).

The operator 1.15.0 renders a FlinkDeployment's JobManager pod template as ``mergePodTemplates(spec.podTemplate,
spec.jobManager.podTemplate, mergeByName)`` (the TaskManager's likewise), in
``FlinkConfigBuilder.applyPodTemplate`` → ``FlinkUtils.mergePodTemplates``. Its semantics, read from that source:

- both templates go through fabric8's typed ``PodTemplateSpec`` first, so a ``null`` field or an empty list is the
  same as an absent one (the model drops them when it serializes): ``hostNetwork: null`` in the role template does
  *not* clear ``hostNetwork: true`` from the common one;
- maps merge recursively, field by field of the role (``from``) template; where the common (``to``) value is a map,
  a non-map ``from`` value changes nothing;
- lists merge by index (``volumes: []`` in the role template keeps every common volume; a longer ``from`` list
  appends its extra elements; a scalar element already in ``to`` is kept), or by ``name`` when
  ``kubernetes.operator.pod-template.merge-arrays-by-name`` is true and every element of both lists has a name;
- anything else: the ``from`` value replaces the ``to`` value.

:func:`merge_arrays_by_name` reads the option from a resource's ``flinkConfiguration``; ``None`` when the resource
does not set it (then the operator's own default configuration decides, so a gate checks both ways).
``tests/components/operator/test_pod_template.py`` checks this module against the operator's own
``FlinkUtils.mergePodTemplates`` (the operator jar from ``testbed.operator.build``) on generated templates.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

#: The operator's dynamic option that switches list merging from by-index to by-name (default false).
MERGE_BY_NAME_KEY = "kubernetes.operator.pod-template.merge-arrays-by-name"
MERGE_BY_NAME_DEFAULT = False


def plain(value: Any) -> Any:
    """A plain ``dict``/``list`` copy of ``value`` (read through any Mapping/Sequence proxy), with nulls and empty
    lists dropped from maps as fabric8's model drops them when it serializes (``NON_NULL``, ``NON_EMPTY`` lists): an
    empty role list then merges nothing, even by name (found by the real-merge test: ``containers: []`` must not
    collapse two common containers of the same name)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items() if v is not None and not _empty_list(v)}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [plain(v) for v in value]
    return value


def _empty_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes)) and len(value) == 0


def merge_pod_templates(to: Any, frm: Any, merge_by_name: bool = MERGE_BY_NAME_DEFAULT) -> Any:
    """The pod template the operator renders from the common template ``to`` and the role template ``frm``."""
    if frm is None:
        return plain(to)
    if to is None:
        return plain(frm)
    target = plain(to)
    _merge_into(target, plain(frm), merge_by_name)
    return target


def _merge_into(to: Any, frm: Any, by_name: bool) -> None:
    if not isinstance(frm, dict):
        return  # a non-object has no field names: nothing to merge
    for name, from_child in frm.items():
        to_child = to.get(name) if isinstance(to, dict) else None
        if isinstance(to_child, list) and isinstance(from_child, list):
            _merge_array(to_child, from_child, by_name)
        elif isinstance(to_child, dict):
            _merge_into(to_child, from_child, by_name)
        elif isinstance(to, dict):
            to[name] = copy.deepcopy(from_child)


def _names_defined(items: list) -> bool:
    return all(isinstance(e, dict) and "name" in e for e in items)


def _merge_array(to: list, frm: list, by_name: bool) -> None:
    if by_name and _names_defined(to) and _names_defined(frm):
        grouped: dict[str, Any] = {}
        for e in to:
            grouped[_name_text(e["name"])] = e
        incoming: dict[str, Any] = {}  # the operator groups both lists first: a later duplicate name wins
        for e in frm:
            incoming[_name_text(e["name"])] = e
        for key, e in incoming.items():
            if key in grouped:
                _merge_into(grouped[key], e, by_name)
            else:
                grouped[key] = copy.deepcopy(e)
        to[:] = list(grouped.values())
        return
    for i, element in enumerate(frm):
        if len(to) <= i:
            to.append(copy.deepcopy(element))
        _merge_into(to[i], element, by_name)


def _name_text(value: Any) -> str:
    """Jackson's ``asText()`` of a name node."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def merge_arrays_by_name(flink_configuration: Mapping[str, str]) -> bool | None:
    """The resource's own setting of :data:`MERGE_BY_NAME_KEY` (Flink's boolean parsing), ``None`` when unset or
    unreadable (the operator's configuration decides)."""
    value = flink_configuration.get(MERGE_BY_NAME_KEY)
    if value is None:
        return None
    text = str(value).strip().lower()
    return {"true": True, "false": False}.get(text)
