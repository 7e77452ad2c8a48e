"""components/operator/pod_template.py merges pod templates as the operator 1.15.0 merges them.

- the cases of the operator's own ``FlinkUtilsTest`` (``testMergePods``, ``testMergePodUsingArrayName``);
- the hiding tricks of issue 19 (``volumes: []``, ``hostNetwork: null``), which the operator does not honour;
- generated templates against the real ``FlinkUtils.mergePodTemplates`` from the operator jar
  (``testbed.operator.build``: built once per machine from ../shared, ``python -m tools.operator_local build``),
  through ``merge_oracle/MergeOracle.java`` compiled against that jar.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from components.operator.pod_template import MERGE_BY_NAME_KEY, merge_arrays_by_name, merge_pod_templates


def _pod(hostname, containers):
    """Upstream BaseTestUtils.getTestPodTemplate."""
    return {"spec": {"hostname": hostname, "containers": containers}}


def test_upstream_merge_pods() -> None:
    pod1 = _pod("pod1 hostname", [])
    pod2 = _pod("pod2 hostname", [{"name": "container1"}, {"name": "container2"}])
    assert merge_pod_templates(pod1, pod2, False)["spec"]["containers"] == pod2["spec"]["containers"]


def test_upstream_merge_pods_by_array_name() -> None:
    c1, c2, c3 = ({"name": f"container{i}"} for i in (1, 2, 3))
    pod1 = _pod("pod1 hostname", [c1, c2])
    pod1["spec"]["volumes"] = [{"name": "v1", "ephemeral": {}}]
    pod2 = _pod("pod2 hostname", [c1, c3])
    pod2["spec"]["volumes"] = [{"name": "v1", "emptyDir": {}}, {"name": "v2"}, {"name": "v3"}]
    merged = merge_pod_templates(pod1, pod2, True)["spec"]
    assert merged["containers"] == [c1, c2, c3]
    assert merged["volumes"] == [{"name": "v1", "ephemeral": {}, "emptyDir": {}}, {"name": "v2"}, {"name": "v3"}]


HOST_PATH = {"name": "root", "hostPath": {"path": "/"}}


@pytest.mark.parametrize("by_name", [False, True])
def test_an_empty_role_list_does_not_hide_common_volumes(by_name) -> None:
    merged = merge_pod_templates({"spec": {"volumes": [HOST_PATH]}}, {"spec": {"volumes": []}}, by_name)
    assert merged["spec"]["volumes"] == [HOST_PATH]


def test_null_does_not_clear_a_common_value() -> None:
    merged = merge_pod_templates({"spec": {"hostNetwork": True}}, {"spec": {"hostNetwork": None}})
    assert merged["spec"]["hostNetwork"] is True


def test_lists_merge_by_index_into_the_common_element() -> None:
    common = {"spec": {"containers": [{"name": "sidecar", "securityContext": {"privileged": True}}]}}
    role = {"spec": {"containers": [{"name": "flink-main-container", "securityContext": {"runAsNonRoot": True}}]}}
    merged = merge_pod_templates(common, role, False)["spec"]["containers"]
    assert merged == [{"name": "flink-main-container", "securityContext": {"privileged": True, "runAsNonRoot": True}}]
    by_name = merge_pod_templates(common, role, True)["spec"]["containers"]
    assert [c["name"] for c in by_name] == ["sidecar", "flink-main-container"]


def test_scalar_list_elements_of_the_common_template_are_kept() -> None:
    common = {"spec": {"containers": [{"name": "m", "args": ["a"]}]}}
    role = {"spec": {"containers": [{"name": "m", "args": ["b", "c"]}]}}
    assert merge_pod_templates(common, role)["spec"]["containers"][0]["args"] == ["a", "c"]


def test_merge_option_read_from_flink_configuration() -> None:
    assert merge_arrays_by_name({}) is None
    assert merge_arrays_by_name({MERGE_BY_NAME_KEY: "TRUE"}) is True
    assert merge_arrays_by_name({MERGE_BY_NAME_KEY: "false"}) is False


# --- against the operator's own merge ---------------------------------------------------------------------------

ORACLE_SOURCE = Path(__file__).resolve().parent / "merge_oracle" / "MergeOracle.java"
ORACLE_BUILD = Path(__file__).resolve().parents[3] / "build" / "merge-oracle"

names = st.sampled_from(["flink-main-container", "sidecar", "init", "v1", "v2"])
scalars = st.one_of(st.none(), st.booleans())
security_context = st.fixed_dictionaries({}, optional={
    "privileged": scalars, "runAsNonRoot": scalars, "runAsUser": st.one_of(st.none(), st.sampled_from([0, 9999])),
    "capabilities": st.fixed_dictionaries({}, optional={"drop": st.lists(st.sampled_from(["ALL", "NET_RAW"]),
                                                                         max_size=2),
                                                        "add": st.lists(st.sampled_from(["SYS_ADMIN"]), max_size=1)}),
})
#: Only fields of the typed PodSecurityContext (fabric8 drops what the model does not know).
pod_security_context = st.fixed_dictionaries({}, optional={
    "runAsNonRoot": scalars, "runAsUser": st.one_of(st.none(), st.sampled_from([0, 9999])),
    "fsGroup": st.sampled_from([9999]), "seccompProfile": st.fixed_dictionaries({"type": st.sampled_from(
        ["RuntimeDefault", "Unconfined"])}),
})
container = st.fixed_dictionaries({"name": names}, optional={
    "image": st.sampled_from(["a:1", "b:2"]), "args": st.lists(st.sampled_from(["x", "y"]), max_size=3),
    "securityContext": security_context,
    "env": st.lists(st.fixed_dictionaries({"name": st.sampled_from(["A", "B"]), "value": st.sampled_from(["1", "2"])}),
                    max_size=2),
})
volume = st.fixed_dictionaries({"name": names}, optional={
    "hostPath": st.fixed_dictionaries({"path": st.sampled_from(["/", "/var"])}),
    "emptyDir": st.fixed_dictionaries({}, optional={"medium": st.sampled_from(["Memory"])}),
})
template = st.one_of(st.none(), st.fixed_dictionaries({}, optional={
    "metadata": st.fixed_dictionaries({}, optional={"labels": st.dictionaries(st.sampled_from(["a", "b"]),
                                                                              st.sampled_from(["1", "2"]),
                                                                              max_size=2)}),
    "spec": st.fixed_dictionaries({}, optional={
        "hostNetwork": scalars, "hostPID": scalars, "serviceAccountName": st.sampled_from(["flink", "default"]),
        "securityContext": pod_security_context, "containers": st.lists(container, max_size=3),
        "initContainers": st.lists(container, max_size=1), "volumes": st.lists(volume, max_size=3),
        "nodeSelector": st.dictionaries(st.sampled_from(["zone"]), st.sampled_from(["a", "b"]), max_size=1),
    }),
}))


def _normal(value):
    """Both sides as fabric8 serializes them: no nulls, no empty lists or maps."""
    if isinstance(value, dict):
        out = {k: _normal(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in out.items() if v not in ([], {})}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


@pytest.fixture(scope="module")
def merge_oracle():
    from testbed.flink.prereqs import find_java_tool
    from testbed.operator import build

    home = build.ensure_operator_built()
    cp = ":".join(build.classpath(home))
    classes = ORACLE_BUILD / "classes"
    classes.mkdir(parents=True, exist_ok=True)
    subprocess.run([find_java_tool("javac"), "--release", "17", "-nowarn", "-cp", cp, "-d", str(classes),
                    str(ORACLE_SOURCE)], check=True, capture_output=True, timeout=300)
    proc = subprocess.Popen([find_java_tool("java"), "-cp", f"{classes}:{cp}", "MergeOracle"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
    try:
        assert proc.stdout.readline().strip() == "READY"

        def merge(to, frm, by_name):
            proc.stdin.write(json.dumps({"to": to, "from": frm, "byName": by_name}) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline().strip()
            assert not line.startswith("ERR"), line
            return json.loads(line)

        yield merge
    finally:
        proc.stdin.close()
        proc.kill()
        proc.wait(timeout=30)


@settings(max_examples=300)
@example(to={"spec": {"containers": [{"name": "flink-main-container"}, {"name": "flink-main-container"}]}},
         frm={"spec": {"containers": []}}, by_name=True)  # an empty list is dropped before the merge
@example(to={"spec": {"containers": [{"name": "m"}]}},
         frm={"spec": {"containers": [{"name": "m", "image": "a:1"}, {"name": "m"}]}}, by_name=True)  # last wins
@given(to=template, frm=template, by_name=st.booleans())
def test_merge_equals_the_operators_merge(merge_oracle, to, frm, by_name) -> None:
    assert _normal(merge_pod_templates(to, frm, by_name)) == _normal(merge_oracle(to, frm, by_name))
