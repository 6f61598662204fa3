"""A WSGI application served over real HTTP/1.1 on loopback, for the simulators (Heartland's and
D365's) when a test or the demo needs a socket rather than an in-process transport.

A minimal gateway on ``ThreadingHTTPServer`` (one thread per connection, keep-alive) that can
also hang up without answering: an application raising :class:`ConnectionDropped` gets the
connection shut, which is what a client sees when a server dies mid-request.
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

logger = logging.getLogger(__name__)

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


@dataclass(frozen=True)
class ServedRequest:
    """One request a simulator answered, in process or on loopback: what tests and the demo
    count (requests per endpoint, statuses, faults that fired)."""

    method: str
    path: str
    query: str
    status: int | None
    """``None`` when the connection was dropped."""
    operations: int = 0
    """Operations carried, for D365's ``$batch``."""


class ConnectionDropped(Exception):
    """Raised by an application to close the connection without an answer."""


class LoopbackServer:
    """``app`` served until :meth:`stop`; ``url`` is ``http://127.0.0.1:<port>``."""

    def __init__(
        self,
        app: WsgiApp,
        name: str,
        host: str = "127.0.0.1",
        port: int = 0,
        on_stop: Callable[[], None] = lambda: None,
    ) -> None:
        self._on_stop = on_stop
        self._httpd = _Server((host, port), _Handler)
        self._httpd.app = app
        bound_host, bound_port = self._httpd.server_address[:2]
        self.url = f"http://{bound_host}:{bound_port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{name}-{bound_port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        # Let held answers go first (a simulator's slow faults), or shutdown waits on them.
        self._on_stop()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: WsgiApp


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle keep-alive connection's thread ends after this
    server: _Server

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("loopback server: " + format, *args)

    def _dispatch(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, _, query = self.path.partition("?")
        environ = {
            f"HTTP_{name.upper().replace('-', '_')}": value for name, value in self.headers.items()
        }
        environ.update(
            {
                "REQUEST_METHOD": self.command,
                "PATH_INFO": unquote(path),
                "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "SERVER_PROTOCOL": self.request_version,
                "wsgi.input": io.BytesIO(body),
                "wsgi.errors": sys.stderr,
                "wsgi.url_scheme": "http",
                "wsgi.version": (1, 0),
                "wsgi.multithread": True,
                "wsgi.multiprocess": False,
                "wsgi.run_once": False,
            }
        )
        started: list = []
        try:
            chunks = self.server.app(
                environ, lambda status, headers, exc_info=None: started.extend([status, headers])
            )
        except ConnectionDropped:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        status, headers = started
        code, _, reason = status.partition(" ")
        try:
            self.send_response(int(code), reason)
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(b"".join(chunks))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a slow fault outlived its timeout)
