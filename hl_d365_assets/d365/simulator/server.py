"""The simulator as a real HTTP/1.1 server on loopback (the demo's D365 and Entra ID).

A minimal WSGI gateway on ``ThreadingHTTPServer`` (one thread per connection, keep-alive) that
can also hang up without answering, for the ``drop`` fault. It is the Heartland simulator's
server (hl_d365_assets/heartland/simulator.py) for this application.
"""

import argparse
import contextlib
import io
import logging
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from hl_d365_assets.d365.simulator.app import ConnectionDropped, D365Simulator

logger = logging.getLogger(__name__)


class SimulatorServer:
    """A running loopback server. ``base_url`` is both the client's ``environment_url`` and its
    ``identity_url_override`` (the OData root is ``<base_url>/data/``, the token endpoint
    ``<base_url>/<tenant>/oauth2/v2.0/token``)."""

    def __init__(self, sim: D365Simulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.simulator = sim
        self._httpd = _Server((host, port), _Handler)
        self._httpd.app = sim
        bound_host, bound_port = self._httpd.server_address[:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"d365-simulator-{bound_port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self.simulator.faults.release_slow()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "SimulatorServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(sim: D365Simulator, host: str = "127.0.0.1", port: int = 0) -> SimulatorServer:
    """Serve ``sim`` over real HTTP/1.1 until ``stop()``."""
    return SimulatorServer(sim, host, port)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: D365Simulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle keep-alive connection's thread ends after this
    server: _Server

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("d365 simulator: " + format, *args)

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


def main(argv: list[str] | None = None) -> None:
    """``hl-d365 d365-sim``: serve the simulator on loopback until Ctrl-C."""
    from hl_d365_assets.d365.simulator.app import (
        SANDBOX_CLIENT_ID,
        SANDBOX_TENANT_ID,
    )
    from hl_d365_assets.d365.simulator.validation import closed_periods_from
    from hl_d365_assets.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--state",
        default=str(load_settings().data_dir / "sandbox" / "d365_state.sqlite"),
        help="SQLite file holding journals between runs (default: <data>/sandbox/d365_state.sqlite)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument(
        "--closed-period",
        action="append",
        default=[],
        metavar="COMPANY:YYYY-MM",
        help="a closed ledger period, e.g. usrt:2026-10 (repeatable)",
    )
    parser.add_argument("--page-size", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--reset", action="store_true", help="start from the seed again")
    args = parser.parse_args(argv)
    sim = D365Simulator(
        args.state, closed_periods=closed_periods_from(args.closed_period), page_size=args.page_size
    )
    if args.reset:
        sim.reset()
    sim.latency_seconds = args.latency
    with serve(sim, args.host, args.port) as server:
        print(
            f"D365 simulator at {server.base_url} (OData root {server.base_url}/data/), state in "
            f"{args.state}. Tenant {SANDBOX_TENANT_ID!r}, client id {SANDBOX_CLIENT_ID!r}, secret "
            "SANDBOX_CLIENT_SECRET (docs/d365_simulator.md). Set the client's environment_url "
            "and identity_url_override to the URL above. Ctrl-C stops it.",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    sim.close()
