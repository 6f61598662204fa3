"""`make demo`: a sandbox week landed and materialised through a real, persistent Dagster instance.

The runs go to $DAGSTER_HOME (the Makefile points it at .dagster_home/ in the project), so
`make ui` shows them afterwards with their metadata and check results.
"""

from __future__ import annotations

import dataclasses
import shutil
import sys
import time
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from hl_d365_assets.defs.ops.jobs import daily_heartland_job
from hl_d365_assets.demo.live_day import live_day
from hl_d365_assets.demo.orders import orders_through_heartland
from hl_d365_assets.demo.payroll import payroll_act
from hl_d365_assets.demo.posting import SandboxD365
from hl_d365_assets.demo.products import sync_catalogue
from hl_d365_assets.demo.retail_pull import (
    forget_ticket_cursor,
    landed_summary,
    pull_retail,
    retail_simulator,
)
from hl_d365_assets.demo.stock import compare_stock
from hl_d365_assets.demo.tenants import tenants_act
from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox import DefectRates, SandboxConfig, generate, load_stores
from hl_d365_assets.settings import Settings, load_settings
from hl_d365_assets.time_zones import zone as time_zone
from hl_d365_assets.warehouse import open_for_analysis, sql_file

# The run's own log stays complete in the instance (and the UI); the terminal shows our summary.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def last_business_days(settings: Settings, count: int, now: datetime | None = None) -> list[date]:
    """The ``count`` most recent business days that are over in every store's zone.

    Not just the merchant's: at 00:30 in New York a Los Angeles store is still trading, and a
    live day whose western stores are still open would send events from their future, which
    the receiver refuses as stale."""
    moment = now or datetime.now(UTC)
    zones = {settings.merchant_timezone} | {
        store.timezone for store in load_stores(settings.mappings_dir)
    }
    today = min(moment.astimezone(time_zone(zone)).date() for zone in zones)
    return [today - timedelta(days=n) for n in range(count, 0, -1)]


