"""Running the receiver: the app key, uvicorn on loopback, signals, recovery and exit codes.

``hl-d365 webhook serve`` (see ``cli.py``) binds ``127.0.0.1:8787`` unless told otherwise and
serves ``POST /webhooks/heartland`` and ``GET /webhooks/heartland/stats``. The app key comes from
``HEARTLAND_APP_KEY``; without it the receiver refuses to start (exit 2), unless ``--sandbox``
asks for the sandbox's documented key (which ``cli.py`` supplies: this module never imports the
sandbox). Before the socket is bound, the receiver takes its lock,
recovers what a killed predecessor left open (``recovery.py``) and loads the seen event ids
(``seen_event_ids.py``), so no request is ever answered from a half-recovered state.

A request must deliver its headers within ``--read-timeout`` (5 s) of its first byte, or of the
connection opening, and then its body within as long again: a sender that declares more bytes
than it sends, or trickles them, is cut off (408, or a closed connection while still in its
headers) and its connection freed for the others.

SIGTERM or Ctrl-C: uvicorn stops accepting, lets in-flight requests finish (their lines are
fsynced before they are answered), then the app's lifespan commits every open segment and logs
the counters; the process exits 0. A second Ctrl-C forces the exit: open segments then stay
``.tmp`` and the next start recovers them. A failed landing write makes the server exit 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import sys
import threading
from collections.abc import Generator, Mapping
from datetime import timedelta

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from hl_d365_assets.settings import load_settings, secret
from hl_d365_assets.webhook.config import ReceiverConfig
from hl_d365_assets.webhook.d365_events import TOKEN_ENV as D365_TOKEN_ENV
from hl_d365_assets.webhook.receiver import WebhookReceiver, create_app
from hl_d365_assets.webhook.recovery import (
    ReceiverAlreadyRunning,
    lock_state_dir,
    recover_segments,
)

logger = logging.getLogger("hl_d365_assets.webhook")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
APP_KEY_ENV = "HEARTLAND_APP_KEY"
GRACEFUL_SHUTDOWN_SECONDS = 10
EXIT_CONFIGURATION = 2

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


class MissingAppKey(RuntimeError):
    pass


def app_key_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """``HEARTLAND_APP_KEY``, the key real Heartland signs notifications with."""
    key = secret(APP_KEY_ENV, environ)
    if not key:
        raise MissingAppKey(
            f"{APP_KEY_ENV} is not set: the receiver cannot check X-GP-Signature without the "
            "Heartland app key. Set it, or pass --sandbox to use the sandbox's documented key."
        )
    return key


def parse_duration(text: str) -> timedelta:
    """``"72h"``, ``"5m"``, ``"2s"``, ``"500ms"``, ``"3d"``; a bare number is seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration like 72h, 5m, 2s or 500ms")
    return timedelta(seconds=float(match[1]) * _UNITS[match[2] or "s"])


class ReadTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, plus a deadline for the request line and headers.

    uvicorn times out idle keep-alive connections, but not a request in progress: a sender that
    opens a connection and sends nothing, or trickles its headers, holds it (and a file
    descriptor) forever, and enough of them starve every other sender. The connection is closed
    once its headers are ``read_timeout_seconds`` late; the body has its own deadline of the same
    length in the app (``WebhookReceiver._read_body``), which can still answer 408.
    """

    read_timeout_seconds: float

    def connection_made(self, transport) -> None:
        self._headers_deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()  # the next request of a kept-alive connection; a no-op for the first

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._headers_deadline is None:
            self._headers_deadline = self.loop.call_later(
                self.read_timeout_seconds, self._headers_too_late
            )

    def _disarm(self) -> None:
        if self._headers_deadline is not None:
            self._headers_deadline.cancel()
            self._headers_deadline = None

    def _headers_too_late(self) -> None:
        self._headers_deadline = None
        if not self.transport.is_closing():
            logger.info(
                "closed a connection whose headers took over %ss", self.read_timeout_seconds
            )
            self.transport.close()


def protocol_with_read_timeout(seconds: float) -> type[ReadTimeoutProtocol]:
    """uvicorn builds its protocol from a class, so the timeout travels as a class attribute."""
    return type("ReadTimeoutProtocol", (ReadTimeoutProtocol,), {"read_timeout_seconds": seconds})


class ReceiverServer(uvicorn.Server):
    """uvicorn, minus re-raising the caught signal after a graceful stop (which would turn a
    clean SIGTERM shutdown into death-by-signal), plus an exit when the landing writer fails."""

    def __init__(self, config: uvicorn.Config, receiver: WebhookReceiver) -> None:
        super().__init__(config)
        self.receiver = receiver

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)

    async def on_tick(self, counter: int) -> bool:
        if self.receiver.failure is not None:
            self.should_exit = True
        return await super().on_tick(counter)


def serve(config: ReceiverConfig, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    """Run the receiver until SIGTERM/SIGINT; the process exit code."""
    app = create_app(config)
    receiver: WebhookReceiver = app.state.receiver
    try:
        receiver.start()
    except ReceiverAlreadyRunning as running:
        logger.error("%s", running)
        return 1
    server = ReceiverServer(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            loop="uvloop",
            http=protocol_with_read_timeout(config.read_timeout_seconds),
            lifespan="on",
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            log_level="info",
        ),
        receiver,
    )
    logger.info(
        "webhook receiver on http://%s:%d/webhooks/heartland, landing into %s",
        host,
        port,
        config.landing_dir,
    )
    try:
        server.run()
    finally:
        receiver.stop()  # after a forced exit the lifespan never ran its shutdown
    return 1 if receiver.failure is not None or not server.started else 0


def run_webhook_command(args, app_key: str | None = None) -> int:
    """``hl-d365 webhook serve|recover`` (argument parsing and the app key live in cli.py)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    settings = load_settings()
    if args.webhook_command == "recover":
        try:
            lock = lock_state_dir(settings.data_dir / "webhook")
        except ReceiverAlreadyRunning as running:
            print(f"hl-d365 webhook recover: {running}", file=sys.stderr)
            return 1
        with lock:
            for segment in recover_segments(settings.landing_dir):
                print(
                    f"{segment.path}: {segment.lines} lines, {segment.dropped_bytes} bytes dropped"
                )
        return 0
    try:
        options = {
            "max_body_bytes": args.max_body_bytes,
            "max_event_age": parse_duration(args.max_event_age),
            "max_clock_skew": parse_duration(args.max_clock_skew),
            "max_segment_bytes": args.max_segment_bytes,
            "max_segment_age_seconds": parse_duration(args.max_segment_age).total_seconds(),
            "read_timeout_seconds": parse_duration(args.read_timeout).total_seconds(),
            # Unset: the D365 business-events endpoint refuses every request (d365_events.py).
            "d365_events_token": secret(D365_TOKEN_ENV),
        }
        if options["read_timeout_seconds"] <= 0:
            raise ValueError("--read-timeout must be more than 0")
    except ValueError as problem:
        print(f"hl-d365 webhook serve: {problem}", file=sys.stderr)
        return EXIT_CONFIGURATION
    if args.sandbox:
        logger.warning("--sandbox: checking signatures with the sandbox's published app key")
    return serve(ReceiverConfig.from_settings(settings, app_key, **options), args.host, args.port)
