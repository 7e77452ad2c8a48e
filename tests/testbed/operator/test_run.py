"""testbed.operator.run without a cluster: what it reads from a plan and how it lays out one replica's JVM."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import yaml

from components.operator import upstream
from tests.conftest import STACKS, platform_config
from tests.e2e import plan_objects as po
from testbed.operator import run


@pytest.mark.parametrize("stack", STACKS)
def test_every_operator_of_the_plan_is_found_with_its_config(stack: str, committed_plans: dict[str, Path]) -> None:
    config = platform_config(stack)
    installs = run.operator_installs(po.load_objects(committed_plans[stack]))
    tenants = {t["operator"]["namespace"]: t for t in config["tenants"] if t.get("operator")}
    assert [i.namespace for i in installs] == sorted({config["operator"]["namespace"], *tenants})
    for install in installs:
        own = tenants.get(install.namespace)
        expected = own["namespaces"] if own else [n for t in config["tenants"] if not t.get("operator")
                                                  for n in t["namespaces"]]
        assert set(install.watched_namespaces) == set(expected)
        assert install.replicas == ((own or {}).get("operator") or config["operator"]).get("replicas", 1)
        assert install.service_account == upstream.OPERATOR_SERVICE_ACCOUNT
        assert install.lease_setting_s(run.KEY_LEASE_DURATION) == 15.0  # JOSDK's default; the plans set none


def _replica(tmp_path: Path, committed_plans, stack: str = "prod", **kwargs) -> run.OperatorReplica:
    install = run.operator_installs(po.load_objects(committed_plans[stack]))[0]
    plane = run.ControlPlane("https://127.0.0.1:1", tmp_path / "ca.crt", ("c", "k"))
    return run.OperatorReplica(install, plane, tmp_path / "replica", "flink-kubernetes-operator-0", **kwargs)


def test_the_environment_is_the_containers_with_local_paths(tmp_path: Path, committed_plans) -> None:
    replica = _replica(tmp_path, committed_plans)
    home = tmp_path / "home"
    env = replica.environment(home)
    assert env["OPERATOR_NAMESPACE"] == replica.install.namespace
    assert env["OPERATOR_NAME"] == upstream.OPERATOR_DEPLOYMENT_NAME
    assert env["HOSTNAME"] == env["POD_NAME"] == "flink-kubernetes-operator-0"
    assert env["FLINK_CONF_DIR"] == str(replica.conf_dir)
    assert env["LOG_CONFIG"] == f"-Dlog4j.configurationFile={replica.conf_dir}/{upstream.OPERATOR_LOG4J_FILE}"
    assert env["KUBECONFIG"] == str(replica.work_dir / "kubeconfig")
    assert env["CONF_OVERRIDE_DIR"] == str(replica.override_dir)
    assert not any("/opt/flink/conf" in v for v in env.values())


def test_only_the_host_overrides_and_the_tests_own_are_written(tmp_path: Path, committed_plans) -> None:
    replica = _replica(tmp_path, committed_plans, config_overrides={upstream.KEY_WATCHED_NAMESPACES: "a,b"})
    replica._write_overrides()
    written = yaml.safe_load((replica.override_dir / upstream.CONFIG_FILE).read_text())
    assert set(written) == {*run.HOST_OVERRIDES, upstream.KEY_WATCHED_NAMESPACES}
    assert written[upstream.KEY_HEALTH_PROBE_PORT] == replica.health_port != 8085
    assert Path(written[run.KEY_ARTIFACTS_DIR]).is_dir()


def test_the_jvm_gets_the_containers_memory_limit(tmp_path: Path, committed_plans) -> None:
    replica = _replica(tmp_path, committed_plans)
    limit = replica.install.container["resources"]["limits"]["memory"]
    assert f"-XX:MaxRAM={run._bytes(limit)}" in replica._host_jvm_options()
    assert run._bytes("512Mi") == 512 * 2**20 and run._bytes("2Gi") == 2 * 2**30 and run._bytes("1G") == 10**9


@pytest.mark.parametrize(("text", "seconds"), [("15 s", 15.0), ("2 min", 120.0), ("500 ms", 0.5), ("10s", 10.0)])
def test_flink_durations(text: str, seconds: float) -> None:
    assert run._seconds(text) == seconds


def test_the_credential_id_is_the_tokens_jti() -> None:
    claims = base64.urlsafe_b64encode(json.dumps({"jti": "0f1e"}).encode()).decode().rstrip("=")
    assert run.credential_id(f"h.{claims}.s") == "JTI=0f1e"
