"""The `hl-d365` command line: the demo, backfills, the sandbox generator and the benchmark.

Like the Dagster definitions, it is a composition root: the sandbox, the demo and the benchmark
are imported only inside the commands that run them, and those commands refuse to run when
``HL_D365_MODE`` is ``production`` (a sandbox day landed in a production landing zone would be
posted to the real ledger).
"""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from hl_d365_assets.settings import MODE_ENV, SettingsError, load_settings

SANDBOX_COMMANDS = ("demo", "sandbox", "bench", "heartland-sim", "d365-sim", "retail-sim")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hl-d365", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="generate a sandbox week and materialise every day")
    demo.add_argument("--days", type=int, default=7)
    demo.add_argument("--stores", type=int, default=5)
    demo.add_argument(
        "--per-store", type=int, default=200, help="gateway transactions per store and day"
    )
    demo.add_argument("--seed", type=int, default=20261124)

    sandbox = commands.add_parser("sandbox", help="land sandbox Heartland data")
    sandbox.add_argument("--start", type=date.fromisoformat, help="first day (required)")
    sandbox.add_argument("--days", type=int, default=1)
    sandbox.add_argument("--stores", type=int, default=5)
    sandbox.add_argument("--per-store", type=int, default=200)
    sandbox.add_argument("--seed", type=int, default=20261124)
    sandbox.add_argument("--clean", action="store_true", help="inject no defects")
    sandbox.add_argument(
        "--order-payments",
        action="store_true",
        help="also pay D365 seed sales orders by card (phone/web, reference = order number)",
    )
    sandbox.add_argument(
        "--risk-patterns",
        action="store_true",
        help="inject labelled fraud and loss patterns at their default rates and append their "
        "truth to <data>/sandbox/risk_truth.ndjson (docs/risk-sandbox.md)",
    )

    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command")
    payroll = sandbox_commands.add_parser(
        "payroll",
        help="drop sandbox payroll register exports and bank statements into a payroll inbox",
        description="Writes the pay runs whose check dates fall in the range into "
        "<inbox>/payroll_register/, their funding days' statements into "
        "<inbox>/bank_statement/, and the ground truth beside the inbox "
        "(docs/payroll-sandbox.md).",
    )
    payroll.add_argument("--inbox", required=True, help="payroll inbox folder")
    payroll.add_argument("--from", dest="first", type=date.fromisoformat, required=True)
    payroll.add_argument("--to", dest="last", type=date.fromisoformat, required=True)
    payroll.add_argument("--employees", type=int, default=60)
    payroll.add_argument("--seed", type=int, default=17)
    payroll.add_argument(
        "--defects", action="store_true", help="inject the payroll defects at their default rates"
    )
    payroll.add_argument(
        "--risk-patterns",
        action="store_true",
        help="add the direct-deposit account column and inject ghost employees and duplicated "
        "paychecks at their default rates (docs/risk-features-pos-payroll.md)",
    )
    payroll.add_argument(
        "--risk-truth", help="default: <inbox>/../sandbox/risk_truth.ndjson (with --risk-patterns)"
    )
    payroll.add_argument(
        "--ground-truth", help="default: payroll_ground_truth.ndjson beside the inbox"
    )

    bench = commands.add_parser("bench", help="the benchmarks: pipeline and ingestion")
    bench.add_argument("--transactions", type=int, default=1_000_000)
    bench.add_argument("--keep", action="store_true", help="keep bench_data/ afterwards")
    bench.add_argument(
        "--reuse",
        action="store_true",
        help="risk: measure again on the window a --keep run prepared (bench_data_risk/), "
        "skipping its 26-minute preparation",
    )
    bench.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="pipeline: bare read and Dagster run, interleaved, this many times; the median "
        "ratio and its spread are reported (default 3)",
    )
    bench.add_argument(
        "--points",
        type=lambda text: [int(n) for n in text.split(",") if n],
        default=[],
        help="pipeline: more day sizes measured once each, e.g. 250000,5000000 (memory flat, "
        "time linear); not in the default run",
    )
    bench.add_argument(
        "--days",
        type=int,
        default=1,
        help="pipeline: also backfill this many days of --transactions each in one run (e.g. 7)",
    )
    bench.add_argument(
        "--tenants",
        type=int,
        default=2,
        help="pipeline: this many tenants' runs of the day at once, each on its own landing zone "
        "and DuckDB file (default 2; 0 skips)",
    )
    bench.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="pipeline: where its days are landed and loaded (default bench_data/)",
    )
    bench.add_argument(
        "--posting-naive-journals",
        type=int,
        default=1,
        help="posting: journals (of 1,000 lines) the naive one-request-per-line way is measured "
        "on, scaled to all 10 (default 1: about a minute instead of eleven; 10 measures it all)",
    )
    bench.add_argument(
        "--pos-lines",
        type=int,
        default=1_000_000,
        help="ticket lines of the POS part's Heartland Retail day (default 1,000,000; "
        "e.g. 20000 for a quick run)",
    )
    bench.add_argument(
        "--part",
        choices=("all", "pipeline", "pos", "ingest", "posting", "mdm", "orders", "payroll", "risk"),
        default="all",
        help="pipeline: the 1,000,000-transaction day; pos: a Heartland Retail day pulled from "
        "the simulator on loopback and loaded through raw and canonical; ingest: webhook "
        "throughput and sensor latency; posting: 10,000 journal lines into the D365 simulator; "
        "mdm: customer matching at 50,000 and 500,000 records against the sandbox's truth; "
        "orders: D365 order event to Heartland payment link, per order, in the demo setup; "
        "payroll: a 20,000-employee pay run from its dropped file to ready journals; "
        "risk: scoring the 1,000,000-transaction day with its 28-day window",
    )
    bench.add_argument(
        "--mdm", dest="part", action="store_const", const="mdm", help="same as --part mdm"
    )

    webhook = commands.add_parser("webhook", help="the Heartland webhook receiver")
    webhook_commands = webhook.add_subparsers(dest="webhook_command", required=True)
    serve = webhook_commands.add_parser(
        "serve",
        help="receive signed notifications on POST /webhooks/heartland and land them",
        description="Needs HEARTLAND_APP_KEY (or --sandbox). Stops cleanly on SIGTERM/Ctrl-C.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback)")
    serve.add_argument("--port", type=int, default=8787)
    serve.add_argument(
        "--sandbox", action="store_true", help="check signatures with the sandbox app key"
    )
    serve.add_argument("--max-body-bytes", type=int, default=256 * 1024)
    serve.add_argument(
        "--max-event-age", default="72h", help="older events land quarantined as stale_event"
    )
    serve.add_argument(
        "--max-clock-skew", default="5m", help="events this far in the future land quarantined"
    )
    serve.add_argument("--max-segment-bytes", type=int, default=64 * 1024 * 1024)
    serve.add_argument("--max-segment-age", default="2s", help="commit open segments this often")
    serve.add_argument(
        "--read-timeout",
        default="5s",
        help="close a connection whose headers, then whose body, take longer than this",
    )
    webhook_commands.add_parser(
        "recover", help="commit segments a killed receiver left open (serve does this at start)"
    )
    throughput = webhook_commands.add_parser(
        "throughput", help="measure the real receiver's sustained events/s on loopback"
    )
    throughput.add_argument("--events", type=int, default=30_000)
    throughput.add_argument("--concurrency", type=int, default=64)
    throughput.add_argument("--client-processes", type=int, default=2)

    simulator = commands.add_parser(
        "heartland-sim",
        help="serve the Heartland API simulator on loopback (the sandbox's end-of-day pull target)",
    )
    simulator.add_argument(
        "--landing",
        help="landing-format folder of what Heartland holds "
        "(default: <data>/sandbox/heartland_holds, written by `make demo`)",
    )
    simulator.add_argument("--host", default="127.0.0.1")
    simulator.add_argument("--port", type=int, default=8765)

    retail_simulator = commands.add_parser(
        "retail-sim",
        help="serve the Heartland Retail (POS) API simulator on loopback (docs/heartland_retail.md)",
    )
    retail_simulator.add_argument(
        "--store", required=True, help="folder of <resource>.ndjson data files to serve"
    )
    retail_simulator.add_argument("--host", default="127.0.0.1")
    retail_simulator.add_argument("--port", type=int, default=8767)

    d365_simulator = commands.add_parser(
        "d365-sim",
        help="serve the D365 Finance OData and Entra ID simulator on loopback (docs/d365_simulator.md)",
    )
    d365_simulator.add_argument("--state", help="default: <data>/sandbox/d365_state.sqlite")
    d365_simulator.add_argument("--host", default="127.0.0.1")
    d365_simulator.add_argument("--port", type=int, default=8766)
    d365_simulator.add_argument(
        "--closed-period", action="append", default=[], metavar="COMPANY:YYYY-MM"
    )
    d365_simulator.add_argument("--reset", action="store_true", help="start from the seed again")

    backfill = commands.add_parser(
        "backfill",
        help="rebuild business days as one run in the project's Dagster instance: from the "
        "landing zone, or pulled from the Heartland API first (docs/ingestion.md)",
    )
    backfill.add_argument("--from", dest="first", type=date.fromisoformat, required=True)
    backfill.add_argument("--to", dest="last", type=date.fromisoformat, required=True)
    backfill.add_argument(
        "--source",
        choices=("landing", "api"),
        default="landing",
        help="landing: reload what has landed; api: pull Heartland Retail (POS) and the days "
        "from Heartland first (in the sandbox, from the simulators, started here if none is "
        "listening)",
    )
    backfill.add_argument(
        "--tenant",
        default=None,
        help="the tenant (merchant) of HL_D365_TENANTS_FILE whose days to rebuild, into its own "
        "warehouse; the run is tagged hl_d365/tenant (docs/tenants.md). Landing source only",
    )

    post = commands.add_parser(
        "post",
        help="post business days' journals to D365 (what post_journals_job's postings asset "
        "does, without Dagster: for scripts and recovery)",
    )
    post.add_argument("--day", action="append", required=True, metavar="YYYY-MM-DD")
    commands.add_parser(
        "sync-customers",
        help="golden customers into D365 and Heartland Retail, each change exactly once "
        "(what the mdm/customer_sync asset does, without Dagster: for scripts and recovery)",
    )

    request_payments = commands.add_parser(
        "request-payments",
        help="a Heartland payment link or stored-card charge for each confirmed D365 card order, "
        "exactly once (what the ops/order_payment_requests asset does, without Dagster: for "
        "scripts and recovery)",
    )
    request_payments.add_argument(
        "--dry-run", action="store_true", help="print what would be recorded and sent; send nothing"
    )
    sync_products = commands.add_parser(
        "sync-products",
        help="D365's catalogue and prices into Heartland Retail, and Retail-mastered fields into "
        "D365, from canonical.products, each change exactly once (what the mdm/product_sync "
        "asset does, without Dagster)",
    )
    sync_products.add_argument(
        "--dry-run",
        action="store_true",
        help="print every change the sync would send; record and send nothing",
    )

    sql = commands.add_parser(
        "sql",
        aliases=["query"],
        help="query the analysts' read copy (data/warehouse_read.duckdb), never the live file",
        description="Runs QUERY on the read copy and prints the result; without one, a prompt. "
        "The read copy is republished after every run, and reading it never blocks a run.",
    )
    sql.add_argument("query", nargs="?", help="SQL to run, e.g. 'FROM recon.daily_summary'")
    sql.add_argument("-c", dest="sql_command", metavar="QUERY", help="SQL to run (as psql -c)")
    sql.add_argument("--max-rows", type=int, default=100, help="rows shown (default 100)")

    from hl_d365_assets.mapping_copilot import commands as mapping_commands

    mapping_commands.add_parser(commands)

    risk = commands.add_parser("risk", help="risk scoring against the sandbox's injected truth")
    risk_commands = risk.add_subparsers(dest="risk_command", required=True)
    evaluate = risk_commands.add_parser(
        "evaluate",
        help="recall per pattern, precision and clean-day alert rate of risk.alerts "
        "(read copy) against <data_dir>/sandbox/risk_truth.ndjson",
    )
    evaluate.add_argument("--from", dest="first", required=True, help="first day, YYYY-MM-DD")
    evaluate.add_argument("--to", dest="last", required=True, help="last day, YYYY-MM-DD")
    evaluate.add_argument("--truth", help="default: <data_dir>/sandbox/risk_truth.ndjson")

    args = parser.parse_args(argv)
    refusal = _refusal(args)
    if refusal:
        print(f"hl-d365 {args.command}: {refusal}", file=sys.stderr)
        return 2
    if args.command == "backfill":
        return _backfill(args)
    if args.command == "mappings":
        return mapping_commands.run(args)
    if args.command in ("sql", "query"):
        from hl_d365_assets.read_copy_sql import run_sql
        from hl_d365_assets.settings import load_settings

        query = args.sql_command or args.query
        return run_sql(load_settings().read_copy_path, query, args.max_rows)
    if args.command == "risk":
        return _risk_evaluate(args)
    if args.command == "post":
        # Outside Dagster, with the configured resources; one line per journal.
        from hl_d365_assets.defs.resources import build_resources
        from hl_d365_assets.ledger.exactly_once import post_day
        from hl_d365_assets.settings import load_settings

        settings = load_settings()
        resources = build_resources(settings)
        with resources["d365"].process_config_and_initialize().open() as api:
            for day in args.day:
                report = post_day(
                    resources["warehouse"].writer,
                    api,
                    date.fromisoformat(day),
                    settings.payroll_journal_name,
                )
                for line in report.outcome_lines():
                    print(line, flush=True)
        return 0
    if args.command == "sync-customers":
        from hl_d365_assets.defs.resources import build_resources
        from hl_d365_assets.mdm.sync import sync_customers
        from hl_d365_assets.settings import load_settings

        resources = build_resources(load_settings())
        with (
            resources["d365"].process_config_and_initialize().open() as d365,
            resources["heartland_retail"].process_config_and_initialize().open() as retail,
        ):
            report = sync_customers(
                resources["warehouse"].writer, d365, retail, resources["mappings"].directory
            )
        for name, value in report.metadata().items():
            print(f"{name}: {value}", flush=True)
        return 0
    if args.command == "request-payments":
        from hl_d365_assets.defs.resources import build_resources
        from hl_d365_assets.payment_requests.requester import request_payments
        from hl_d365_assets.settings import load_settings

        settings = load_settings()
        resources = build_resources(settings)
        with resources["heartland"].process_config_and_initialize().open() as api:
            report = request_payments(
                resources["warehouse"].writer,
                api,
                resources["mappings"].directory,
                status_url=settings.payment_status_url,
                dry_run=args.dry_run,
            )
        for line in report.lines():
            print(line, flush=True)
        return 0
    if args.command == "sync-products":
        return _sync_products(args)
    if args.command == "d365-sim":
        from hl_d365_assets.sandbox.d365_simulator.server import main as serve_d365_simulator

        options = ["--host", args.host, "--port", str(args.port)]
        options += ["--state", args.state] if args.state else []
        options += [f"--closed-period={period}" for period in args.closed_period]
        options += ["--reset"] if args.reset else []
        serve_d365_simulator(options)
        return 0
    if args.command == "demo":
        from hl_d365_assets.demo.week import run_demo

        return run_demo(
            days=args.days, stores=args.stores, per_store=args.per_store, seed=args.seed
        )
    if args.command == "sandbox" and args.sandbox_command == "payroll":
        return _sandbox_payroll(args)
    if args.command == "sandbox":
        if args.start is None:
            parser.error("sandbox: --start is required (or a subcommand: payroll)")
        from hl_d365_assets.landing import LandingZone
        from hl_d365_assets.sandbox import (
            DefectRates,
            RiskPatternRates,
            SandboxConfig,
            generate,
        )
        from hl_d365_assets.settings import load_settings

        settings = load_settings()
        config = SandboxConfig(
            seed=args.seed,
            store_count=args.stores,
            transactions_per_store_day=args.per_store,
            mappings_dir=settings.mappings_dir,
            **({"defect_rates": DefectRates.none()} if args.clean else {}),
            order_payments=args.order_payments,
            risk=RiskPatternRates() if args.risk_patterns else None,
        )
        days = [args.start + timedelta(days=n) for n in range(args.days)]
        report = generate(
            LandingZone(settings.landing_dir),
            days,
            config,
            ground_truth_path=settings.data_dir / "sandbox" / "ground_truth.ndjson",
            progress=lambda message: print(message, file=sys.stderr),
        )
        for entity, by_day in report.lines.items():
            print(
                f"{entity}: "
                + ", ".join(f"{day} {lines:,} lines" for day, lines in sorted(by_day.items()))
            )
        print(
            "defects: "
            + ", ".join(f"{kind} {count}" for kind, count in sorted(report.defects.items()))
        )
        print(f"ground truth: {report.ground_truth_path}")
        if report.risk_truth_path is not None:
            print(
                "risk patterns: "
                + ", ".join(
                    f"{pattern} {count}" for pattern, count in sorted(report.risk_instances.items())
                )
            )
            print(f"risk truth: {report.risk_truth_path}")
        print(f"Heartland Retail store: {report.retail_store_dir}")
        return 0
    if args.command == "bench":
        return _bench(args)
    if args.command == "heartland-sim":
        from hl_d365_assets.sandbox.heartland_simulator import main as serve_simulator
        from hl_d365_assets.settings import load_settings

        sandbox_dir = load_settings().data_dir / "sandbox"
        holds = args.landing or str(sandbox_dir / "heartland_holds")
        serve_simulator(
            ["--landing", holds, "--host", args.host, "--port", str(args.port),
             "--payments-state", str(sandbox_dir / "gp_payments.json")]
        )  # fmt: skip
        return 0
    if args.command == "retail-sim":
        from hl_d365_assets.sandbox.heartland_retail_simulator import main as serve_retail

        serve_retail(["--store", args.store, "--host", args.host, "--port", str(args.port)])
        return 0
    if args.command == "webhook":
        return _webhook(args)
    return 2


