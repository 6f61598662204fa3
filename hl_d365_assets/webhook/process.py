"""The receiver as a child process on loopback: what the demo, the benchmark and the tests start.

One way to start it, so all three run exactly what `hl-d365 webhook serve` runs and wait for the
same sign of life (its stats endpoint answering), not merely an open port.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from hl_d365_assets.settings import child_environment
from hl_d365_assets.webhook.receiver import STATS_PATH


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_receiver(
    data_dir: Path, port: int, *options: str, log_path: Path | None = None, sandbox: bool = True
) -> subprocess.Popen:
    """``python -m hl_d365_assets.cli webhook serve`` on loopback; returns once it answers."""
    env = child_environment(HL_D365_DATA_DIR=str(data_dir))
    log = open(log_path or data_dir.parent / f"receiver-{port}.log", "ab")  # noqa: SIM115
    command = [sys.executable, "-m", "hl_d365_assets.cli", "webhook", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, *(["--sandbox"] if sandbox else []), *options],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the receiver exited with {process.returncode} before serving")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{STATS_PATH}", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the receiver did not answer within 30 s")
