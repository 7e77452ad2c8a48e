"""Jar sources: local path or https URL, always sha256-checked; nothing is yielded for a wrong digest."""

from __future__ import annotations

import hashlib
import http.server
import shutil
import ssl
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from components.providers.jar_source import JarDigestError, JarSourceError, fetched_jar, source_problem

CONTENT = b"PK\x03\x04 not really a jar, but bytes with a digest"
DIGEST = hashlib.sha256(CONTENT).hexdigest()
OPENSSL_HINT = "openssl is needed to make a test certificate: apt-get install openssl"


@pytest.fixture
def local_jar(tmp_path: Path) -> Path:
    path = tmp_path / "job.jar"
    path.write_bytes(CONTENT)
    return path


def test_local_jar_with_matching_digest(local_jar):
    with fetched_jar(str(local_jar), DIGEST) as path:
        assert Path(path).read_bytes() == CONTENT


def test_local_jar_digest_mismatch_names_both_digests(local_jar):
    wrong = "0" * 64
    with pytest.raises(JarDigestError) as info, fetched_jar(str(local_jar), wrong):
        pytest.fail("a jar with the wrong digest was yielded")
    assert DIGEST in str(info.value) and wrong in str(info.value) and "nothing was run" in str(info.value)


def test_missing_local_jar(tmp_path):
    with pytest.raises(JarSourceError, match="cannot be read"), fetched_jar(str(tmp_path / "nope.jar"), DIGEST):
        pass


@pytest.mark.parametrize("source,problem", [
    ("http://repo.example/job.jar", "scheme 'http' is not allowed"),
    ("s3://bucket/job.jar", "scheme 's3' is not allowed"),
    ("https://user:pw@repo.example/job.jar", "must not carry credentials"),
    ("", "local path or an https:// URL"),
])
def test_refused_sources(source, problem):
    assert problem in source_problem(source)
    with pytest.raises(JarSourceError, match=problem), fetched_jar(source, DIGEST):
        pass


@pytest.fixture
def https_server(tmp_path: Path):
    """An https server on 127.0.0.1 serving CONTENT at /job.jar, with a fresh self-signed certificate."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError(OPENSSL_HINT)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "job.jar").write_bytes(CONTENT)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path / "www"), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", str(cert)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_https_jar_is_downloaded_checked_and_removed(https_server):
    base, ca = https_server
    with fetched_jar(f"{base}/job.jar", DIGEST, ca_bundle=ca) as path:
        assert Path(path).read_bytes() == CONTENT
    assert not Path(path).exists()


def test_https_jar_digest_mismatch_leaves_no_file(https_server, monkeypatch, tmp_path):
    base, ca = https_server
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", None)
    with pytest.raises(JarDigestError, match=DIGEST), fetched_jar(f"{base}/job.jar", "1" * 64, ca_bundle=ca):
        pytest.fail("a jar with the wrong digest was yielded")
    assert list((tmp_path / "tmp").iterdir()) == []


def test_https_jar_untrusted_certificate_and_404(https_server):
    base, ca = https_server
    with pytest.raises(JarSourceError, match="SSLError"), fetched_jar(f"{base}/job.jar", DIGEST):
        pass
    with pytest.raises(JarSourceError, match="HTTP 404"), fetched_jar(f"{base}/missing.jar", DIGEST, ca_bundle=ca):
        pass