BENCH_BUDGET_SECONDS = 15 * 60
"""Issue 20: `make bench` (every part at its defaults) within 15 minutes on a quiet 2-core machine."""


def _bench(args: argparse.Namespace) -> int:
    """Each part in turn, then how long each took and whether the whole fitted the budget.

    With every part (``make bench``) the pipeline part leaves the 1M day its last repeat loaded
    for the risk part, which measures the same day and would otherwise generate and load it
    again. Generating and preparing are inside these wall times: they are what a user waits for.
    """
    import time

    from hl_d365_assets.bench.risk import HANDED_OVER

    hand_over = HANDED_OVER if args.part == "all" and not args.reuse else None

    def pipeline() -> int:
        from hl_d365_assets.bench.pipeline import run_bench

        return run_bench(
            transactions=args.transactions,
            keep=args.keep,
            repeats=args.repeats,
            points=args.points,
            days=args.days,
            data_dir=args.data_dir,
            tenants=args.tenants,
            hand_over=hand_over,
        )

    def pos() -> int:
        from hl_d365_assets.bench.retail_pos import run_retail_bench

        return run_retail_bench(lines=args.pos_lines, keep=args.keep)

    def posting() -> int:
        from hl_d365_assets.bench.posting import run_posting_bench

        return run_posting_bench(naive_journals=args.posting_naive_journals)

    def ingest() -> int:
        from hl_d365_assets.bench.ingest import run_ingest_bench

        return run_ingest_bench()

    def mdm() -> int:
        from hl_d365_assets.bench.customers import run_customer_bench

        return run_customer_bench()

    def orders() -> int:
        from hl_d365_assets.bench.order_latency import run_order_latency_bench

        return run_order_latency_bench()

    def payroll() -> int:
        from hl_d365_assets.bench.payroll import run_payroll_bench

        return run_payroll_bench()

    def risk() -> int:
        from hl_d365_assets.bench.risk import run_risk_bench

        return run_risk_bench(
            transactions=args.transactions, keep=args.keep, reuse=args.reuse, loaded=hand_over
        )

    parts = {"pipeline": pipeline, "pos": pos, "posting": posting, "ingest": ingest}
    parts |= {"mdm": mdm, "orders": orders, "payroll": payroll, "risk": risk}
    status, took = 0, []
    try:
        for name, part in parts.items():
            if args.part not in ("all", name):
                continue
            if took:
                print(flush=True)
            started = time.perf_counter()
            status |= part()
            took.append((name, time.perf_counter() - started))
    finally:
        if hand_over is not None:
            hand_over.unlink(missing_ok=True)
    total = sum(seconds for _, seconds in took)
    print("\nbench parts (wall, generating and preparing included):", flush=True)
    for name, seconds in took:
        print(f"  {name:10s} {seconds:7.1f} s", flush=True)
    verdict = ""
    if args.part == "all":
        fits = total <= BENCH_BUDGET_SECONDS
        verdict = (
            f" ({'within' if fits else 'over'} the {BENCH_BUDGET_SECONDS // 60}-minute budget)"
        )
    print(f"  {'total':10s} {total:7.1f} s = {total / 60:.1f} min{verdict}", flush=True)
    return status


