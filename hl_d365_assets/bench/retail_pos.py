"""`make bench`, POS part: a 1,000,000-line Heartland Retail day pulled from the simulator on
loopback and loaded through raw and canonical, against DuckDB's bare ``read_json`` of the same
landed segments.

Three processes, so each one's CPU and peak memory are its own:

- the **simulator** (``--serve``, a child): the sandbox's Retail store for the day, rendered by
  the sandbox (``write_retail_store``), served over real HTTP on loopback; it times every request
  it answers (the time inside the application: filtering, bisecting, joining stored texts) and
  reports its CPU when told to stop;
- the **pull** (this process): the production pull (``heartland_retail.pull``) through the
  production client, keyset pages of 1,000, into a landing zone; its CPU per page
  (``time.process_time`` deltas around each page: request, parse, envelope lines, segment
  commit) is the client's alone, the simulator running elsewhere;
- the **load** (``--load``, a child): one Dagster run of the raw Retail assets the POS tables
  read and ``canonical_pos``, as the daily job runs them, with their checks. Step figures come
  from the run's event log, as in the pipeline bench.

Targets (issue 14): the pull limited by the simulator, not by the client; the load of raw and
canonical within 3 x the bare read.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from hl_d365_assets.bench.peak_memory import peak_rss_mib
from hl_d365_assets.bench.pipeline import BENCH_DAY, _bare_read_json, _step_timings, bench_settings
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.settings import Settings

MODULE = "hl_d365_assets.bench.retail_pos"
STORES = 5
LINES_PER_TRANSACTION = 2.84
"""Ticket lines the sandbox renders per gateway transaction (about 1.11 tickets of 2.55 lines
each, measured): how many transactions make the asked-for lines."""
PAGE_SIZE = 1000
ENTITIES = ("tickets", "locations", "payment_types", "items")
"""What canonical.pos_* read (docs/heartland_retail.md): the pull lands these, the load loads them."""
RAW_TABLES = tuple(f"retail_{entity}" for entity in ENTITIES)
CANONICAL_BUILD = "canonical_pos"
POS_TABLES = ("pos_sales", "pos_sale_lines", "pos_tenders")


@dataclasses.dataclass
class RetailBenchFigures:
    tickets: int
    records: int
    """Everything landed: tickets, locations, payment types, items."""
    lines: int
    landed_bytes: int
    segments: int
    render_seconds: float
    store_load_seconds: float
    pull_seconds: float
    pull_cpu_seconds: float
    pages: int
    page_cpu_ms: list[float]
    served_requests: int
    served_seconds: float
    simulator_cpu_seconds: float
    simulator_peak_mib: float
    pull_peak_mib: float
    bare_read_seconds: float
    load: dict

    @property
    def load_seconds(self) -> float:
        """Raw and canonical asset steps, wall (checks reported apart, as the pipeline bench)."""
        return sum(s["seconds"] for s in self.load["steps"] if s["kind"] == "asset")


def run_retail_bench(
    lines: int = 1_000_000, keep: bool = False, data_dir: Path | None = None
) -> int:
    settings = bench_settings()
    if data_dir is not None:
        settings = dataclasses.replace(settings, data_dir=data_dir)
    else:
        settings = dataclasses.replace(settings, data_dir=settings.data_dir / "retail_pos")
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    per_store = max(1, round(lines / LINES_PER_TRANSACTION / STORES))
    _say(
        f"POS benchmark: one Heartland Retail day ({BENCH_DAY}) of about {lines:,} ticket lines "
        f"({STORES} stores x {per_store:,} gateway transactions), pulled on loopback, loaded "
        "through raw and canonical"
    )
    figures = measure(settings, per_store)
    report(figures)
    if not keep:
        shutil.rmtree(settings.data_dir, ignore_errors=True)
    return 0 if figures.load["success"] and figures.load["loaded"] > 0 else 1


def measure(
    settings: Settings, transactions_per_store: int, *, in_process: bool = False
) -> RetailBenchFigures:
    """Render, serve, pull, read bare and load; ``in_process`` renders and loads in this process
    (the test's tiny day: no interpreter start-ups; peak memory figures then mean little)."""
    steps = _Steps(in_process)
    store = settings.data_dir / "sandbox" / "heartland_retail"
    rendered = steps.run("--render", str(store), str(transactions_per_store))
    render_seconds = rendered["seconds"]
    _say(
        f"  rendered {rendered['tickets']:,} ticket documents "
        f"({(store / 'tickets.ndjson').stat().st_size / 2**20:,.0f} MiB): {render_seconds:.1f}s"
    )

    zone = LandingZone(settings.landing_dir)
    with _Simulator(store) as simulator:
        _say(f"  simulator loaded the store in {simulator.ready['load_seconds']:.1f}s; pulling …")
        pulled = _pull(simulator.ready["url"], zone, settings)
        served = simulator.stop()

    segments = {
        entity: [str(p) for p in zone.segments("heartland_retail", entity, BENCH_DAY)]
        for entity in ENTITIES
    }
    landed_bytes = sum(Path(p).stat().st_size for paths in segments.values() for p in paths)
    _say(f"  pulled {pulled['records']:,} records in {pulled['seconds']:.1f}s; bare read …")
    bare_read_seconds = _bare_read_json(settings.data_dir / "baseline.duckdb", segments)
    _say(f"  bare read_json: {bare_read_seconds:.1f}s; Dagster run (raw + canonical_pos) …")
    load = steps.run("--load", str(settings.data_dir))
    return RetailBenchFigures(
        tickets=pulled["tickets"],
        records=pulled["records"],
        lines=load.get("ticket_lines", 0),
        landed_bytes=landed_bytes,
        segments=sum(len(paths) for paths in segments.values()),
        render_seconds=render_seconds,
        store_load_seconds=simulator.ready["load_seconds"],
        pull_seconds=pulled["seconds"],
        pull_cpu_seconds=pulled["cpu_seconds"],
        pages=len(pulled["ticket_page_cpu"]),
        page_cpu_ms=[seconds * 1000 for seconds in pulled["ticket_page_cpu"]],
        served_requests=served["requests"],
        served_seconds=served["seconds"],
        simulator_cpu_seconds=served["cpu_seconds"],
        simulator_peak_mib=served["peak_mib"],
        pull_peak_mib=pulled["peak_mib"],
        bare_read_seconds=bare_read_seconds,
        load=load,
    )


def report(f: RetailBenchFigures) -> None:
    _say("\nstep                                              wall s   compute s   overhead s")
    for step in f.load["steps"]:
        _say(
            f"  {step['key']:<46} {step['seconds']:>7.2f}   {step['compute']:>9.2f}   "
            f"{step['seconds'] - step['compute']:>10.2f}"
        )
    per_page = f.page_cpu_ms or [0.0]
    served_per_request_ms = f.served_seconds / max(f.served_requests, 1) * 1000
    client_side = max(f.pull_seconds - f.served_seconds, 0.0)
    _say(f"\n  tickets / ticket lines       {f.tickets:>12,} / {f.lines:,}")
    _say(
        f"  landed                       {f.landed_bytes / 2**20:>12,.0f} MiB in {f.segments} "
        f"segments (render {f.render_seconds:.1f} s, simulator store load {f.store_load_seconds:.1f} s)"
    )
    _say(
        f"  pull wall time               {f.pull_seconds:>12.1f} s  ({f.served_requests:,} requests, "
        f"{f.pages:,} ticket pages of {PAGE_SIZE:,})"
    )
    _say(
        f"  client CPU                   {f.pull_cpu_seconds:>12.1f} s  per ticket page: median "
        f"{statistics.median(per_page):.1f} ms, max {max(per_page):.1f} ms (request, parse, "
        "envelope, segment commit)"
    )
    _say(
        f"  simulator                    {f.served_seconds:>12.2f} s  answering "
        f"({served_per_request_ms:.1f} ms/request), CPU {f.simulator_cpu_seconds:.2f} s "
        "(HTTP included)"
    )
    _say(
        f"  client side                  {client_side:>12.1f} s  (pull wall minus the simulator's "
        f"answering: {'client' if client_side > f.served_seconds else 'simulator'}-bound, "
        f"simulator share {f.served_seconds / max(f.pull_seconds, 1e-9):.0%})"
    )
    _say(f"  bare read_json baseline      {f.bare_read_seconds:>12.1f} s")
    _say(
        f"  raw + canonical steps        {f.load_seconds:>12.1f} s  ratio to baseline "
        f"{f.load_seconds / max(f.bare_read_seconds, 1e-9):.2f} (target <= 3)"
    )
    raw = sum(
        s["seconds"]
        for s in f.load["steps"]
        if s["kind"] == "asset" and s["key"].startswith("raw__")
    )
    canonical = sum(s["seconds"] for s in f.load["steps"] if s["key"] == CANONICAL_BUILD)
    _say(f"    of which raw {raw:.1f} s, canonical_pos {canonical:.1f} s")
    _say(f"  run wall time                {f.load['run_seconds']:>12.1f} s  (checks included)")
    _say(
        f"  peak memory                  simulator {f.simulator_peak_mib:,.0f} MiB, pull "
        f"{f.pull_peak_mib:,.0f} MiB, load {f.load['peak_mib']:,.0f} MiB"
    )
    _say(
        f"  loaded / duplicates / quarantined: {f.load['loaded']:,} / {f.load['duplicates']:,} / "
        f"{f.load['quarantined']:,}"
    )


# -- the pull (this process) -------------------------------------------------------------------


def _pull(url: str, zone: LandingZone, settings: Settings) -> dict:
    from hl_d365_assets.heartland.events import StoreZones
    from hl_d365_assets.heartland_retail import pull
    from hl_d365_assets.heartland_retail.ticket_cursor import TicketCursor
    from hl_d365_assets.sandbox.resources import heartland_retail_client

    client = heartland_retail_client(base_url=url).model_copy(update={"page_size": PAGE_SIZE})
    zones = StoreZones.from_mappings(settings.mappings_dir, settings.merchant_timezone)
    started, cpu = time.perf_counter(), time.process_time()
    with client.open() as api:
        pulled = pull.pull(
            api,
            zone,
            entities=ENTITIES,
            zones=zones,
            snapshot_day=BENCH_DAY,
            cursor=TicketCursor(),
        )
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "records": sum(pulled.records(entity) for entity in ENTITIES),
        "tickets": pulled.records(pull.TICKETS),
        "ticket_page_cpu": pulled.page_cpu_seconds[pull.TICKETS],
        "peak_mib": peak_rss_mib(),
    }


