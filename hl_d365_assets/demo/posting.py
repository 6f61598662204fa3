"""The demo's last act: every day whose ledger checks pass is posted into the D365 simulator
through post_journals_job (a real Dagster run per day), then posted again to show that nothing
goes twice. The simulator runs on loopback with its state under data/sandbox/."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import dagster as dg

from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.demo.wording import plural
from hl_d365_assets.ledger.journal_key import IdempotencyKey
from hl_d365_assets.sandbox.d365_simulator.app import D365Simulator
from hl_d365_assets.sandbox.d365_simulator.server import serve
from hl_d365_assets.sandbox.resources import d365_client
from hl_d365_assets.settings import Settings

# The table below says what each run did and why a day is held back, so the console shows
# nothing of the runs themselves.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


class SandboxD365:
    """The D365 simulator on loopback for the demo, with resources that reach it."""

    def __init__(self, settings: Settings) -> None:
        state = settings.data_dir / "sandbox" / "d365_state.sqlite"
        state.parent.mkdir(parents=True, exist_ok=True)
        state.unlink(missing_ok=True)
        self.sim = D365Simulator(state)
        self.server = serve(self.sim)
        self.sim.environment_url = self.server.base_url
        self.resources = {
            **build_resources(settings),
            "d365": d365_client(self.server.base_url),
        }

    def __enter__(self) -> SandboxD365:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()
        self.sim.close()

    def pull(self, say: Callable[[str], None]) -> bool:
        """D365's chart, dimensions, customers, products and open sales orders into raw.d365_*,
        and the GL mapping checked against them."""
        from hl_d365_assets.definitions import defs
        from hl_d365_assets.defs.landing.jobs import d365_pull_job

        with dg.DagsterInstance.get() as instance:
            pull = defs.resolve_job_def(d365_pull_job.name).execute_in_process(
                instance=instance,
                resources=self.resources,
                raise_on_error=False,
                run_config=QUIET_CONSOLE,
            )
        [mapping] = [
            e
            for e in pull.get_asset_check_evaluations()
            if e.check_name == "mappings_exist_in_d365"
        ] or [None]
        say(
            f"pulled D365's chart of accounts, dimensions, customers, products and open sales "
            f"orders from the D365 simulator ({self.server.base_url}): "
            f"{'ok' if pull.success else 'FAILED'}; the GL mapping exists in D365: "
            f"{_mapping_outcome(mapping)}"
        )
        return pull.success

    def post(self, days: list[date], say: Callable[[str], None]) -> bool:
        """Post ``days`` twice through post_journals_job; print what D365 holds per day. True
        when every run succeeded (a day its checks hold back ends its run without error)."""
        from hl_d365_assets.definitions import defs
        from hl_d365_assets.defs.gl.jobs import post_journals_job

        job = defs.resolve_job_def(post_journals_job.name)
        ok = True
        rows: dict[date, dict] = {day: {} for day in days}
        with dg.DagsterInstance.get() as instance:
            for attempt in ("first", "second"):
                before = self.sim.request_count("POST", "/data/")
                for day in days:
                    result = job.execute_in_process(
                        partition_key=day.isoformat(),
                        instance=instance,
                        resources=self.resources,
                        raise_on_error=False,
                        run_config=QUIET_CONSOLE,
                    )
                    evaluations = result.get_asset_check_evaluations()
                    held = sorted(e.check_name for e in evaluations if not e.passed)
                    postings = result.asset_materializations_for_node("gl__postings")
                    meta = postings[0].metadata if postings else {}
                    rows[day]["held"] = held
                    rows[day][attempt] = {
                        name: meta[name].value if name in meta else 0
                        for name in ("lines_posted", "lines_dead_lettered")
                    }
                    ok = ok and result.success
                writes = self.sim.request_count("POST", "/data/") - before
                say(f"  {attempt} posting of {len(days)} days: {writes} OData write requests")
        self._print(days, rows, say)
        return ok

    def _print(self, days: list[date], rows: dict[date, dict], say: Callable[[str], None]) -> None:
        numbers: dict[str, list[str]] = {}
        for header_set, tag in (
            ("LedgerJournalHeaders", ""),
            ("CustomerPaymentJournalHeaders", "payments "),
        ):
            for journal in self.sim.journals(header_set=header_set):
                key = IdempotencyKey.parse(journal["Description"]).journal
                numbers.setdefault(key.business_date.isoformat(), []).append(
                    f"{journal['JournalBatchNumber']} ({tag}{key.currency}, "
                    f"{plural(len(journal['lines']), 'line')})"
                )
        say(
            f"\n{'business day':<12} {'D365 journals (kind, currency, lines)':<70} {'posted':>6} "
            f"{'dead-lettered':>13} {'2nd run posted':>14}  held back by"
        )
        say("-" * 140)
        for day in days:
            row = rows[day]
            first, second = row.get("first", {}), row.get("second", {})
            say(
                f"{day!s:<12} {', '.join(numbers.get(day.isoformat(), [])) or '-':<70} "
                f"{first.get('lines_posted', 0):>6} {first.get('lines_dead_lettered', 0):>13} "
                f"{second.get('lines_posted', 0):>14}  {', '.join(row.get('held', []))}".rstrip()
            )
        say(
            "\nposted = lines the first posting created in D365: general journal lines (plus a "
            "base-currency rounding\nline per foreign-currency journal) and customer payment "
            "lines (card payments of D365 sales orders,\ncredited to the order's customer). 2nd "
            "run posted = what the second posting of the same days created:\nalways 0, each "
            "journal is looked up by its key first. A held-back day waits for its exceptions to\n"
            "be accepted or resolved (recon.exceptions); post_journals_job for the day then posts "
            "it. What D365\nholds from us: gl.postings, gl.posted_lines, "
            "gl.posted_customer_payments, recon.gl_vs_d365."
        )


def _mapping_outcome(evaluation: dg.AssetCheckEvaluation | None) -> str:
    """yes, or NO with what D365 lacks; a value only the payroll mapping uses (the sandbox's
    VISMERCH department) holds just the pay runs posting to it (docs/payroll-ledger.md)."""
    if evaluation is None or evaluation.passed:
        return "yes" if evaluation else "NO"
    metadata = evaluation.metadata
    missing = [
        *(f"main account {a}" for a in metadata["missing_main_accounts"].value),
        *metadata["missing_dimension_values"].value,
    ]
    payroll_only = evaluation.severity == dg.AssetCheckSeverity.WARN
    return f"NO ({', '.join(missing)}{': payroll only, its pay runs are held' if payroll_only else ''})"