def _risk_evaluate(args: argparse.Namespace) -> int:
    """Print the per-pattern table; 1 when a target of issue 18 is missed."""
    import duckdb

    from hl_d365_assets.risk.truth import TRUTH_FILE, evaluate
    from hl_d365_assets.settings import load_settings

    settings = load_settings()
    truth = Path(args.truth) if args.truth else settings.data_dir / "sandbox" / TRUTH_FILE
    with duckdb.connect(str(settings.read_copy_path), read_only=True) as conn:
        result = evaluate(
            conn, truth, date.fromisoformat(args.first), date.fromisoformat(args.last)
        )
    print(result.table())
    met = (
        all(p.recall >= 0.9 for p in result.patterns)
        and result.precision >= 0.8
        and result.clean_alerts_per_10k < 1
    )
    return 0 if met else 1


def _refusal(args: argparse.Namespace) -> str | None:
    """Why this command must not run with the configured settings, if it must not."""
    try:
        settings = load_settings()
        if args.command in ("post", "sync-customers") or (
            args.command == "sync-products" and not args.dry_run
        ):
            settings.require_complete()
    except SettingsError as problem:
        return str(problem)
    if settings.production and (
        args.command in SANDBOX_COMMANDS
        or (args.command == "webhook" and args.webhook_command == "throughput")
        or (args.command == "webhook" and getattr(args, "sandbox", False))
    ):
        return f"a sandbox command; {MODE_ENV} is production, so it does not run"
    return None


