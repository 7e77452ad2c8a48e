"""HTTP transport for the Flink REST client: endpoint settings, the session, and turning answers into errors.

One ``requests.Session`` per transport with the endpoint's TLS settings and credentials. GET and HEAD go through
an adapter with a urllib3 ``Retry`` (connect/read errors and 502/503/504, small backoff); every other method
goes through an adapter that never retries, because a repeated POST could run a job or take a savepoint twice.
Every request carries the endpoint timeout. Non-2xx answers become :mod:`flink_rest.errors`
exceptions carrying Flink's ``errors`` text; transport failures become FlinkUnreachableError. Secrets are
scrubbed from every message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3.util.retry import Retry

from flink_rest.errors import (
    FlinkNotFoundError,
    FlinkRestError,
    FlinkUnreachableError,
    scrub,
    summarize_errors,
)

#: Statuses on which an idempotent GET/HEAD is retried.
RETRY_STATUSES = (502, 503, 504)
#: Methods that may be retried automatically.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD"})
#: Seconds of urllib3 exponential backoff between read retries.
RETRY_BACKOFF_S = 0.05


@dataclass(frozen=True)
class RestEndpoint:
    """Where and how to reach a JobManager's REST endpoint. Secrets are left out of ``repr``."""

    url: str
    ca_bundle: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    bearer_token: str | None = field(default=None, repr=False)
    basic_username: str | None = None
    basic_password: str | None = field(default=None, repr=False)
    timeout_s: float = 10.0
    read_retries: int = 3

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"RestEndpoint.url must be http(s)://host[:port], got scheme {parts.scheme!r} "
                             f"and host {parts.hostname!r}")
        if parts.username is not None or parts.password is not None:
            raise ValueError("RestEndpoint.url must not carry credentials (user:password@host); "
                             "use basic_username/basic_password or bearer_token")
        if self.bearer_token and (self.basic_username or self.basic_password):
            raise ValueError("RestEndpoint: set either bearer_token or basic_username/basic_password, not both")
        if bool(self.basic_username) != bool(self.basic_password):
            raise ValueError("RestEndpoint: basic auth needs both basic_username and basic_password")
        if self.client_key and not self.client_cert:
            raise ValueError("RestEndpoint: client_key given without client_cert")
        if not self.timeout_s > 0:
            raise ValueError(f"RestEndpoint.timeout_s must be > 0, got {self.timeout_s}")
        if self.read_retries < 0:
            raise ValueError(f"RestEndpoint.read_retries must be >= 0, got {self.read_retries}")

    @property
    def base_url(self) -> str:
        """The URL without a trailing slash."""
        return self.url.rstrip("/")



class _MethodRoutingAdapter(BaseAdapter):
    """Sends GET/HEAD through a retrying adapter and every other method through one that never retries."""

    def __init__(self, read_retries: int):
        super().__init__()
        retry = Retry(total=read_retries, connect=read_retries, read=read_retries, status=read_retries,
                      other=0, redirect=0, backoff_factor=RETRY_BACKOFF_S, status_forcelist=RETRY_STATUSES,
                      allowed_methods=IDEMPOTENT_METHODS, raise_on_status=False,
                      respect_retry_after_header=False)
        self._reads = HTTPAdapter(max_retries=retry)
        self._writes = HTTPAdapter(max_retries=Retry(total=0, read=False, redirect=False, raise_on_status=False))

    def send(self, request, **kwargs):  # noqa: D102 - requests adapter protocol
        adapter = self._reads if request.method.upper() in IDEMPOTENT_METHODS else self._writes
        return adapter.send(request, **kwargs)

    def close(self) -> None:  # noqa: D102
        self._reads.close()
        self._writes.close()


def body_field(body: Any, path: str, call: str, *, types: type | tuple[type, ...] = object,
               optional: bool = False):
    """Read a dotted field from a JSON body or raise a FlinkRestError naming the call, field and what was found."""
    node = body
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            if optional:
                return None
            found = f"keys {sorted(node)}" if isinstance(node, dict) else f"a {type(node).__name__}"
            raise FlinkRestError(f"Flink REST call {call} returned an unexpected body: field {path!r} is "
                                 f"missing (found {found})", call=call, errors=[f"missing {path}"])
        node = node[key]
    if node is None and optional:
        return None
    if not isinstance(node, types):
        raise FlinkRestError(f"Flink REST call {call} returned an unexpected body: field {path!r} is "
                             f"{type(node).__name__} {str(node)[:80]!r}, expected {types}",
                             call=call, errors=[f"bad {path}"])
    return node


