"""The simulator as a real HTTP/1.1 server on loopback (the demo's D365 and Entra ID).

The same loopback gateway as the Heartland simulator's (hl_d365_assets/loopback.py): one thread
per connection, keep-alive, and a hang-up without answer for the ``drop`` and ``stall`` faults.
"""

import argparse
import contextlib
import logging
import threading

from hl_d365_assets.sandbox.d365_simulator.app import D365Simulator
from hl_d365_assets.sandbox.loopback import LoopbackServer

logger = logging.getLogger(__name__)


class SimulatorServer(LoopbackServer):
    """A running loopback server. ``base_url`` is both the client's ``environment_url`` and its
    ``identity_url_override`` (the OData root is ``<base_url>/data/``, the token endpoint
    ``<base_url>/<tenant>/oauth2/v2.0/token``)."""

    def __init__(self, sim: D365Simulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.simulator = sim
        super().__init__(sim, "d365-simulator", host, port, on_stop=sim.faults.release_slow)
        self.base_url = self.url


def serve(sim: D365Simulator, host: str = "127.0.0.1", port: int = 0) -> SimulatorServer:
    """Serve ``sim`` over real HTTP/1.1 until ``stop()``."""
    return SimulatorServer(sim, host, port)


def main(argv: list[str] | None = None) -> None:
    """``hl-d365 d365-sim``: serve the simulator on loopback until Ctrl-C."""
    from hl_d365_assets.sandbox.d365_simulator.app import (
        SANDBOX_CLIENT_ID,
        SANDBOX_TENANT_ID,
    )
    from hl_d365_assets.sandbox.d365_simulator.validation import closed_periods_from
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