def _sandbox_payroll(args: argparse.Namespace) -> int:
    """``hl-d365 sandbox payroll``: what was written, and where the ground truth is."""
    from pathlib import Path

    from hl_d365_assets.sandbox.payroll_defects import PayrollDefectRates
    from hl_d365_assets.sandbox.payroll_registers import PayrollSandboxConfig, generate_payroll
    from hl_d365_assets.sandbox.payroll_risk import PayrollRiskRates, default_risk_truth_path

    if args.last < args.first:
        print("hl-d365 sandbox payroll: --to is before --from", file=sys.stderr)
        return 2
    config = PayrollSandboxConfig(
        seed=args.seed,
        employees=args.employees,
        defect_rates=PayrollDefectRates() if args.defects else PayrollDefectRates.none(),
        risk=PayrollRiskRates() if args.risk_patterns else None,
    )
    report = generate_payroll(
        Path(args.inbox),
        args.first,
        args.last,
        config,
        Path(args.ground_truth) if args.ground_truth else None,
        Path(args.risk_truth) if args.risk_truth else None,
    )
    for path in report.registers:
        print(f"register: {path}")
    for path in report.statements:
        print(f"bank statement: {path}")
    print(f"{len(report.registers)} registers, {report.rows:,} rows in {report.seconds:.1f}s")
    print("defects: " + ", ".join(f"{kind} {n}" for kind, n in report.defects().items()))
    print(f"ground truth: {report.ground_truth_path}")
    if args.risk_patterns:
        print(f"risk truth: {args.risk_truth or default_risk_truth_path(Path(args.inbox))}")
    return 0


