"""A scripted HTTP(S) server on 127.0.0.1 that stands in for a Flink JobManager in unit tests.

Only for what a real cluster cannot produce here: 503s, malformed 2xx bodies, odd error bodies, dropped
connections, ``web-submit: false``, TLS with client certificates, auth headers. Each route answers from a list of
scripted replies (the last one repeats); every request is recorded with its headers and body.

    with FakeFlink() as fake:
        fake.script("GET", "/overview", Reply(503), Reply(200, {"taskmanagers": 1}))
        ... FlinkRestClient(RestEndpoint(fake.url)) ...
        assert fake.count("GET", "/overview") == 2
"""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

OPENSSL_INSTALL_HINT = "apt-get install openssl"


@dataclass
class Reply:
    """A scripted answer. ``body`` may be JSON-able, ``bytes`` or ``str``; ``drop`` closes without answering."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    @staticmethod
    def dropped() -> Reply:
        return Reply(drop=True)


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class FakeFlink:
    """The fake server; use as a context manager. ``tls`` is a server-side ``ssl.SSLContext``."""

    def __init__(self, tls: ssl.SSLContext | None = None):
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def _handle(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with fake._lock:
                    fake.requests.append(Recorded(self.command, parts.path, parts.query, dict(self.headers), body))
                    replies = fake.routes.get((self.command, parts.path))
                    reply = (replies.pop(0) if len(replies) > 1 else replies[0]) if replies else \
                        Reply(404, {"errors": [f"Not found: {parts.path}"]})
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                raw = reply.body if isinstance(reply.body, bytes) else \
                    reply.body.encode() if isinstance(reply.body, str) else \
                    b"" if reply.body is None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", **reply.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PATCH = do_DELETE = do_HEAD = do_PUT = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                         daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self._server.server_address[1]}"

    def script(self, method: str, path: str, *replies: Reply) -> None:
        """Answer ``method path`` with ``replies`` in order; the last one repeats."""
        with self._lock:
            self.routes[(method, path)] = list(replies)

    def count(self, method: str, path: str) -> int:
        """How many requests ``method path`` received."""
        with self._lock:
            return sum(1 for r in self.requests if r.method == method and r.path == path)

    def last(self, method: str, path: str) -> Recorded:
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path == path][-1]

    def __enter__(self) -> FakeFlink:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path

    def server_context(self, require_client_cert: bool = True) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.server_cert, self.server_key)
        if require_client_cert:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(self.ca)
        return ctx


def _openssl(*args: str, cwd: Path) -> None:
    try:
        done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise RuntimeError(f"the `openssl` CLI is needed to create test certificates: {OPENSSL_INSTALL_HINT}") \
            from None
    if done.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args[:2])} failed: {done.stderr[-2000:]}")


def make_tls_files(directory: Path) -> TlsFiles:
    """A throwaway CA plus a server cert for 127.0.0.1 and a client cert, all signed by the CA (EC P-256)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test-ca",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             cwd=d)
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
                      ("client", "extendedKeyUsage=clientAuth\n")):
        (d / f"{name}.ext").write_text(ext + "basicConstraints=CA:FALSE\nauthorityKeyIdentifier=keyid\n"
                                             "subjectKeyIdentifier=hash\n")
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN=test-{name}", cwd=d)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext", cwd=d)
    return TlsFiles(d / "ca.pem", d / "server.pem", d / "server.key", d / "client.pem", d / "client.key")
