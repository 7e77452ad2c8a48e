"""Message helpers of the Flink REST client: Java stack-trace summaries, failure-cause decoding, scrubbing."""

from __future__ import annotations

import base64

from flink_rest.errors import decode_failure_cause, scrub, summarize_errors, summarize_java_text

TRACE = ("org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application.\n"
         "\tat org.apache.flink.runtime.webmonitor.handlers.JarRunHandler.lambda(JarRunHandler.java:114)\n"
         "Caused by: org.apache.flink.util.FlinkRuntimeException: Could not execute application.\n"
         "\t... 1 more\n"
         "Caused by: java.io.FileNotFoundException: Cannot find checkpoint or savepoint file/directory 'x'.\n"
         "\t... 5 more\n")


def java_string(text: str, long: bool = False) -> bytes:
    data = text.encode()
    return (b"\x7c" + len(data).to_bytes(8, "big") if long else b"\x74" + len(data).to_bytes(2, "big")) + data


def test_summary_keeps_the_first_line_and_the_root_cause():
    assert summarize_java_text(TRACE) == (
        "org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application. | "
        "root cause: java.io.FileNotFoundException: Cannot find checkpoint or savepoint file/directory 'x'.")


def test_server_side_wrapper_is_unwrapped_and_entries_are_joined():
    assert summarize_errors(["Internal server error.", f"<Exception on server side:\n{TRACE}>"]).startswith(
        "Internal server error.; org.apache.flink.runtime.rest.handler.RestHandlerException")
    assert summarize_errors([]) == "(no error text)"


def test_failure_cause_is_decoded_from_the_java_serialized_stack_trace():
    trace = "java.nio.file.FileAlreadyExistsException: /tmp/f\n\tat sun.nio.fs.X.y(X.java:1)\n"
    for long in (False, True):
        blob = (b"\xac\xed\x00\x05sr\x00\x25org.apache.flink.util.SerializedThrowable" + java_string("short")
                + java_string(trace, long) + b"\x78")
        cause = {"serialized-throwable": base64.b64encode(blob).decode()}
        assert decode_failure_cause(cause) == "java.nio.file.FileAlreadyExistsException: /tmp/f"


def test_undecodable_failure_cause_names_its_keys():
    assert decode_failure_cause({"other": 1}) == "savepoint failed; failure-cause could not be decoded (keys: ['other'])"
    assert "not an object" in decode_failure_cause("text")


def test_scrub_replaces_every_secret():
    assert scrub("Bearer abc and abc, pw xyz", ["abc", None, "", "xyz"]) == "Bearer *** and ***, pw ***"