def _sync_products(args: argparse.Namespace) -> int:
    """One line per change (a dry run) and the counts; outside Dagster, configured resources."""
    from contextlib import nullcontext

    from hl_d365_assets.defs.resources import build_resources
    from hl_d365_assets.products.sync import sync_products

    resources = build_resources(load_settings())
    retail, d365 = (
        (nullcontext(None), nullcontext(None))
        if args.dry_run
        else (
            resources["heartland_retail"].process_config_and_initialize().open(),
            resources["d365"].process_config_and_initialize().open(),
        )
    )
    with retail as api, d365 as d365_api:
        report = sync_products(
            resources["warehouse"].writer,
            api,
            str(resources["mappings"].directory),
            d365=d365_api,
            dry_run=args.dry_run,
        )
    for line in report.lines() if args.dry_run else report.refused:
        print(line, flush=True)
    for name, value in report.metadata().items():
        print(f"{name}: {value}", flush=True)
    return 0


def _backfill(args: argparse.Namespace) -> int:
    from contextlib import ExitStack

    from hl_d365_assets.backfill import (
        HeartlandUnreachable,
        check_reachable,
        project_instance,
        run_backfill,
    )
    from hl_d365_assets.defs.resources import build_resources

    def say(message: str) -> None:
        print(message, flush=True)

    if args.last < args.first:
        print("hl-d365 backfill: --to is before --from", file=sys.stderr)
        return 2
    settings = load_settings()
    if args.tenant is not None:
        from hl_d365_assets.tenants import settings_for_tenant

        if args.source != "landing":
            # The pulls keep one cursor per instance and one set of credentials (docs/tenants.md).
            print("hl-d365 backfill: --tenant rebuilds from the landing zone only", file=sys.stderr)
            return 2
        try:
            settings = settings_for_tenant(settings, args.tenant)
        except SettingsError as problem:
            print(f"hl-d365 backfill: {problem}", file=sys.stderr)
            return 2
    resources = None
    with ExitStack() as stack:
        if args.source == "api":
            wired = build_resources(settings)
            heartland, retail = wired["heartland"], wired["heartland_retail"]
            for url, setting, start in (
                (heartland.base_url, "HEARTLAND_API_URL", _sandbox_heartland),
                (retail.api_url, "HEARTLAND_RETAIL_SUBDOMAIN", _sandbox_retail),
            ):
                try:
                    check_reachable(url)
                except HeartlandUnreachable as problem:
                    if settings.production:
                        print(
                            f"hl-d365 backfill: {problem}; check {setting} and that this "
                            "machine can reach it",
                            file=sys.stderr,
                        )
                        return 1
                    started = stack.enter_context(start(settings, args, say))
                    if start is _sandbox_heartland:
                        heartland = started
                    else:
                        retail = started
            resources = {"heartland": heartland, "heartland_retail": retail}
        instance = stack.enter_context(project_instance(settings, say))
        return run_backfill(
            settings,
            args.first,
            args.last,
            args.source,
            instance,
            say,
            resources=resources,
            tenant=args.tenant,
        )


