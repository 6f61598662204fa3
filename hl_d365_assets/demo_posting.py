"""The demo's last act: every day whose ledger checks pass is posted into the D365 simulator
through post_journals_job (a real Dagster run per day), then posted again to show that nothing
goes twice. The simulator runs on loopback with its state under data/sandbox/."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import dagster as dg

from hl_d365_assets.d365.simulator.app import D365Simulator
from hl_d365_assets.d365.simulator.server import serve
from hl_d365_assets.resources import build_resources, d365_client
from hl_d365_assets.settings import Settings

# A day held back fails its run by design (the blocking checks): the table below says why, so
# the console shows nothing of the runs themselves.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def post_days(settings: Settings, days: list[date], say: Callable[[str], None]) -> bool:
    """Post ``days`` twice; print what D365 holds per day. True when no run failed except by
    a day's blocking checks (a held-back day is the checks doing their job)."""
    from hl_d365_assets.definitions import defs

    state = settings.data_dir / "sandbox" / "d365_state.sqlite"
    state.unlink(missing_ok=True)
    sim = D365Simulator(state)
    server = serve(sim)
    sim.environment_url = server.base_url
    job = defs.resolve_job_def("post_journals_job")
    resources = {
        **build_resources(settings),
        "d365": d365_client({"D365_SANDBOX_URL": server.base_url}),
    }
    ok = True
    rows: dict[date, dict] = {}
    try:
        with dg.DagsterInstance.get() as instance:
            pull = defs.resolve_job_def("d365_pull_job").execute_in_process(
                instance=instance,
                resources=resources,
                raise_on_error=False,
                run_config=QUIET_CONSOLE,
            )
            checked = {e.check_name: e.passed for e in pull.get_asset_check_evaluations()}
            say(
                f"  pulled D365's chart of accounts, dimensions, customers, products and sales "
                f"orders: {'ok' if pull.success else 'FAILED'}; mapping exists in D365: "
                f"{'yes' if checked.get('mappings_exist_in_d365') else 'NO'}"
            )
            ok = ok and pull.success
            for attempt in ("first", "second"):
                before = sim.request_count("POST", "/data/")
                for day in days:
                    result = job.execute_in_process(
                        partition_key=day.isoformat(),
                        instance=instance,
                        resources=resources,
                        raise_on_error=False,
                        run_config=QUIET_CONSOLE,
                    )
                    failed_checks = sorted(
                        e.check_name for e in result.get_asset_check_evaluations() if not e.passed
                    )
                    postings = result.asset_materializations_for_node("gl__postings")
                    meta = postings[0].metadata if postings else {}
                    row = rows.setdefault(day, {"held": failed_checks})
                    row[attempt] = {
                        name: meta[name].value if name in meta else 0
                        for name in ("journals_posted", "journals_already_in_d365", "lines_posted",
                                     "lines_dead_lettered", "journals_dead_lettered")
                    }  # fmt: skip
                    if not result.success and not failed_checks:
                        ok = False
                writes = sim.request_count("POST", "/data/") - before
                say(
                    f"  {attempt} posting of {len(days)} days: {writes} write requests to D365's OData"
                )
    finally:
        server.stop()
    numbers: dict[str, list[str]] = {}
    for journal in sim.journals():
        day = journal["Description"].split()[2]
        numbers.setdefault(day, []).append(
            f"{journal['JournalBatchNumber']} ({journal['Description'].split()[3]}, "
            f"{len(journal['lines'])} lines)"
        )
    sim.close()
    say(
        f"\n{'business day':<12} {'D365 journals (currency, lines)':<44} {'posted':>6} "
        f"{'dead-lettered':>13} {'2nd run posted':>14}  held back by"
    )
    say("-" * 118)
    for day in days:
        row = rows[day]
        first, second = row.get("first", {}), row.get("second", {})
        say(
            f"{day!s:<12} {', '.join(numbers.get(day.isoformat(), [])) or '-':<44} "
            f"{first.get('lines_posted', 0):>6} {first.get('lines_dead_lettered', 0):>13} "
            f"{second.get('lines_posted', 0):>14}  {', '.join(row['held']) or ''}".rstrip()
        )
    say(
        "\nposted = journal lines created in D365 by the first posting (plus one base-currency "
        "rounding line per\nforeign-currency journal); 2nd run posted = by the second posting of "
        "the same days: always 0, each\njournal is looked up by its key first. Held-back days wait "
        "for their exceptions to be accepted or\nresolved (recon.exceptions), then "
        "post_journals_job for the day posts them. What D365 holds: gl.postings,\n"
        "gl.posted_lines, recon.gl_vs_d365."
    )
    return ok
