"""The mock runtime the plan and the tests stand on: it must record what the engine would see, and not leak."""

from __future__ import annotations

import asyncio

import pulumi
import pulumi_kubernetes as k8s
import pytest
from pulumi.runtime import settings

from planning.mock_runtime import SECRET, mock_runtime


class Box(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("test:box:Box", name, None, opts)
        self.cm = k8s.core.v1.ConfigMap(
            f"{name}-cm",
            metadata={"name": "cm", "namespace": "ns"},
            data={"replicas": "2"},
            opts=pulumi.ResourceOptions(parent=self, protect=True, ignore_changes=["data"]),
        )
        self.register_outputs({"answer": 42})


def test_records_engine_view_with_real_urns(pulumi_runtime) -> None:
    @pulumi.runtime.test
    def build():
        outer = Box("outer")
        inner = Box("inner", pulumi.ResourceOptions(parent=outer, depends_on=[outer.cm]))
        return inner.urn

    build()
    regs = {r.name: r for r in pulumi_runtime.registrations}
    assert regs["outer"].urn == "urn:pulumi:test::flink-platform::test:box:Box::outer"
    assert regs["inner"].urn == "urn:pulumi:test::flink-platform::test:box:Box$test:box:Box::inner"
    assert regs["inner-cm"].urn == (
        "urn:pulumi:test::flink-platform::test:box:Box$test:box:Box$kubernetes:core/v1:ConfigMap::inner-cm"
    )
    assert regs["inner"].parent == regs["outer"].urn
    assert regs["outer"].parent == ""
    assert regs["inner"].dependencies == [regs["outer-cm"].urn]
    assert regs["outer-cm"].options["protect"] is True
    assert regs["outer-cm"].options["ignoreChanges"] == ["data"]
    assert regs["outer"].outputs == {"answer": 42}


def test_numbers_come_back_as_integers(pulumi_runtime) -> None:
    """Protobuf Structs turn every number into a float; Kubernetes integers must stay integers in records."""

    @pulumi.runtime.test
    def build():
        svc = k8s.core.v1.Service("svc", spec={"ports": [{"port": 443, "targetPort": 9443}]})
        return svc.urn

    build()
    (svc,) = pulumi_runtime.registrations
    port = svc.inputs["spec"]["ports"][0]
    assert port == {"port": 443, "targetPort": 9443}
    assert type(port["port"]) is int


def test_state_is_the_inputs_and_outputs_resolve(pulumi_runtime) -> None:
    """preview=False: an output the mock returns resolves, so an assertion inside apply really runs."""
    seen = []

    @pulumi.runtime.test
    def build():
        cm = k8s.core.v1.ConfigMap("cm", data={"k": "v"})
        return cm.data.apply(seen.append)

    build()
    assert seen == [{"k": "v"}]


def test_secrets_are_never_recorded_in_plaintext(pulumi_runtime) -> None:
    @pulumi.runtime.test
    def build():
        secret = k8s.core.v1.Secret("s", string_data={"password": pulumi.Output.secret("hunter2-very-secret")})
        return secret.urn

    build()
    (secret,) = pulumi_runtime.registrations
    # pulumi-kubernetes marks the whole stringData of a Secret as secret: its keys (names) are kept so the
    # manifest stays a valid Secret, every value is masked.
    assert secret.inputs["stringData"] == {"password": SECRET}
    assert "hunter2" not in repr([r.to_json() for r in pulumi_runtime.registrations])


def test_invokes_are_refused() -> None:
    from planning.mock_runtime import PlatformMocks

    with pytest.raises(NotImplementedError, match="kubernetes:yaml:decode"):
        PlatformMocks().call(pulumi.runtime.MockCallArgs("kubernetes:yaml:decode", {}, ""))


def test_runtime_is_reset_after_use() -> None:
    with mock_runtime("a") as monitor:
        loop = asyncio.get_event_loop()

        @pulumi.runtime.test
        def build():
            return k8s.core.v1.Namespace("ns").urn

        build()
        assert monitor.registrations
    assert loop.is_closed()
    assert settings.SETTINGS.monitor is None
    with mock_runtime("b") as second:
        assert second is not monitor and second.registrations == []
        assert pulumi.get_stack() == "b"