def _sandbox_days(settings, args: argparse.Namespace) -> int:
    """Make the sandbox's Heartland hold every day of the range: what its gateway holds
    (``<data>/sandbox/heartland_holds``, where `make demo` writes its live day) and its Heartland
    Retail store (``<data>/sandbox/heartland_retail``, where `make demo` writes every day's
    tickets). A simulated Heartland holds every past day, so days it lacks are generated
    (seeded: the same days always hold the same data); how many were."""
    from hl_d365_assets.heartland.pull import PULLED_ENTITIES, SOURCE
    from hl_d365_assets.landing import LandingZone
    from hl_d365_assets.sandbox import SandboxConfig, generate

    holds = LandingZone(settings.data_dir / "sandbox" / "heartland_holds")
    days = [args.first + timedelta(days=n) for n in range((args.last - args.first).days + 1)]
    missing = [
        day for day in days if not any(holds.segments(SOURCE, e, day) for e in PULLED_ENTITIES)
    ]
    if missing:
        generate(
            holds,
            missing,
            SandboxConfig(mappings_dir=settings.mappings_dir),
            ground_truth_path=holds.root / "truth.ndjson",
            retail_store_dir=settings.data_dir / "sandbox" / "heartland_retail",
        )
    return len(missing)


@contextmanager
def _sandbox_heartland(settings, args: argparse.Namespace, say):
    """The Heartland simulator in this process, on a free loopback port, serving what the
    sandbox's Heartland holds (:func:`_sandbox_days`)."""
    from hl_d365_assets.sandbox.heartland_simulator import HeartlandSimulator, serve
    from hl_d365_assets.sandbox.resources import heartland_client

    missing = _sandbox_days(settings, args)
    holds = settings.data_dir / "sandbox" / "heartland_holds"
    with serve(HeartlandSimulator(holds)) as server:
        say(
            f"no Heartland simulator listening at {settings.heartland_sandbox_url or 'its default port'}: "
            f"started one in this process on {server.base_url}, serving {holds}"
            + (f" (generated the {missing} days it did not hold)" if missing else "")
        )
        yield heartland_client(server.base_url)