# -- the store (a child) -----------------------------------------------------------------------


def _render(store: Path | str, transactions_per_store: int | str) -> dict:
    """The sandbox's Retail store for the bench day (its seeded generator, defects included)."""
    from hl_d365_assets.sandbox import SandboxConfig
    from hl_d365_assets.sandbox.retail_store import write_retail_store

    started = time.perf_counter()
    rendered = write_retail_store(
        Path(store),
        [BENCH_DAY],
        SandboxConfig(
            store_count=STORES,
            transactions_per_store_day=int(transactions_per_store),
            mappings_dir=bench_settings().mappings_dir,
        ),
    )
    return {"tickets": sum(rendered.tickets.values()), "seconds": time.perf_counter() - started}


# -- the simulator (a child) -------------------------------------------------------------------


class _Simulator:
    """``--serve`` in a child; ``ready`` is its first line, :meth:`stop` its last."""

    def __init__(self, store: Path) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", MODULE, "--serve", str(store)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self._process.stdout.readline()
        if not line:
            self._process.wait()
            raise RuntimeError(f"the simulator child exited ({self._process.returncode})")
        self.ready = json.loads(line)

    def stop(self) -> dict:
        out, _ = self._process.communicate(timeout=60)
        return json.loads(out.strip().splitlines()[-1])

    def __enter__(self) -> _Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()


