"""Payroll end to end (issue 17): a month of sandbox registers and bank statements with injected
defects, dropped in the inbox, landed by the sensor, loaded by payroll_job after a D365 pull, and
posted — every injected defect found where the ground truth says, the clean pay runs posted once.
Then (issue 19) a pay run held by the unknown earning code is taken to ready by the mapping
co-pilot: suggested, approved from the command line or the Launchpad, and replayed.

Real components: the sandbox's register files, the payroll_inbox_sensor, a Dagster instance, the
D365 simulator on loopback (pull and posting), DuckDB.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from datetime import date, timedelta

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.cli import main
from hl_d365_assets.definitions import defs
from hl_d365_assets.defs.gl.jobs import post_journals_job
from hl_d365_assets.defs.landing.jobs import d365_pull_job
from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.sandbox.d365_simulator.app import D365Simulator
from hl_d365_assets.sandbox.d365_simulator.server import serve
from hl_d365_assets.sandbox.payroll_defects import UNKNOWN_EARNING_CODE, PayrollDefectRates
from hl_d365_assets.sandbox.payroll_registers import PayrollSandboxConfig, generate_payroll
from hl_d365_assets.sandbox.resources import d365_client
from hl_d365_assets.settings import Settings
from hl_d365_assets_tests.conftest import make_settings
from hl_d365_assets_tests.held_days import copy_of, launch_decision, replay_requests
from hl_d365_assets_tests.payroll_files import run_requested, tick

pytestmark = pytest.mark.schedule_first

FIRST, LAST = date(2026, 11, 2), date(2026, 11, 30)
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
DEFECTS = PayrollDefectRates(
    unknown_earning_code=0.02,
    unknown_department=0.02,
    ssn_in_memo=0.02,
    run_total_mismatch=0.3,
    funding_difference=0.3,
)


@dataclasses.dataclass
class Month:
    settings: Settings
    truth: list[dict]
    sim: D365Simulator
    risk_domains_rebuilt: set[str]
    """The risk domains payroll_job's risk/features step rebuilt (its metadata's timings)."""

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.settings.warehouse_path), read_only=True) as conn:
            return conn.execute(sql, params or []).fetchall()

    def failed_checks(self, run_key: str) -> str:
        [(failed,)] = self.query(
            "SELECT coalesce(failed_checks, '') FROM gl.payroll_journals WHERE run_key = ?",
            [run_key],
        )
        return failed


def pay_period(root, first: date, last: date, defect_rates: PayrollDefectRates) -> Iterator[Month]:
    """Sandbox registers and bank statements of ``first``..``last`` with ``defect_rates``, dropped
    in the inbox, landed by the sensor, loaded after a D365 pull, and each day posted."""
    inbox, archive = root / "inbox", root / "archive"
    settings = dataclasses.replace(
        make_settings(root / "data"), payroll_inbox_url=str(inbox), payroll_archive_url=str(archive)
    )
    truth_path = root / "truth.ndjson"
    generate_payroll(
        inbox,
        first,
        last,
        PayrollSandboxConfig(defect_rates=defect_rates),
        ground_truth_path=truth_path,
    )
    sim = D365Simulator(root / "d365.sqlite")
    with serve(sim) as server, dg.DagsterInstance.ephemeral() as instance:
        resources = {**build_resources(settings), "d365": d365_client(server.base_url)}
        pulled = defs.resolve_job_def(d365_pull_job.name).execute_in_process(
            instance=instance, resources=resources, run_config=QUIET, raise_on_error=False
        )
        assert pulled.success
        sensed = tick(instance, settings, str(inbox), str(archive))
        loaded = run_requested(settings, instance, list(sensed.run_requests))
        assert loaded.success
        days = sorted({r.partition_key for r in sensed.run_requests})
        post = defs.resolve_job_def(post_journals_job.name)
        for day in days:
            posted = post.execute_in_process(
                partition_key=day, instance=instance, resources=resources, run_config=QUIET
            )
            assert posted.success
        truth = [json.loads(line) for line in truth_path.read_text().splitlines()]
        rebuilt = {
            domain
            for event in loaded.asset_materializations_for_node("risk__features")
            for domain in event.metadata["seconds_by_domain"].value
        }
        yield Month(settings, truth, sim, rebuilt)


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Month]:
    yield from pay_period(tmp_path_factory.mktemp("payroll_month"), FIRST, LAST, DEFECTS)


@pytest.fixture(scope="module")
def earning_code_week(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Month]:
    """One week (one weekly pay run) whose only defect is the unknown earning code: in the month
    every run it hits carries another defect too, which would keep the run held after the code
    is mapped."""
    yield from pay_period(
        tmp_path_factory.mktemp("payroll_week"),
        FIRST,
        FIRST + timedelta(days=6),
        dataclasses.replace(PayrollDefectRates.none(), unknown_earning_code=0.05),
    )


def defects(month: Month, kind: str) -> list[dict]:
    found = [entry for entry in month.truth if entry.get("defect") == kind]
    assert found, f"the sandbox injected no {kind}: the test would prove nothing"
    return found


def test_a_pay_run_rebuilds_the_payroll_risk_features_only(month: Month) -> None:
    # The day's payments, POS and settlement features are the daily job's; a pay run changes
    # none of their inputs (defs/payroll/jobs.py sets the step's domains).
    assert month.risk_domains_rebuilt == {"payroll"}
    assert month.query("SELECT count(*) FROM risk.features WHERE domain = 'payroll'")[0][0] > 0


def test_an_unknown_earning_code_holds_its_pay_run_naming_it(month: Month) -> None:
    for entry in defects(month, "unknown_earning_code"):
        assert "items_mapped" in month.failed_checks(entry["run_key"]), entry


def test_a_department_d365_lacks_holds_its_pay_run(month: Month) -> None:
    for entry in defects(month, "unknown_department"):
        assert "accounts_in_d365" in month.failed_checks(entry["run_key"]), entry


def test_an_ssn_in_the_memo_is_quarantined_masked_and_nowhere_else(month: Month) -> None:
    for entry in defects(month, "ssn_in_memo"):
        [(reason, payload)] = month.query(
            "SELECT reason_code, masked_payload FROM ops.quarantine WHERE event_id = ?",
            [entry["event_id"]],
        )
        assert reason == "ssn_detected"
        last4 = re.search(r"\*\*\*-\*\*-(\d{4})", json.dumps(entry)).group(1)
        assert re.search(rf"XXX[- ]XX[- ]{last4}", payload), entry
        assert not month.query(
            "SELECT 1 FROM raw.payroll_register WHERE event_id = ?", [entry["event_id"]]
        )


def test_a_register_whose_totals_do_not_add_up_is_held(month: Month) -> None:
    for entry in defects(month, "run_total_mismatch"):
        assert "agrees_with_register" in month.failed_checks(entry["run_key"]), entry


def test_a_funding_difference_is_an_exception_of_its_run(month: Month) -> None:
    for entry in defects(month, "funding_difference"):
        kinds = {
            kind
            for (kind,) in month.query(
                "SELECT kind FROM recon.exceptions WHERE source_keys LIKE ?",
                [f"run_key={entry['run_key']},%"],
            )
        }
        assert "payroll_funding_difference" in kinds, entry


def test_the_void_reverses_the_voided_check_and_the_corrected_file_replaces_its_run(
    month: Month,
) -> None:
    [void] = [entry for entry in month.truth if entry.get("scenario") == "void"]
    [(net,)] = month.query(
        "SELECT sum(amount) FROM canonical.payroll_items WHERE run_key = ? AND check_type = "
        "'void' AND item_class = 'NET_PAY' AND voided_check_number = ?",
        [void["run_key"], void["voided_check_number"]],
    )
    assert str(-net) == void["net_pay"]
    [corrected] = [entry for entry in month.truth if entry.get("scenario") == "corrected_file"]
    [(files, name)] = month.query(
        "SELECT files_received, file_name FROM canonical.payroll_runs WHERE run_key = ?",
        [corrected["run_key"]],
    )
    assert files == 2 and name != corrected["replaces"]


def test_every_clean_pay_run_is_posted_once_and_every_held_one_is_not(month: Month) -> None:
    runs = month.query("SELECT journal_key, checks_passed FROM gl.payroll_journals")
    defective = {
        entry["run_key"]
        for entry in month.truth
        if entry.get("defect")
        in ("unknown_earning_code", "unknown_department", "run_total_mismatch")
    }
    held = {key for key, passed in runs if not passed}
    assert held and len(held) < len(runs)
    held_runs = {
        run_key
        for (run_key,) in month.query(
            "SELECT run_key FROM gl.payroll_journals WHERE NOT checks_passed"
        )
    }
    assert defective <= held_runs
    posted = month.query(
        "SELECT journal_key, count(*) FROM gl.postings WHERE status = 'posted' "
        "AND journal_key IN (SELECT journal_key FROM gl.payroll_journals) GROUP BY ALL"
    )
    assert {key for key, _ in posted} == {key for key, passed in runs if passed}
    assert all(count == 1 for _, count in posted)


def held_by_the_earning_code(week: Month) -> dict:
    """The pay run the unknown earning code holds, held by nothing else."""
    [entry, *_] = defects(week, "unknown_earning_code")
    assert week.failed_checks(entry["run_key"]) == "items_mapped"
    return entry


def earning_code_suggestions(listing: str) -> list[tuple[str, str, str]]:
    """(id, rank, target) of each suggestion for the unknown earning code, as listed."""
    return re.findall(
        rf"^(MS_\w+) +open +earning_code +EARNING {UNKNOWN_EARNING_CODE} +(\d) +[\d.]+ +(.+)$",
        listing,
        re.MULTILINE,
    )


def run_is_ready(settings: Settings, run_key: str) -> tuple:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return conn.execute(
            "SELECT checks_passed, coalesce(failed_checks, ''), "
            "(SELECT count(*) FROM gl.payroll_journal_lines AS l "
            " WHERE l.journal_key = j.journal_key AND l.mapping_issue IS NOT NULL) "
            "FROM gl.payroll_journals AS j WHERE run_key = ?",
            [run_key],
        ).fetchone()


def test_a_pay_run_held_by_an_unknown_earning_code_is_approved_with_the_cli_and_replayed(
    earning_code_week: Month,
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    entry = held_by_the_earning_code(earning_code_week)
    settings = copy_of(earning_code_week.settings, tmp_path)
    monkeypatch.setenv("HL_D365_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HL_D365_MAPPINGS_DIR", str(settings.mappings_dir))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))

    assert main(["mappings", "suggest"]) == 0
    listed = capsys.readouterr().out
    suggested = earning_code_suggestions(listed)
    # Retro pay is wages: the checks paying code 77 also pay regular hours, booked to 610100.
    assert [(rank, target) for _, rank, target in suggested][:1] == [
        ("1", "610100 (Salaries and wages), dimensions department")
    ]
    [(paying_too, paying)] = re.findall(
        r"(\d+) of (\d+) checks paying it also pay an earning mapped to 610100", listed
    )
    assert 0 < int(paying_too) <= int(paying)
    rules = settings.mappings_dir / "gl_payroll_posting_rules.csv"
    before = rules.read_text()

    assert main(["mappings", "approve", suggested[0][0], "--by", "payroll.lead"]) == 0
    approved = capsys.readouterr().out
    added = rules.read_text().removeprefix(before)
    assert added.startswith(f"EARNING,{UNKNOWN_EARNING_CODE},debit,610100,department,")
    [held_days] = re.findall(r"rebuilding the held days from the landing zone: (.+)", approved)
    assert entry["business_date"] in held_days.split(", ")
    assert "payroll_job over" in approved and "FAILURE" not in approved
    assert run_is_ready(settings, entry["run_key"]) == (True, "", 0)


def test_a_pay_run_held_by_an_unknown_earning_code_is_approved_from_the_launchpad_and_replayed(
    earning_code_week: Month, tmp_path
) -> None:
    """Only the held partitions of payroll_job are asked for by the sensor."""
    entry = held_by_the_earning_code(earning_code_week)
    settings = copy_of(earning_code_week.settings, tmp_path)
    resources = build_resources(settings)
    with dg.instance_for_test() as instance:
        suggested = defs.resolve_job_def("suggest_mappings_job").execute_in_process(
            instance=instance, resources=resources, run_config=QUIET
        )
        [listing] = [
            e.step_output_data.metadata["suggestions"].value
            for e in suggested.all_events
            if e.is_successful_output
        ]
        [(first, confidence)] = re.findall(
            rf"`(MS_\w+)` earning_code EARNING \*\*{UNKNOWN_EARNING_CODE}\*\* → 610100 "
            r"\(Salaries and wages\), dimensions department \(([\d.]+)\): .*checks paying it",
            listing,
        )
        # Ranked on what the checks paying the code say: the bare "77" reads like no account, so
        # without them every target scores 0 and only the files' order would put 610100 first.
        assert float(confidence) > 0
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
            [(held_days,)] = conn.execute(
                "SELECT held_business_dates FROM ops.mapping_suggestions WHERE suggestion_id = ?",
                [first],
            ).fetchall()
        decided = launch_decision(instance, resources, first, "payroll.lead")
        assert decided.success
        requests = replay_requests(instance, decided)
        assert entry["business_date"] in {r.partition_key for r in requests}
        assert sorted((r.job_name, r.partition_key) for r in requests) == [
            ("payroll_job", day.isoformat()) for day in sorted(held_days)
        ]
        for request in requests:
            replayed = defs.resolve_job_def(request.job_name).execute_in_process(
                instance=instance,
                resources=resources,
                partition_key=request.partition_key,
                tags=request.tags,
                run_config=QUIET,
            )
            assert replayed.success
    assert run_is_ready(settings, entry["run_key"]) == (True, "", 0)
