"""The API server's way to a Service without kube-proxy: an HTTP CONNECT proxy on a Unix socket.

A control plane started with ``egress_proxy=<socket>`` (:class:`testbed.kube.control_plane.KubeLocalCluster`) dials
everything it sends into the cluster (admission webhooks named by a ``service`` reference among them) through its
``cluster`` egress selector: ``CONNECT <ClusterIP>:<port>`` over that socket. :class:`ServiceProxy` answers each
CONNECT whose target it has a route for (a Service's ClusterIP and port, as kube-proxy would) by piping the bytes to
a local port, and refuses every other target with ``403``; so TLS still runs end to end between the API server and
the process behind the Service, with the Service's DNS name as server name. Runs in a daemon thread until
:meth:`ServiceProxy.stop`.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

__all__ = ["ServiceProxy"]


class ServiceProxy:
    def __init__(self, socket_path: Path):
        self.socket_path = Path(socket_path)
        self.routes: dict[str, int] = {}
        self.connects: list[str] = []
        #: Bytes sent through to each routed target so far (connections are kept alive, so count bytes, not
        #: connects, to see that a request went through).
        self.bytes_sent: dict[str, int] = {}
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None

    def route(self, cluster_ip: str, port: int, local_port: int) -> None:
        """CONNECT ``cluster_ip:port`` goes to ``127.0.0.1:local_port``."""
        self.routes[f"{cluster_ip}:{port}"] = local_port

    def start(self) -> ServiceProxy:
        self.socket_path.unlink(missing_ok=True)
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(asyncio.start_unix_server(self._handle,
                                                                                  str(self.socket_path)))
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="service-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"the service proxy on {self.socket_path} did not start")
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            method, target = head.split(b"\r\n", 1)[0].decode().split()[:2]
            self.connects.append(target)
            local = self.routes.get(target)
            if method != "CONNECT" or local is None:
                writer.write(b"HTTP/1.1 403 Forbidden\r\n\r\n")
                await writer.drain()
                return
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", local)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            def count(n: int) -> None:
                self.bytes_sent[target] = self.bytes_sent.get(target, 0) + n

            await asyncio.gather(_pipe(reader, up_writer, count), _pipe(up_reader, writer))
        except (OSError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()

    def stop(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self.socket_path.unlink(missing_ok=True)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, count=None) -> None:
    try:
        while data := await reader.read(65536):
            if count:
                count(len(data))
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        try:
            writer.close()
        except OSError:
            pass