def _serve(store: Path) -> None:
    """Load ``store``, serve it on a free loopback port, time each answer; stop at stdin's end."""
    from hl_d365_assets.sandbox.heartland_retail_simulator import (
        BASE_PATH,
        HeartlandRetailSimulator,
    )
    from hl_d365_assets.sandbox.loopback import LoopbackServer

    started = time.perf_counter()
    sim = HeartlandRetailSimulator(store)
    load_seconds = time.perf_counter() - started
    load_cpu = time.process_time()
    durations: list[float] = []

    def timed(environ, start_response):
        began = time.perf_counter()
        try:
            return sim(environ, start_response)
        finally:
            durations.append(time.perf_counter() - began)

    with LoopbackServer(timed, "retail-bench-simulator") as server:
        print(json.dumps({"url": server.url + BASE_PATH, "load_seconds": load_seconds}), flush=True)
        sys.stdin.read()
    print(
        json.dumps(
            {
                "requests": len(durations),
                "seconds": sum(durations),
                "cpu_seconds": time.process_time() - load_cpu,
                "peak_mib": peak_rss_mib(),
            }
        ),
        flush=True,
    )


# -- the load (a child) ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Steps:
    in_process: bool

    def run(self, *args: str) -> dict:
        """``python -m`` this module with ``args`` in a child (its last line, as JSON), or the
        same function called here."""
        if self.in_process:
            return _STEPS[args[0]](*args[1:])
        return _child(*args)


