"""The whole stack config (components/config/stack.py): unknown keys in the project's namespace, the default-provider
guard, one message for every problem, read from what the engine hands the program."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from components.config.models import ConfigError
from components.config.stack import load_stack_config, runtime_config
from tests.conftest import MINIMAL_PLATFORM as BASE

GUARD = {"pulumi:disable-default-providers": ["kubernetes"]}


def stack(**extra: Any) -> dict[str, Any]:
    return {**GUARD, "flink-platform:platform": copy.deepcopy(BASE), **extra}


def test_stack_config_with_every_known_key_loads() -> None:
    config = stack(**{"flink-platform:flinkRestToken": SECURE, "flink-platform:flinkRestCredentialHosts": '["jm.a"]',
                      "flink-platform:jobIdKey": SECURE, "kubernetes:context": "x", "aws:region": "eu"})
    assert load_stack_config(config).environment == "dev"


#: An encrypted stack-file entry as `pulumi config set --secret` writes it.
SECURE = {"secure": "v1:cGxhY2Vob2xkZXI=:cGxhY2Vob2xkZXIgY2lwaGVydGV4dA=="}
SECRET_KEYS = ["flink-platform:flinkRestToken", "flink-platform:flinkRestPassword", "flink-platform:jobIdKey",
               "flink-platform:webhookKeystorePassword"]


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_a_secret_key_in_plaintext_in_the_stack_file_is_refused_with_its_key(key: str) -> None:
    config = stack(**{key: "hunter2", "flink-platform:flinkRestCredentialHosts": '["jm.a"]'})
    with pytest.raises(ConfigError) as info:
        load_stack_config(config)
    (problem,) = info.value.problems
    assert problem.path == key and "plaintext" in problem.found and "--secret" in problem.allowed
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_a_secret_key_set_as_a_secure_value_is_accepted(key: str) -> None:
    config = stack(**{key: SECURE, "flink-platform:flinkRestCredentialHosts": '["jm.a"]'})
    assert load_stack_config(config).environment == "dev"


def test_a_keystore_password_under_its_configured_key_must_be_secure_too() -> None:
    config = stack(**{"flink-platform:opKeystorePass": "hunter2"})
    config["flink-platform:platform"].setdefault("operator", {})["webhook"] = {
        **config["flink-platform:platform"].get("operator", {}).get("webhook", {}),
        "keystorePasswordConfigKey": "opKeystorePass"}
    with pytest.raises(ConfigError) as info:
        load_stack_config(config)
    assert [p.path for p in info.value.problems] == ["flink-platform:opKeystorePass"]


def test_unknown_key_in_the_project_namespace_is_an_error_naming_the_allowed_keys() -> None:
    config = stack(**{"flink-platform:platfrom": {"environment": "dev"}})
    with pytest.raises(ConfigError) as info:
        load_stack_config(config)
    (problem,) = info.value.problems
    assert problem.path == "flink-platform:platfrom"
    assert "flink-platform:platform" in problem.allowed and "flink-platform:flinkRestToken" in problem.allowed
    assert "did you mean 'flink-platform:platform'?" in problem.allowed


@pytest.mark.parametrize("guard", [None, [], ["aws"], "kubernetes-foo"])
def test_stack_without_the_default_provider_guard_is_refused_with_the_line_to_add(guard: Any) -> None:
    config = stack()
    if guard is None:
        del config["pulumi:disable-default-providers"]
    else:
        config["pulumi:disable-default-providers"] = guard
    with pytest.raises(ConfigError) as info:
        load_stack_config(config)
    (problem,) = info.value.problems
    assert problem.path == "pulumi:disable-default-providers"
    assert "pulumi:disable-default-providers:\n    - kubernetes" in str(info.value)


@pytest.mark.parametrize("guard", [["kubernetes"], ["aws", "kubernetes"], ["*"], '["kubernetes"]'])
def test_default_provider_guard_accepts_the_engine_forms(guard: Any) -> None:
    """The stack file writes a list; the engine hands the program a JSON string; '*' disables every default."""
    assert load_stack_config({**stack(), "pulumi:disable-default-providers": guard})


def test_stack_config_problems_and_platform_problems_come_in_one_message() -> None:
    config = stack(**{"flink-platform:tenants": []})
    del config["pulumi:disable-default-providers"]
    config["flink-platform:platform"]["environment"] = "dev\n"
    with pytest.raises(ConfigError) as info:
        load_stack_config(config)
    assert {p.path for p in info.value.problems} == {
        "flink-platform:tenants",
        "pulumi:disable-default-providers",
        "platform.environment",
    }


def test_stack_config_is_read_from_what_the_engine_hands_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under `pulumi up` the language host passes config in PULUMI_CONFIG (JSON); the program reads it there."""
    import pulumi

    engine_form = {k: (v if isinstance(v, str) else json.dumps(v)) for k, v in stack().items()}
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({**engine_form, "flink-platform:platfrom": "{}"}))
    pulumi.runtime.set_all_config({})
    assert "flink-platform:platfrom" in runtime_config()
    with pytest.raises(ConfigError) as info:
        load_stack_config()
    assert [p.path for p in info.value.problems] == ["flink-platform:platfrom"]
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(engine_form))
    assert load_stack_config().environment == "dev"


def test_a_rest_job_with_a_literal_credential_needs_the_job_id_key() -> None:
    """Issue 19 finding 10 at the stack layer: without flink-platform:jobIdKey the job id would be guessable."""
    from tests.conftest import stack_config

    config = copy.deepcopy(stack_config("staging"))
    config["flink-platform:platform"]["workloads"]["restJobs"][0]["flinkConfiguration"] = {
        "s3.secret-key": "summer2024", "pipeline.name": "enrich"}
    with pytest.raises(ConfigError) as info:
        load_stack_config(config)
    (problem,) = info.value.problems
    assert problem.path == "platform.workloads.restJobs[0].flinkConfiguration['s3.secret-key']"
    assert "jobIdKey" in problem.allowed and "summer2024" not in str(info.value)
    config["flink-platform:jobIdKey"] = SECURE
    assert load_stack_config(config).environment == "staging"