class RestTransport:
    """Sends requests to one endpoint and maps every failure to a FlinkRestError subclass.

    Every request sent is counted, per transport (``sent``) and over all transports of the process
    (``RestTransport.sent_total``), so benchmarks can report REST requests per operation.
    """

    #: Requests sent by every transport of this process (read by bench/upgrade.py).
    sent_total = 0

    def __init__(self, endpoint: RestEndpoint):
        self.endpoint = endpoint
        self.sent = 0
        self._secrets = (endpoint.bearer_token, endpoint.basic_password)
        session = requests.Session()
        session.trust_env = False  # no proxies or netrc credentials from the environment
        adapter = _MethodRoutingAdapter(endpoint.read_retries)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        if endpoint.ca_bundle:
            session.verify = endpoint.ca_bundle
        if endpoint.client_cert:
            session.cert = (endpoint.client_cert, endpoint.client_key) if endpoint.client_key \
                else endpoint.client_cert
        if endpoint.bearer_token:
            session.headers["Authorization"] = f"Bearer {endpoint.bearer_token}"
        elif endpoint.basic_username:
            session.auth = (endpoint.basic_username, endpoint.basic_password or "")
        session.headers["Accept"] = "application/json"
        self._session = session

    @property
    def secrets(self) -> tuple[str | None, ...]:
        """The values that must never appear in a message."""
        return self._secrets

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def request(self, method: str, path: str, *, params: dict | None = None, json_body: Any = None,
                files: dict | None = None, expect_json: bool = True) -> Any:
        """Send one request; return the decoded JSON body (``{}`` when empty), or None if not ``expect_json``."""
        query = "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
        call = f"{method} {path}{query}"
        url = self.endpoint.base_url + path
        timeout = (self.endpoint.timeout_s, self.endpoint.timeout_s)
        self.sent += 1
        RestTransport.sent_total += 1
        try:
            resp = self._session.request(method, url, params=params, json=json_body, files=files, timeout=timeout)
        except requests.exceptions.SSLError as exc:
            raise self._unreachable(call, "TLS error", exc) from None
        except requests.exceptions.ConnectTimeout as exc:
            raise self._unreachable(call, "connect timed out", exc) from None
        except requests.exceptions.ReadTimeout as exc:
            raise self._unreachable(call, f"no answer within {self.endpoint.timeout_s} s", exc) from None
        except requests.exceptions.ConnectionError as exc:
            reason = "connection refused" if "refused" in str(exc).lower() else "connection failed"
            raise self._unreachable(call, reason, exc) from None
        except requests.exceptions.RequestException as exc:
            raise self._unreachable(call, "request failed", exc) from None
        if not 200 <= resp.status_code < 300:
            raise self._http_error(call, resp)
        if not expect_json or not resp.content.strip():
            return {} if expect_json else None
        try:
            return resp.json()
        except ValueError:
            snippet = scrub(resp.text[:200], self._secrets)
            raise FlinkRestError(f"Flink REST call {call} returned HTTP {resp.status_code} with a body that is "
                                 f"not JSON: {snippet!r}", call=call, status=resp.status_code,
                                 errors=["body is not JSON"]) from None

    def _unreachable(self, call: str, reason: str, exc: Exception) -> FlinkUnreachableError:
        detail = scrub(f"{type(exc).__name__}: {exc}", self._secrets)
        return FlinkUnreachableError(
            f"Flink REST call {call} to {self.endpoint.base_url} failed: {reason} ({detail})",
            call=call, status=None, errors=[reason])

    def _http_error(self, call: str, resp: requests.Response) -> FlinkRestError:
        try:
            body = resp.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("errors"), list):
            errors = [scrub(str(e), self._secrets) for e in body["errors"]]
        else:
            errors = [scrub(resp.text[:500], self._secrets) or resp.reason or "(empty body)"]
        cls = FlinkNotFoundError if resp.status_code == 404 else FlinkRestError
        return cls(f"Flink REST call {call} failed: HTTP {resp.status_code}: {summarize_errors(errors)}",
                   call=call, status=resp.status_code, errors=errors)
