"""testbed.kube.service_proxy: CONNECT to a routed ClusterIP reaches the local port; anything else is refused."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from testbed.kube.service_proxy import ServiceProxy


def _echo_server() -> tuple[socket.socket, int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(b"echo:" + conn.recv(100))

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()[1]


def _connect(proxy: ServiceProxy, target: str) -> tuple[bytes, socket.socket]:
    client = socket.socket(socket.AF_UNIX)
    client.settimeout(10)
    client.connect(str(proxy.socket_path))
    client.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += client.recv(1)
    return head, client


def test_a_routed_service_reaches_its_local_port_and_nothing_else_is_let_through(tmp_path: Path) -> None:
    server, port = _echo_server()
    proxy = ServiceProxy(tmp_path / "egress.sock").start()
    try:
        proxy.route("10.0.0.17", 443, port)
        head, client = _connect(proxy, "10.0.0.17:443")
        with client:
            assert head.startswith(b"HTTP/1.1 200")
            client.sendall(b"hello")
            assert client.recv(100) == b"echo:hello"
        head, client = _connect(proxy, "10.0.0.18:443")
        with client:
            assert head.startswith(b"HTTP/1.1 403")
        assert proxy.connects == ["10.0.0.17:443", "10.0.0.18:443"]
        assert proxy.bytes_sent == {"10.0.0.17:443": len(b"hello")}
    finally:
        proxy.stop()
        server.close()
    assert not proxy.socket_path.exists()
