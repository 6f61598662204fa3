"""The demo's payroll act (issue 17): two pay runs dropped in the payroll inbox become D365
journals, one per run.

The sandbox drops the newest weekly run and the newest semi-monthly run before the demo's last
day into the payroll inbox (``HL_D365_PAYROLL_INBOX``, ``data/payroll/inbox`` by default), with
their funding days' bank statements; one check of the two carries department ``400``, which maps
to a Department value D365 lacks, so one run's journal is held and the other is posted. Then, in
this process as the daemon would: one tick of ``payroll_inbox_sensor`` (land, archive), every
``payroll_job`` run it requests (raw, canonical, allocations, journals, checks, funding), and
``post_journals_job`` for the check dates (SandboxD365.post). Each run's journal is printed: its
lines, debits = credits, ready or held and why, and the D365 journal it was posted as.

It needs, from the other pieces of issue 17: the sensor ``payroll_inbox_sensor`` and the job
``payroll_job`` in the Definitions, ``Settings.payroll_inbox``, the payroll resources in
``build_resources``, ``gl.payroll_journal_lines`` and the view ``gl.payroll_journals``, and the
poster posting pay runs with the check date's journals. ``run_demo`` calls :func:`payroll_act`
after the D365 pull (so the chart and departments it validates against are in the warehouse).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from hl_d365_assets.defs.payroll.sensors import payroll_inbox_sensor
from hl_d365_assets.demo.posting import QUIET_CONSOLE, SandboxD365
from hl_d365_assets.demo.wording import plural
from hl_d365_assets.sandbox.payroll_checks import SEMIMONTHLY, WEEKLY, PayRun, pay_runs
from hl_d365_assets.sandbox.payroll_defects import PayrollDefectRates
from hl_d365_assets.sandbox.payroll_registers import (
    PayrollSandboxConfig,
    default_ground_truth_path,
    write_pay_runs,
)
from hl_d365_assets.settings import Settings
from hl_d365_assets.warehouse import open_for_analysis, sql_file

Say = Callable[[str], None]

DEMO_PAYROLL = PayrollSandboxConfig(
    void=False,
    corrected_file=False,
    defect_rates=PayrollDefectRates(
        unknown_earning_code=0.0,
        unknown_department=0.01,
        ssn_in_memo=0.0,
        run_total_mismatch=0.0,
        funding_difference=0.0,
    ),
)
"""Sixty employees; one check in department 400 (D365 lacks its Department value)."""


def last_pay_runs(before: date) -> list[PayRun]:
    """The newest weekly and the newest semi-monthly run whose check date is before ``before``."""
    runs = pay_runs(before - timedelta(days=31), before - timedelta(days=1))
    newest = [
        [run for run in runs if run.pay_group == group][-1] for group in (WEEKLY, SEMIMONTHLY)
    ]
    return sorted(newest, key=lambda run: run.check_date)


def payroll_act(settings: Settings, d365: SandboxD365, before: date, say: Say) -> bool:
    """Drop, load, post and print two pay runs; True when every run succeeded or was held back
    by its blocking checks."""
    from hl_d365_assets.definitions import defs

    runs = last_pay_runs(before)
    inbox = Path(settings.payroll_inbox)
    report = write_pay_runs(inbox, runs, DEMO_PAYROLL, default_ground_truth_path(inbox))
    say(
        f"\npayroll: dropped {plural(len(report.registers), 'pay run register')} "
        f"({', '.join(path.name for path in report.registers)}) and "
        f"{plural(len(report.statements), 'bank statement')} into {inbox}"
    )
    ok = True
    with dg.DagsterInstance.get() as instance:
        with dg.build_sensor_context(
            instance=instance,
            resources={
                key: d365.resources[key] for key in ("landing", "mappings", "payroll_inbox")
            },
        ) as context:
            tick = payroll_inbox_sensor(context)
        say("  payroll_inbox_sensor landed and archived them")
        job = defs.resolve_job_def("payroll_job")
        # One run per day: a run loads every file landed under its day, so the tick's second
        # request for a day (its other file) would find nothing new.
        by_day = {request.partition_key: request for request in reversed(tick.run_requests)}
        for request in sorted(by_day.values(), key=lambda request: request.partition_key):
            result = job.execute_in_process(
                partition_key=request.partition_key,
                tags=request.tags,
                instance=instance,
                resources=d365.resources,
                raise_on_error=False,
                run_config=QUIET_CONSOLE,
            )
            # A pay run its blocking checks hold is the job's designed outcome (reported at
            # WARN, the run succeeds); anything else that fails is a real failure.
            held = sorted(
                e.check_name for e in result.get_asset_check_evaluations() if not e.passed
            )
            ok = ok and result.success
            say(
                f"  payroll_job {request.partition_key}: "
                + ("FAILED" if not result.success else "ok")
                + (f", a pay run held back by {', '.join(held)}" if held else "")
            )
    days = sorted({run.check_date for run in runs})
    ok = d365.post(days, say) and ok
    with open_for_analysis(settings.warehouse_path) as conn:
        for day in days:
            journals = conn.execute(
                sql_file("reports/payroll_journals_of_day.sql"), {"day": day}
            ).fetchall()
            lines = conn.execute(
                sql_file("reports/payroll_journal_lines_of_day.sql"), {"day": day}
            ).fetchall()
            for journal in journals:
                _print_journal(journal, [line for line in lines if line[0] == journal[0]], say)
    return ok


def _print_journal(journal: tuple, lines: list[tuple], say: Say) -> None:
    (key, run_key, _, _, count, debits, credits, balanced, ready, why, d365_journals) = journal
    say(f"\npay run {run_key}: journal {key}, {plural(count, 'line')}")
    say(f"  {'account':<28} {'debit':>14} {'credit':>14}")
    for _, _, account, debit, credit, _ in lines:
        say(f"  {account or '(unmapped)':<28} {_money(debit):>14} {_money(credit):>14}")
    say(
        f"  {'total':<28} {debits:>14,} {credits:>14,}  "
        + ("debits = credits" if balanced else "NOT BALANCED")
    )
    if ready:
        say(f"  ready: posted to D365 as journal {d365_journals or '(not yet)'}")
    else:
        say(f"  held: {why}")


def _money(amount) -> str:
    return f"{amount:,}" if amount else ""
