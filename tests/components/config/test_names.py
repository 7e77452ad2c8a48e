"""Whole-string matching: no pattern in the project accepts a value with a final newline (Python's `$` would)."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from components.config import names

JOB_ID = "0123456789abcdef0123456789abcdef"
SHA = "ab" * 32


@pytest.mark.parametrize(
    ("ecma", "python"),
    [
        (r"^a$", r"^a\Z"),
        (r"^[$]$", r"^[$]\Z"),
        (r"^\$x$", r"^\$x\Z"),
        (r"^(a|b$)", r"^(a|b\Z)"),
        (r"^[a\]$]+$", r"^[a\]$]+\Z"),
    ],
)
def test_python_pattern_turns_only_anchors_into_end_of_string(ecma: str, python: str) -> None:
    assert names.python_pattern(ecma) == python


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
@example("a\n")
@example("a")
def test_python_pattern_never_matches_before_a_final_newline(text: str) -> None:
    pattern = names.python_pattern(names.json_schema_pattern("[a-z]+"))
    assert (re.search(pattern, text) is not None) == (re.fullmatch("[a-z]+", text) is not None)


@pytest.mark.parametrize("value", ["team-a\n", "team-a\r\n", " team-a", "team-a "])
def test_name_rules_match_the_whole_string(value: str) -> None:
    assert not names.is_dns_label(value)
    assert not names.is_dns_subdomain(value)
    assert not names.is_label_value(value)
    assert names.label_key_problem(value) is not None
    assert names.is_dns_label(value.strip())


def test_flink_ids_match_the_whole_string() -> None:
    from flink_rest.client import _check_id

    assert _check_id("job_id", JOB_ID) == JOB_ID
    with pytest.raises(ValueError, match="32 lowercase hex"):
        _check_id("job_id", JOB_ID + "\n")


def test_jar_digest_and_gate_job_id_match_the_whole_string() -> None:
    from components.providers.flink_job_model import FlinkJobInputs
    from components.providers.inputs import validate
    from components.providers.savepoint_gate import SavepointGateInputs

    base = {"restUrl": "http://127.0.0.1:8081", "jar": "/tmp/x.jar"}
    assert validate(FlinkJobInputs, {**base, "jarSha256": SHA})[1] == []
    (failure,) = validate(FlinkJobInputs, {**base, "jarSha256": SHA + "\n"})[1]
    assert failure[0] == "jarSha256"
    gate = {"restUrl": "http://127.0.0.1:8081", "specHash": "x"}
    assert validate(SavepointGateInputs, {**gate, "jobId": JOB_ID})[1] == []
    (failure,) = validate(SavepointGateInputs, {**gate, "jobId": JOB_ID + "\n"})[1]
    assert failure[0] == "jobId"


def test_schema_validation_reads_patterns_as_the_api_server_does() -> None:
    from planning.schema_validation import ExactValidator

    schema = {"type": "string", "pattern": "^[a-z]+$"}
    assert not list(ExactValidator(schema).iter_errors("abc"))
    assert list(ExactValidator(schema).iter_errors("abc\n"))
    props = {"type": "object", "patternProperties": {"^[a-z]+$": {}}, "additionalProperties": False}
    assert list(ExactValidator(props).iter_errors({"abc\n": 1}))