def run_demo(days: int, stores: int, per_store: int, seed: int) -> int:
    started = time.perf_counter()
    settings = load_settings()
    business_days = last_business_days(settings, days)
    _say(
        f"hl_d365_assets demo: {days} business days ({business_days[0]} .. {business_days[-1]}), "
        f"{stores} stores, {per_store} gateway transactions per store and day"
    )
    _say(f"data folder: {settings.data_dir} (starting fresh)")
    # The receiver's seen-event-id journal goes too: a fresh landing zone must not remember ids.
    # The payroll inbox's archive too: it knows the files it has seen by their hash, and the
    # demo drops the same pay runs again.
    for stale in (
        settings.landing_dir,
        settings.data_dir / "sandbox",
        settings.data_dir / "webhook",
        settings.data_dir / "payroll",
    ):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in (settings.warehouse_path, settings.read_copy_path):
        stale.unlink(missing_ok=True)

    config = SandboxConfig(
        seed=seed,
        store_count=stores,
        transactions_per_store_day=per_store,
        mappings_dir=settings.mappings_dir,
        # Phone and web orders taken in D365, paid by card through Heartland.
        order_payments=True,
    )
    history, live = business_days[:-1], business_days[-1]
    # The first half of the week is clean, so its days reconcile and post; the rest carries
    # every kind of defect, so its days show what is quarantined, flagged and held back.
    clean, dirty = history[: len(history) // 2], history[len(history) // 2 :]
    truth = settings.data_dir / "sandbox" / "ground_truth.ndjson"

    def progress(message: str) -> None:
        _say(f"  {message}")

    if clean:
        generate(
            LandingZone(settings.landing_dir),
            clean,
            dataclasses.replace(config, defect_rates=DefectRates.none()),
            ground_truth_path=truth,
            progress=progress,
        )
    report = generate(
        LandingZone(settings.landing_dir), dirty, config, ground_truth_path=truth, progress=progress
    )
    _say(
        f"[{_elapsed(started)}] landed {len(history)} days of sandbox gateway data straight into "
        f"landing/ and wrote their POS tickets to the sandbox's Heartland Retail store: "
        f"{len(clean)} clean, {len(dirty)} with injected defects: {_defect_summary(report)}"
    )

    from hl_d365_assets.definitions import defs

    # D365 first: reconciliation recognises card payments of D365 sales orders by the orders
    # pulled from D365, and the journals are posted to it at the end.
    d365 = SandboxD365(settings)
    failed: list[str] = []
    if not d365.pull(_say):
        failed.append("d365 pull")
    job = defs.resolve_job_def(daily_heartland_job.name)
    with retail_simulator(report.retail_store_dir) as retail:
        with dg.DagsterInstance.get() as instance:
            # POS tickets come only from Heartland Retail. The snapshots (locations, payment
            # types, items, stock) are dated on the first day, so every day loaded sees them.
            forget_ticket_cursor(instance)
            pulled = pull_retail(settings, retail, instance, snapshot_day=history[0])
            _say(
                f"[{_elapsed(started)}] pulled the POS week from the Heartland Retail simulator "
                f"({retail.base_url}) with heartland_retail_pull_job: {landed_summary(pulled)}"
            )
            if not pulled.success:
                failed.append("heartland retail pull")
            for day in history:
                t0 = time.perf_counter()
                result = job.execute_in_process(
                    partition_key=day.isoformat(),
                    instance=instance,
                    raise_on_error=False,
                    run_config=QUIET_CONSOLE,
                )
                checks = result.get_asset_check_evaluations()
                failing = sorted(
                    f"{e.asset_check_key.to_user_string()} ({e.severity.value.lower()})"
                    for e in checks
                    if not e.passed
                )
                status = "ok" if result.success else "FAILED"
                if not result.success:
                    failed.append(day.isoformat())
                _say(
                    f"  run {result.run_id[:8]} {day}: {status} in "
                    f"{time.perf_counter() - t0:.1f}s, {len(checks)} checks, "
                    f"failing: {', '.join(failing) or 'none'}"
                )

        _say(
            f"\n[{_elapsed(started)}] {live}: the live day, pushed by (simulated) Heartland "
            "webhooks and pulled from Heartland Retail while trading, loaded by the sensor"
        )
        if live_day(settings, live, config, _say, retail=retail) != 0:
            failed.append(live.isoformat())

        _say(f"\n[{_elapsed(started)}] products: D365's catalogue against Heartland Retail's")
        with dg.DagsterInstance.get() as instance:
            if not sync_catalogue(settings, retail, instance, _say):
                failed.append("product sync")
        _say(f"\n[{_elapsed(started)}] stock: Heartland Retail's against D365's on-hand, {live}")
        if not compare_stock(settings, d365, retail, report.retail_store_dir, live, _say):
            failed.append("stock")

    conn = open_for_analysis(settings.read_copy_path)
    try:
        _print_table(conn, business_days)
        _print_ledger(conn, business_days)
        _print_risk(conn, business_days)
    finally:
        conn.close()

    _say(
        f"\n[{_elapsed(started)}] Dynamics 365: the sandbox D365 (simulator on loopback) gets every "
        "day whose checks pass"
    )
    with d365:
        if not d365.post(business_days, _say):
            failed.append("posting")
        _say(
            f"\n[{_elapsed(started)}] D365 sales orders paid through Heartland: order -> business "
            "event -> payment link or stored-card charge -> payment -> D365 customer payment line"
        )
        if not orders_through_heartland(settings, d365, _say):
            failed.append("orders")
        _say(
            f"\n[{_elapsed(started)}] payroll: Heartland Payroll registers dropped as files -> "
            "balanced D365 journals per pay run, by department"
        )
        if not payroll_act(settings, d365, business_days[-1], _say):
            failed.append("payroll")
    _say(
        f"\n[{_elapsed(started)}] many merchants: three sandbox tenants' days, each into its own "
        f"warehouse, run at the same time ({live})"
    )
    with dg.DagsterInstance.get() as instance:
        if not tenants_act(instance, live, _say):
            failed.append("tenants")
    _say(f"\ndone in {time.perf_counter() - started:.1f}s (this machine's time, not a promise)")
    _say(
        "\nNext:\n"
        "  make ui     # Dagster UI on http://127.0.0.1:3000: the asset graph, these runs, their checks\n"
        "  query the warehouse read-only, even while runs write (the read copy is republished after each run):\n"
        f'    {sys.executable} -c "import duckdb; '
        f"print(duckdb.connect('{settings.read_copy_path}', read_only=True).sql('FROM canonical.daily_sales'))\"\n"
        "  or open that file read-only in any DuckDB client. Tables: raw.*, canonical.*, recon.* (start with\n"
        "  recon.daily_summary), gl.journals, gl.journal_lines, gl.journal_line_sources, ops.quarantine,\n"
        "  ops.daily_load_summary; every column is described in duckdb_columns()."
    )
    return 1 if failed else 0


def _print_table(conn, business_days: list[date]) -> None:
    loads = {row[0]: row for row in conn.execute(sql_file("reports/demo_loads.sql")).fetchall()}
    sales = conn.execute(sql_file("reports/demo_sales.sql")).fetchall()
    header = (
        f"{'business day':<12} {'landed':>7} {'loaded':>7} {'dupes':>6} {'quar.':>6} {'late':>5} "
        f"{'unmap.':>6}  {'cur':<4} {'gross sales':>13} {'refunds':>11}  quarantined by reason"
    )
    _say("\n" + header)
    _say("-" * (len(header) + 36))
    for day in business_days:
        empty = (day, 0, 0, 0, 0, "", 0, 0)
        _, landed, loaded, dupes, quarantined, reasons, late, flagged = loads.get(day, empty)
        day_sales = [s for s in sales if s[0] == day] or [(day, "-", 0, 0)]
        for n, (_, currency, gross, refunds) in enumerate(day_sales):
            counts = f"{day!s:<12} {landed:>7} {loaded:>7} {dupes:>6} {quarantined:>6} {late:>5} {flagged:>6}"
            _say(
                f"{counts if n == 0 else ' ' * len(counts)}  {currency:<4} {gross:>13,.2f} {refunds:>11,.2f}"
                f"  {reasons if n == 0 else ''}".rstrip()
            )
    _say(
        "\nlanded = loaded + dupes (redeliveries skipped) + quar. (ops.quarantine); late = loaded after "
        "the day closed\n(the live day is pushed and pulled the morning after, so most of it is late);\nunmap. = loaded but carrying a value mappings/ does not know (see the "
        "mappings_complete checks);\ngross sales and refunds: captured card money through the gateway "
        "(canonical.daily_sales)."
    )


def _print_ledger(conn, business_days: list[date]) -> None:
    recon = {
        row[0]: row for row in conn.execute(sql_file("reports/demo_reconciliation.sql")).fetchall()
    }
    journals = conn.execute(sql_file("reports/demo_journals.sql")).fetchall()
    header = (
        f"{'business day':<12} {'batches':>9} {'tenders':>11}  {'journal':<20} {'lines':>5} "
        f"{'to post':>7} "
        f"{'debits':>12} {'balanced':>8}  ready to post   open exceptions by kind"
    )
    _say("\n" + header)
    _say("-" * (len(header) + 30))
    for day in business_days:
        _, batches_ok, batches, tenders_ok, tenders, by_kind = recon.get(
            day, (day, 0, 0, 0, 0, "none")
        )
        day_journals = [j for j in journals if j[0] == day] or [(day, "-", 0, 0, 0, None, None, "")]
        for n, (_, key, lines, to_post, debits, balanced, ready, failed) in enumerate(day_journals):
            lead = f"{day!s:<12} {batches_ok:>4}/{batches:<4} {tenders_ok:>5}/{tenders:<5}"
            posted = "yes" if ready else f"no: {failed}" if failed else "-"
            _say(
                f"{lead if n == 0 else ' ' * len(lead)}  {key:<20} {lines:>5} {to_post:>7} "
                f"{debits:>12,.2f} {'yes' if balanced else 'NO' if balanced is not None else '-':>8}  "
                f"{posted:<15}  {by_kind if n == 0 else ''}".rstrip()
            )
    _say(
        "\nbatches, tenders = matched (or within tolerance) / all, from recon.settlement_vs_transactions "
        "and recon.tenders_vs_gateway;\njournal = gl.journals (legal entity, day, currency), debits in "
        "the journal's currency; lines = gl.journal_lines; to post = the\nlines with a non-zero "
        "amount: a line whose debits and credits net to zero stays in gl.journal_lines for\n"
        "traceability but is not sent to D365, so D365 shows fewer lines than gl.journals; ready to "
        "post = every blocking check\nof gl.journal_checks passed. A "
        "day with open exceptions is held back until accountants accept or resolve them in\n"
        "recon.exceptions and post_journals_job runs again for the day."
    )


def _print_risk(conn, business_days: list[date]) -> None:
    """What risk scoring did (docs/risk.md): entities scored, alerts by pattern, days held."""
    days = {row[0]: row for row in conn.execute(sql_file("reports/demo_risk.sql")).fetchall()}
    header = f"{'business day':<12} {'scored':>7} {'alerts':>6} {'held':>4}  alerts by pattern"
    _say("\n" + header)
    _say("-" * (len(header) + 50))
    for day in business_days:
        _, scored, alerts, by_pattern, held = days.get(day, (day, 0, 0, "-", 0))
        _say(f"{day!s:<12} {scored:>7} {alerts:>6} {held:>4}  {by_pattern}")
    _say(
        "\nscored = entities of risk.scores (transactions, cards, terminals, stores, tickets, "
        "cashiers, batches, employees);\nalerts = risk.alerts, each a recon.exceptions row of kind "
        "risk_<pattern> for reviewers (fraud / not_fraud);\nhigh ones also go to the alert "
        "webhook; held = journals the blocking risk_hold check holds (more open high alerts than\n"
        "mappings/risk_settings.csv allows). The demo's sandbox injects no risk patterns "
        "(`hl-d365 sandbox --risk-patterns` does):\nthese alerts are what its defects and "
        "ordinary data look like to the rules and the model."
    )


def _defect_summary(report) -> str:
    defects = report.defects
    return ", ".join(f"{kind} {count}" for kind, count in sorted(defects.items())) or "none"


def _elapsed(started: float) -> str:
    """Time since the demo started, printed at each stage: how long it takes depends on the
    machine (a loaded 2-core box takes minutes), so the demo measures instead of promising."""
    return f"{time.perf_counter() - started:6.1f}s"


def _say(message: str) -> None:
    print(message, flush=True)
