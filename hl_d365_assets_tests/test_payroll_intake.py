"""The payroll file drop: a register or bank statement dropped in the inbox is landed through
the column mapping, archived by content hash, loaded by payroll_job, and every file is counted."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import dagster as dg
import fsspec
import pytest

from hl_d365_assets.landing import LandingZone
from hl_d365_assets.payroll_columns import ColumnMapping, read_export
from hl_d365_assets.payroll_inbox import merchant_today
from hl_d365_assets.settings import PROJECT_ROOT, SANDBOX_FINGERPRINT_KEY, Settings
from hl_d365_assets_tests.conftest import make_settings
from hl_d365_assets_tests.payroll_files import (
    PayLine,
    bank_csv,
    drop,
    query,
    register_csv,
    run_payroll,
    run_requested,
    tick,
)

CHECK_DATE = date(2026, 11, 20)
BOOKED = (date(2026, 11, 19), date(2026, 11, 20))
LINES = [
    PayLine("E10001", "EARNING", "01", "1,234.56", hours="40.0000", memo="great week"),
    PayLine("E10001", "EE_TAX", "FIT", "123.45"),
    PayLine("E10001", "NET_PAY", "DD", "1,111.11"),
    PayLine("", "RUN_TOTAL", "GROSS", "1,234.56"),
]
CORRECTED = [dataclasses.replace(LINES[0], amount="1,243.56", memo="hours fixed"), *LINES[1:]]


@dataclasses.dataclass
class Intake:
    settings: Settings
    inbox: Path
    archive: Path
    first: dg.SensorResult
    second: dg.SensorResult
    register: bytes
    run: dg.ExecuteInProcessResult

    @property
    def zone(self) -> LandingZone:
        return LandingZone(self.settings.landing_dir)


@pytest.fixture(scope="module")
def instance():
    with dg.DagsterInstance.ephemeral() as test_instance:
        yield test_instance


@pytest.fixture(scope="module")
def intake(tmp_path_factory, instance) -> Intake:
    """Two sensor ticks and the runs they ask for: first a register, a bank statement, a file
    missing required columns and one that is no CSV; then the register dropped again under
    another name, and a corrected register of the same pay run."""
    root = tmp_path_factory.mktemp("payroll_intake")
    inbox, archive = root / "inbox", root / "archive"
    settings = dataclasses.replace(
        make_settings(root / "data"),
        payroll_inbox_url=str(inbox),
        payroll_archive_url=str(archive),
    )
    register = register_csv(LINES, CHECK_DATE, extra_headers=("Cost Center",))
    drop(inbox, "payroll_register", "weekly_20261120.csv", register)
    drop(
        inbox,
        "bank_statement",
        "statement.csv",
        bank_csv(
            [
                (BOOKED[0], "-1,111.11", "PAYROLL 20261120-20261120 NET"),
                (BOOKED[1], "-246.90", "PAYROLL 20261120-20261120 TAX"),
            ]
        ),
    )
    drop(
        inbox,
        "payroll_register",
        "no_amounts.csv",
        register_csv(LINES[:2], CHECK_DATE, drop_headers=("Item Class", "Amount")),
    )
    drop(inbox, "payroll_register", "scan.csv", b"\xff\xd8\xff\xe0 a scanned PDF, not a CSV\x00")
    first = tick(instance, settings, str(inbox), str(archive))

    drop(inbox, "payroll_register", "weekly_20261120 (1).csv", register)
    drop(inbox, "payroll_register", "weekly_20261120_v2.csv", register_csv(CORRECTED, CHECK_DATE))
    second = tick(instance, settings, str(inbox), str(archive), cursor=first.cursor)

    run = run_requested(settings, instance, [*first.run_requests, *second.run_requests])
    return Intake(settings, inbox, archive, first, second, register, run)


def landed(zone: LandingZone, source: str, entity: str, day: date) -> list[dict]:
    return [
        json.loads(line)
        for segment in zone.segments(source, entity, day)
        for line in segment.read_text().splitlines()
    ]


def test_a_dropped_register_lands_one_envelope_per_row_under_its_check_date(intake) -> None:
    import hashlib

    sha = hashlib.sha256(intake.register).hexdigest()
    lines = [
        e
        for e in landed(intake.zone, "heartland_payroll", "register", CHECK_DATE)
        if e["payload"]["file"]["sha256"] == sha
    ]
    assert [e["event_id"] for e in lines] == [f"HP_{sha[:16]}_{row}" for row in (1, 2, 3, 4)]
    first = lines[0]
    assert first["event_type"] == "heartland_payroll.register_line"
    payload = first["payload"]
    assert payload["check_date"] == "2026-11-20"  # read with the mapping's %m/%d/%Y
    assert payload["period_begin"] == "2026-11-09"
    assert payload["amount"] == "1234.56"  # exact text, thousands separator gone, never a float
    assert payload["employee_number"] == "E10001"
    assert payload["check_type"] == "Regular"
    assert "employee_name" not in payload  # the mapping drops it
    assert "Name Of" not in json.dumps(lines)
    assert payload["unmapped"] == {"Memo": "great week", "Cost Center": ""}
    assert payload["file"] == {"name": "weekly_20261120.csv", "sha256": sha, "row": 1}


def test_the_original_moves_to_the_archive_under_its_hash(intake) -> None:
    import hashlib

    sha = hashlib.sha256(intake.register).hexdigest()
    archived = intake.archive / "payroll_register" / sha / "weekly_20261120.csv"
    assert archived.read_bytes() == intake.register
    assert not list((intake.inbox / "payroll_register").iterdir())
    assert not list((intake.inbox / "bank_statement").iterdir())


def test_a_run_is_requested_for_each_day_landed_and_keyed_by_the_file_hash(intake) -> None:
    requests = intake.first.run_requests
    days = {r.partition_key for r in requests}
    today = merchant_today(intake.settings.merchant_timezone).isoformat()
    assert days == {CHECK_DATE.isoformat(), BOOKED[0].isoformat(), today}
    keys = [r.run_key for r in requests]
    assert len(keys) == len(set(keys))
    assert all(r.tags["hl_d365/file_sha256"][:16] in r.run_key for r in requests)
    landed = [r for r in requests if r.run_key.startswith("payroll:")]
    assert {r.run_key for r in landed} == {
        f"payroll:{r.tags['hl_d365/file_sha256']}:{r.partition_key}" for r in landed
    }
    # The bank statement lands each line under its own booking date.
    assert {r.partition_key for r in landed} >= {d.isoformat() for d in BOOKED}
    assert intake.run.success


def test_the_register_loads_into_raw_with_exact_amounts(intake) -> None:
    rows = query(
        intake.settings,
        "SELECT employee_number, item_class, item_code, amount, hours, check_type, file_row "
        "FROM raw.payroll_register WHERE file_name = 'weekly_20261120.csv' ORDER BY file_row",
    )
    assert rows == [
        ("E10001", "EARNING", "01", Decimal("1234.56"), Decimal("40.0000"), "regular", 1),
        ("E10001", "EE_TAX", "FIT", Decimal("123.45"), None, "regular", 2),
        ("E10001", "NET_PAY", "DD", Decimal("1111.11"), None, "regular", 3),
        (None, "RUN_TOTAL", "GROSS", Decimal("1234.56"), None, "regular", 4),
    ]


def test_the_bank_statement_keeps_only_the_account_s_last_four_digits(intake) -> None:
    rows = query(
        intake.settings,
        "SELECT business_date, account_last4, amount, bank_reference "
        "FROM raw.bank_statement_lines ORDER BY business_date",
    )
    assert rows == [
        (BOOKED[0], "6789", Decimal("-1111.11"), "PAYROLL 20261120-20261120 NET"),
        (BOOKED[1], "6789", Decimal("-246.90"), "PAYROLL 20261120-20261120 TAX"),
    ]
    texts = [
        line
        for day in BOOKED
        for segment in intake.zone.segments("bank", "statement_lines", day)
        for line in segment.read_text().splitlines()
    ]
    assert texts and not any("000123456789" in line for line in texts)


def test_a_redropped_identical_file_is_counted_not_loaded_again(intake) -> None:
    import hashlib

    sha = hashlib.sha256(intake.register).hexdigest()
    duplicates = [r for r in intake.second.run_requests if r.tags["hl_d365/file_sha256"] == sha]
    # Only the day of receipt runs (to count it), never the check date again.
    assert {r.partition_key for r in duplicates} == {
        merchant_today(intake.settings.merchant_timezone).isoformat()
    }
    assert len(list((intake.archive / "payroll_register" / "duplicates" / sha).iterdir())) == 1
    (loaded,) = query(
        intake.settings,
        "SELECT count(*) FROM raw.payroll_register WHERE file_sha256 = ?",
        [sha],
    )[0]
    assert loaded == len(LINES)
    files = query(
        intake.settings,
        "SELECT file_name, status, data_rows FROM ops.payroll_files WHERE file_sha256 = ? "
        "ORDER BY received_at",
        [sha],
    )
    assert files == [
        ("weekly_20261120.csv", "landed", len(LINES)),
        ("weekly_20261120 (1).csv", "duplicate", 0),
    ]


def test_a_corrected_file_for_the_same_pay_run_lands_as_a_new_version(intake) -> None:
    versions = query(
        intake.settings,
        "SELECT file_name, count(*), count(DISTINCT payroll_run_id) FROM raw.payroll_register "
        "WHERE file_name LIKE 'weekly%' GROUP BY file_name ORDER BY file_name",
    )
    assert versions == [("weekly_20261120.csv", 4, 1), ("weekly_20261120_v2.csv", 4, 1)]
    (run_ids,) = query(
        intake.settings,
        "SELECT count(DISTINCT payroll_run_id), count(DISTINCT file_sha256) "
        "FROM raw.payroll_register WHERE file_name LIKE 'weekly%'",
    )
    assert run_ids == (1, 2)


def test_missing_required_columns_quarantine_every_line_naming_them(intake) -> None:
    quarantined = query(
        intake.settings,
        "SELECT reason_code, reason_detail FROM ops.quarantine "
        "WHERE entity = 'register' AND reason_code = 'payroll_missing_columns'",
    )
    assert len(quarantined) == 2
    assert all("item_class, amount" in detail for _, detail in quarantined)
    files = query(
        intake.settings,
        "SELECT status, data_rows, missing_columns FROM ops.payroll_files "
        "WHERE file_name = 'no_amounts.csv'",
    )
    assert files == [("missing_columns", 2, ["item_class", "amount"])]


def test_unknown_columns_are_reported_per_file(intake) -> None:
    (unknown,) = query(
        intake.settings,
        "SELECT unknown_columns FROM ops.payroll_files WHERE file_name = 'weekly_20261120.csv'",
    )[0]
    assert unknown == ["Memo", "Cost Center"]


def test_a_file_that_is_no_csv_is_archived_and_counted_as_unreadable(intake) -> None:
    files = query(
        intake.settings,
        "SELECT status, data_rows, problem, archived_to FROM ops.payroll_files "
        "WHERE file_name = 'scan.csv'",
    )
    [(status, rows, problem, archived_to)] = files
    assert (status, rows) == ("unreadable", 0)
    assert problem == "the file is not UTF-8 text"
    assert Path(archived_to).is_file()


def test_every_landed_line_is_in_exactly_one_place(intake) -> None:
    checks = [
        e
        for e in intake.run.get_asset_check_evaluations()
        if e.check_name in ("conservation", "schema_contract")
    ]
    assert {e.asset_key.to_user_string() for e in checks} >= {
        "raw/payroll_register",
        "raw/bank_statement_lines",
    }
    assert all(e.passed for e in checks), [e for e in checks if not e.passed]
    [(landed_lines, placed)] = query(
        intake.settings,
        "SELECT sum(landed), sum(loaded + duplicates + quarantined) FROM ops.partition_loads "
        "WHERE source = 'heartland_payroll'",
    )
    assert landed_lines == placed == 4 + 2 + 4


def test_a_memory_inbox_works_like_a_folder(tmp_path, instance) -> None:
    """Any fsspec location: here fsspec's in-memory file system stands for s3:// or sftp://."""
    settings = make_settings(tmp_path / "data")
    memory = fsspec.filesystem("memory")
    data = register_csv(LINES, CHECK_DATE)
    memory.pipe("/hl_payroll_test/inbox/payroll_register/run.csv", data)
    try:
        result = tick(
            instance, settings, "memory://hl_payroll_test/inbox", "memory://hl_payroll_test/archive"
        )
        assert CHECK_DATE.isoformat() in {r.partition_key for r in result.run_requests}
        assert memory.glob("/hl_payroll_test/inbox/payroll_register/*.csv") == []
        [archived] = memory.glob("/hl_payroll_test/archive/payroll_register/*/run.csv")
        assert memory.cat_file(archived) == data
        assert (
            len(
                landed(
                    LandingZone(settings.landing_dir), "heartland_payroll", "register", CHECK_DATE
                )
            )
            == 4
        )

        memory.pipe("/hl_payroll_test/inbox/payroll_register/again.csv", data)
        again = tick(
            instance, settings, "memory://hl_payroll_test/inbox", "memory://hl_payroll_test/archive"
        )
        assert {r.tags["hl_d365/file_status"] for r in again.run_requests} == {"duplicate"}
        assert (
            len(
                landed(
                    LandingZone(settings.landing_dir), "heartland_payroll", "register", CHECK_DATE
                )
            )
            == 4
        )
    finally:
        memory.rm("/hl_payroll_test", recursive=True)