def _child(*args: str) -> dict:
    child = subprocess.run(
        [sys.executable, "-m", MODULE, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        raise RuntimeError(
            f"the {args[0]} child failed ({child.returncode}):\n{child.stdout[-3000:]}{child.stderr[-3000:]}"
        )
    return json.loads(child.stdout.strip().splitlines()[-1])


def _load(data_dir: Path | str) -> dict:
    """One Dagster run of the raw Retail tables canonical.pos_* read, and canonical_pos."""
    import dagster as dg
    import duckdb

    from hl_d365_assets.definitions import defs
    from hl_d365_assets.defs.ops.jobs import daily_heartland_job
    from hl_d365_assets.defs.resources import build_resources

    settings = dataclasses.replace(bench_settings(), data_dir=Path(data_dir))
    job = defs.resolve_job_def(daily_heartland_job.name)
    selection = {dg.AssetKey(["raw", table]) for table in RAW_TABLES} | {
        dg.AssetKey(["canonical", table]) for table in POS_TABLES
    }
    with dg.instance_for_test() as instance:
        started = time.perf_counter()
        result = job.get_subset(asset_selection=selection).execute_in_process(
            partition_key=BENCH_DAY.isoformat(),
            instance=instance,
            resources=build_resources(settings),
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
        )
        run_seconds = time.perf_counter() - started
        steps = _step_timings(instance, result.run_id)
    conn = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        [(loaded, duplicates, quarantined)] = conn.execute(
            "SELECT sum(loaded), sum(duplicates), sum(quarantined) FROM ops.partition_loads"
        ).fetchall()
        [(ticket_lines,)] = conn.execute("SELECT count(*) FROM canonical.pos_sale_lines").fetchall()
    finally:
        conn.close()
    return {
        "success": result.success,
        "run_seconds": run_seconds,
        "steps": steps,
        "loaded": int(loaded or 0),
        "duplicates": int(duplicates or 0),
        "quarantined": int(quarantined or 0),
        "ticket_lines": int(ticket_lines),
        "peak_mib": peak_rss_mib(),
    }


_STEPS = {"--render": _render, "--load": _load}


def _say(message: str) -> None:
    print(message, flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] in _STEPS:
        print(json.dumps(_STEPS[sys.argv[1]](*sys.argv[2:])))
    elif len(sys.argv) == 3 and sys.argv[1] == "--serve":
        _serve(Path(sys.argv[2]))
    else:
        sys.exit(run_retail_bench(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000))
