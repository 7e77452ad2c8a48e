"""The validator harness: the real DefaultValidator in one JVM, its protocol and its failures."""

from __future__ import annotations

import pytest

from testbed.operator import validator as harness
from tests.policies.resources import DELETE, FBG, FD, FSJ, FSS, SESSION, mutate


def test_it_answers_each_kind_in_order_and_names_the_validators_error(operator_validator) -> None:
    bad = mutate(FD, (("spec", "serviceAccount"), DELETE))
    verdicts = operator_validator.judge([
        harness.deployment(FD), harness.deployment(bad), harness.session_job(FSJ, SESSION),
        harness.session_job(FSJ, mutate(FD, (("metadata", "name"), "session"))), harness.blue_green(FBG),
        harness.snapshot(FSS), harness.snapshot(FSS, target_exists=False),
    ])
    assert [v.accepted for v in verdicts] == [True, False, True, False, True, True, False]
    assert verdicts[1].error.startswith("spec.serviceAccount must be defined")
    assert verdicts[3].error == "Can not submit session job to application cluster"
    assert "was not found" in verdicts[6].error


def test_operator_configs_are_loaded_as_the_operator_loads_config_yaml(operator_validator) -> None:
    job = mutate(FSJ, (("spec", "job", "jarURI"), "s3://bucket/job.jar"))
    operator_validator.add_config("s3-allowed", "kubernetes.operator.user.artifacts.allowed-schemes: [https, s3]\n")
    default, allowed = operator_validator.judge([harness.session_job(job), harness.session_job(job, config="s3-allowed")])
    assert "not in the allowlist" in default.error and allowed.accepted


def test_host_names_resolve_only_through_its_hosts_file(operator_validator) -> None:
    def verdict(host: str):
        return operator_validator.verdict(mutate(FSJ, (("spec", "job", "jarURI"), f"https://{host}/job.jar")))

    assert verdict("repo1.maven.org").accepted
    assert verdict("artifacts.acme.internal").error.endswith("resolves to a restricted address")
    assert verdict("not-in-the-hosts-file.example.org").error.endswith("cannot be resolved")


def test_an_exception_in_the_operator_code_is_an_answer_not_a_crash(operator_validator) -> None:
    broken = mutate(FD, (("spec", "flinkVersion"), "v9_9"))
    [verdict] = operator_validator.judge([harness.deployment(broken)])
    assert verdict.exception and "v9_9" in verdict.error
    assert operator_validator.verdict(FD).accepted, "the JVM keeps answering"


def test_a_jvm_that_cannot_start_names_the_step_and_its_log(tmp_path) -> None:
    broken = tmp_path / "harness"
    (broken / "classes").mkdir(parents=True)
    (broken / "log4j2.properties").write_text(harness.LOG4J2_PROPERTIES)
    with pytest.raises(harness.ValidatorHarnessError, match="starting the validator JVM failed.*jvm.log") as err:
        harness.OperatorValidator(harness=broken)
    assert "ValidatorHarness" in str(err.value)  # the JVM's own complaint, from its log


def test_verdict_lines_round_trip_newlines_and_backslashes() -> None:
    assert harness.Verdict.parse("OK\n") == harness.Verdict(None)
    assert harness.Verdict.parse("ERR a\\nb \\\\ c") == harness.Verdict("a\nb \\ c")
    assert harness.Verdict.parse("EXC java.lang.NullPointerException").exception