@contextmanager
def _sandbox_retail(settings, args: argparse.Namespace, say):
    """The Heartland Retail simulator in this process, on a free loopback port, serving the
    sandbox's Retail store (:func:`_sandbox_days`)."""
    from hl_d365_assets.sandbox.heartland_retail_simulator import HeartlandRetailSimulator, serve
    from hl_d365_assets.sandbox.resources import heartland_retail_client

    missing = _sandbox_days(settings, args)
    store = settings.data_dir / "sandbox" / "heartland_retail"
    with serve(HeartlandRetailSimulator(store)) as server:
        say(
            "no Heartland Retail simulator listening at "
            f"{settings.heartland_retail_sandbox_url or 'its default port'}: started one in this "
            f"process on {server.base_url}, serving {store}"
            + (f" (generated the {missing} days it did not hold)" if missing else "")
        )
        yield heartland_retail_client(server.base_url)


def resolve_app_key(sandbox: bool, environ: dict[str, str] | None = None) -> str:
    """The key the receiver checks signatures with: the sandbox's published one (``--sandbox``),
    or ``HEARTLAND_APP_KEY``."""
    if sandbox:
        from hl_d365_assets.sandbox.credentials import SANDBOX_APP_KEY

        return SANDBOX_APP_KEY
    from hl_d365_assets.webhook.server import app_key_from_environment

    return app_key_from_environment(environ)


def _webhook(args: argparse.Namespace) -> int:
    from hl_d365_assets.webhook.server import MissingAppKey, run_webhook_command

    if args.webhook_command == "throughput":
        from hl_d365_assets.bench.webhook_throughput import measure_throughput

        result = measure_throughput(
            events=args.events,
            concurrency=args.concurrency,
            client_processes=args.client_processes,
        )
        for name, value in result.items():
            print(f"{name}: {value}")
        return 0 if result["landed"] == result["acknowledged"] else 1
    app_key = None
    if args.webhook_command == "serve":
        try:
            app_key = resolve_app_key(args.sandbox)
        except MissingAppKey as problem:
            print(f"hl-d365 webhook serve: {problem}", file=sys.stderr)
            return 2
    return run_webhook_command(args, app_key)


if __name__ == "__main__":
    sys.exit(main())