def test_a_run_waits_in_the_cursor_until_its_check_date_is_a_partition(tmp_path, instance) -> None:
    """Registers are processed days ahead of their check date; partitions end tomorrow."""
    settings = make_settings(tmp_path / "data")
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    ahead = date(2099, 1, 2)
    drop(inbox, "payroll_register", "ahead.csv", register_csv(LINES, ahead))
    result = tick(instance, settings, str(inbox), str(archive))
    assert ahead.isoformat() not in {r.partition_key for r in result.run_requests}
    waiting = json.loads(result.cursor)["waiting"]
    assert [run["day"] for run in waiting.values()] == [ahead.isoformat()]


def test_bad_amounts_dates_and_codes_are_quarantined_with_their_reason(tmp_path, instance) -> None:
    settings = make_settings(tmp_path / "data")
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    bad = [
        PayLine("E10002", "EARNING", "01", "12.345"),
        PayLine("E10002", "EARNING", "01", "twelve"),
        PayLine("E10002", "BONUS", "01", "1.00"),
        PayLine("E10002", "EARNING", "01", "1.00", check_type="Reversal"),
        PayLine("E10002", "EARNING", "01", "-5.00"),
        PayLine("E10002", "EARNING", "01", "1.00", extra={"Period End": "31/31/2026"}),
        PayLine("E10002", "EARNING", "01", "1,00.00"),
        PayLine("E10002", "EARNING", "01", "$2,500.00"),
    ]
    drop(inbox, "payroll_register", "bad.csv", register_csv(bad, CHECK_DATE))
    tick(instance, settings, str(inbox), str(archive))
    result = run_payroll(settings, instance, CHECK_DATE.isoformat(), raise_on_error=False)
    # Seven bad lines in eight: the day's quarantine share fails and blocks what follows.
    failed = {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}
    assert failed == {"quarantine_share"}
    reasons = query(
        settings,
        "SELECT line_number, reason_code FROM ops.quarantine WHERE entity = 'register' "
        "ORDER BY line_number",
    )
    assert [r for _, r in reasons] == [
        "excess_precision",
        "invalid_amount",
        "unknown_item_class",
        "unknown_check_type",
        "negative_amount",
        "invalid_date",
        "invalid_amount",
    ]
    assert query(settings, "SELECT amount FROM raw.payroll_register") == [(Decimal("2500.00"),)]


def test_the_shipped_mapping_reads_the_sandbox_headers_case_insensitively() -> None:
    mapping = ColumnMapping.from_file(
        PROJECT_ROOT / "mappings" / "payroll_register_columns.csv",
        SANDBOX_FINGERPRINT_KEY.encode(),
    )
    data = register_csv(LINES[:1], CHECK_DATE).replace(b"Check Date", b"CHECK  DATE")
    read = read_export(data, mapping)
    assert read.missing_columns == ()
    assert read.rows[0].values["check_date"] == "2026-11-20"
    assert read.unmapped_headers == ("Memo",)


def test_a_tick_over_an_empty_inbox_requests_nothing(intake, instance) -> None:
    again = tick(
        instance, intake.settings, str(intake.inbox), str(intake.archive), intake.second.cursor
    )
    assert not again.run_requests
    assert again.skip_reason is not None
    assert "no new payroll files" in str(again.skip_reason)
