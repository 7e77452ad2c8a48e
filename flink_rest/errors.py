"""Exceptions raised by the Flink REST client, and the text helpers that build their messages.

Every exception names the call that failed (``"POST /jobs/<id>/stop"``) and why: the Flink ``{"errors": [...]}``
body, the transport error, or the field of a 2xx body that was not the documented shape. Java stack traces that
Flink puts into error bodies and into ``serialized-throwable`` blobs are cut down to their first line and their
``Caused by:`` lines so a message stays readable. The client passes its secrets to :func:`scrub` before any text
reaches an exception, so a token or password never appears in ``str(exc)``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable

#: Longest message text kept from one Flink error entry or decoded throwable.
MAX_DETAIL_CHARS = 1200
#: Java object-serialization tags for strings (TC_STRING, TC_LONGSTRING), used to pull text out of a
#: ``serialized-throwable`` without a JVM.
_TC_STRING = 0x74
_TC_LONGSTRING = 0x7C
_REDACTED = "***"
#: How Flink wraps a server-side stack trace in an ``errors`` entry.
_SERVER_SIDE_PREFIX = "<Exception on server side:"


class FlinkRestError(Exception):
    """A Flink REST call failed.

    Attributes: ``call`` (e.g. ``"POST /jobs/<id>/stop"``), ``status`` (HTTP status or ``None`` for transport
    errors and client-side checks) and ``errors`` (the Flink ``errors`` entries, or the one-line reason).
    """

    def __init__(self, message: str, *, call: str, status: int | None = None, errors: Iterable[str] = ()):
        super().__init__(message)
        self.call = call
        self.status = status
        self.errors = list(errors)


class FlinkUnreachableError(FlinkRestError):
    """The JobManager could not be reached: connection refused, DNS, TLS handshake or timeout (status None)."""


class FlinkNotFoundError(FlinkRestError):
    """Flink answered 404: the job, jar or trigger does not exist (or is no longer kept)."""


class SavepointFailedError(FlinkRestError):
    """A savepoint or stop-with-savepoint failed. ``failure`` holds a short decoded summary of the cause."""

    def __init__(self, message: str, *, call: str, status: int | None = None, errors: Iterable[str] = (),
                 failure: str = ""):
        super().__init__(message, call=call, status=status, errors=errors)
        self.failure = failure


class OperationTimeoutError(FlinkRestError):
    """A wait ran past its deadline. The message says what was awaited and the last state seen (``last_state``)."""

    def __init__(self, message: str, *, call: str, last_state: object = None):
        super().__init__(message, call=call, status=None, errors=[])
        self.last_state = last_state


class JobStateError(FlinkRestError):
    """A job reached a state the caller did not wait for (e.g. FAILED). ``state`` and ``root_cause`` say which."""

    def __init__(self, message: str, *, call: str, state: str, root_cause: str | None = None):
        super().__init__(message, call=call, status=None, errors=[root_cause] if root_cause else [])
        self.state = state
        self.root_cause = root_cause


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every non-empty secret in ``text`` with ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, _REDACTED)
    return text


def summarize_java_text(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    r"""Shorten a Java exception text to its first line plus its deepest ``Caused by:`` line (the root cause).

    Flink error entries look like ``"<Exception on server side:\norg.apache...Exception: msg\n\tat ...>"`` and
    wrap the real cause in up to ten layers; the frames and the wrapper layers are dropped.
    """
    text = text.strip()
    if text.startswith(_SERVER_SIDE_PREFIX) and text.endswith(">"):
        text = text[len(_SERVER_SIDE_PREFIX):-1]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return ""
    keep = [lines[0]]
    causes = [ln for ln in lines[1:] if ln.startswith("Caused by:")]
    if causes:
        keep.append("root cause: " + causes[-1][len("Caused by:"):].strip())
    summary = " | ".join(keep)
    return summary if len(summary) <= limit else summary[: limit - 3] + "..."


def summarize_errors(errors: Iterable[str]) -> str:
    """Join Flink ``errors`` entries into one line, each shortened by :func:`summarize_java_text`."""
    parts = [summarize_java_text(str(e)) for e in errors]
    return "; ".join(p for p in parts if p) or "(no error text)"


def _java_strings(blob: bytes) -> list[str]:
    """Every string literal in a Java serialization stream, in order (best effort, no class parsing)."""
    found: list[str] = []
    i = 0
    while i < len(blob) - 3:
        tag = blob[i]
        if tag == _TC_STRING:
            size, start = int.from_bytes(blob[i + 1:i + 3], "big"), i + 3
        elif tag == _TC_LONGSTRING and i + 9 <= len(blob):
            size, start = int.from_bytes(blob[i + 1:i + 9], "big"), i + 9
        else:
            i += 1
            continue
        end = start + size
        if size >= 4 and end <= len(blob):
            try:
                text = blob[start:end].decode("utf-8")
            except UnicodeDecodeError:
                text = ""
            if text and (text.isprintable() or "\n" in text):
                found.append(text)
                i = end
                continue
        i += 1
    return found


def decode_failure_cause(failure_cause: object) -> str:
    """A short summary of a savepoint ``operation.failure-cause``.

    Flink sends ``{"serialized-throwable": <base64 of a Java-serialized SerializedThrowable>}``. The
    SerializedThrowable keeps the full stack trace as a string field, which is read out of the stream and
    summarized. If nothing readable is found, the summary names the keys that were present.
    """
    if not isinstance(failure_cause, dict):
        return f"savepoint failed; failure-cause was {type(failure_cause).__name__}, not an object"
    raw = failure_cause.get("serialized-throwable")
    if isinstance(raw, str):
        try:
            blob = base64.b64decode(raw, validate=False)
        except (ValueError, TypeError):
            blob = b""
        strings = _java_strings(blob)
        traces = [s for s in strings if re.search(r"\n\s*at ", s)]
        if traces:
            return summarize_java_text(max(traces, key=len))
        exception_like = [s for s in strings if re.match(r"^[\w$.]+(Exception|Error)\b", s)]
        if exception_like:
            return summarize_java_text(exception_like[0])
    return f"savepoint failed; failure-cause could not be decoded (keys: {sorted(failure_cause)})"
