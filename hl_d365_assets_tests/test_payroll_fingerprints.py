"""Bank-account fingerprints (docs/payroll-intake.md, "Bank-account fingerprints"): a register's
direct-deposit account lands only as a keyed hash, equal for equal accounts, and the number
itself reaches no landed line, table or quarantine."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from hl_d365_assets.payroll_columns import ColumnMapping, fingerprint, read_export
from hl_d365_assets.settings import (
    FINGERPRINT_KEY_ENV,
    PRODUCTION_REQUIRED,
    PROJECT_ROOT,
    SANDBOX_FINGERPRINT_KEY,
    SettingsError,
    fingerprint_key,
    load_settings,
)
from hl_d365_assets_tests.conftest import make_settings
from hl_d365_assets_tests.payroll_files import (
    PayLine,
    drop,
    query,
    register_csv,
    run_requested,
    tick,
    warehouse_text,
)

CHECK_DATE = date(2026, 11, 20)
SHARED, OWN = "000123456789", "987654321000"
HEADER = "Direct Deposit Account"
MAPPING = PROJECT_ROOT / "mappings" / "payroll_register_columns.csv"


def pay(employee: str, account: str) -> list[PayLine]:
    extra = {HEADER: account}
    return [
        PayLine(employee, "EARNING", "01", "800.00", hours="40.00", check=employee, extra=extra),
        PayLine(employee, "EE_TAX", "FIT", "80.00", check=employee, extra=extra),
        PayLine(employee, "NET_PAY", "NET", "720.00", check=employee, extra=extra),
    ]


LINES = pay("E10001", SHARED) + pay("E10002", "0001-2345-6789 ") + pay("E10003", OWN)


def test_a_fingerprint_is_fp_and_16_hex_keyed_and_blind_to_separators() -> None:
    key = SANDBOX_FINGERPRINT_KEY.encode()
    print_ = fingerprint(SHARED, key)
    assert re.fullmatch(r"fp[0-9a-f]{16}", print_)
    assert fingerprint("0001-2345 6789", key) == print_
    assert fingerprint("123456789", key) != print_, "leading zeros are part of the account"
    assert fingerprint(SHARED, b"another key") != print_
    assert fingerprint("n/a", key) == ""
    with pytest.raises(ValueError, match="needs the fingerprint key"):
        fingerprint(SHARED, None)


def test_a_mapping_that_fingerprints_is_not_read_without_the_key() -> None:
    with pytest.raises(ValueError, match="bank_account_fingerprint use the format fingerprint"):
        ColumnMapping.from_file(MAPPING)
    mapping = ColumnMapping.from_file(MAPPING, b"zz-secret-zz")
    assert "zz-secret-zz" not in repr(mapping), "the key is never printed"
    read = read_export(register_csv(LINES, CHECK_DATE, extra_headers=(HEADER,)), mapping)
    assert read.unmapped_headers == ("Memo",)
    values = [row.values["bank_account_fingerprint"] for row in read.rows]
    assert values[0] == values[3] == fingerprint(SHARED, b"zz-secret-zz") != values[6]
    assert SHARED not in str(read) and OWN not in str(read)


def test_production_refuses_to_start_without_the_key_when_a_mapping_fingerprints(
    tmp_path: Path,
) -> None:
    production = {name: "set" for name in PRODUCTION_REQUIRED} | {
        "HL_D365_MODE": "production",
        "HL_D365_TIMEZONE": "America/Chicago",
        "HL_D365_DATA_DIR": str(tmp_path),
    }
    with pytest.raises(SettingsError, match=f"  {FINGERPRINT_KEY_ENV}: the key of bank-account"):
        load_settings(production).require_complete()
    settings = load_settings({**production, FINGERPRINT_KEY_ENV: "a production key"})
    assert settings.require_complete() is settings
    assert fingerprint_key(settings, {FINGERPRINT_KEY_ENV: "a production key"}) == (
        b"a production key"
    )
    # A customer whose mappings fingerprint nothing does not need it.
    own = tmp_path / "mappings"
    own.mkdir()
    (own / "payroll_register_columns.csv").write_text(
        "\n".join(MAPPING.read_text().splitlines()[:-1]) + "\n"
    )
    assert load_settings({**production, "HL_D365_MAPPINGS_DIR": str(own)}).missing == ()


def test_the_sandbox_uses_its_published_key_whatever_the_environment() -> None:
    settings = load_settings({FINGERPRINT_KEY_ENV: "ignored in the sandbox"})
    assert fingerprint_key(settings) == SANDBOX_FINGERPRINT_KEY.encode()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    root = tmp_path_factory.mktemp("fingerprints")
    inbox, archive = root / "inbox", root / "archive"
    settings = dataclasses.replace(
        make_settings(root / "data"), payroll_inbox_url=str(inbox), payroll_archive_url=str(archive)
    )
    drop(
        inbox,
        "payroll_register",
        "weekly.csv",
        register_csv(LINES, CHECK_DATE, extra_headers=(HEADER,)),
    )
    with dg.DagsterInstance.ephemeral() as instance:
        first = tick(instance, settings, str(inbox), str(archive))
        run = run_requested(settings, instance, first.run_requests)
    assert run.success
    return settings


def test_the_register_lands_fingerprints_in_raw_and_canonical(loaded) -> None:
    expected = fingerprint(SHARED, SANDBOX_FINGERPRINT_KEY.encode())
    raw = dict(
        query(
            loaded,
            "SELECT DISTINCT employee_number, bank_account_fingerprint FROM raw.payroll_register "
            "WHERE item_class <> 'RUN_TOTAL'",
        )
    )
    assert raw["E10001"] == raw["E10002"] == expected != raw["E10003"]
    canonical = dict(
        query(
            loaded,
            "SELECT DISTINCT employee_number, bank_account_fingerprint FROM canonical.payroll_items",
        )
    )
    assert canonical == raw
    assert query(loaded, "SELECT count(*) FROM ops.quarantine") == [(0,)]


def test_the_account_number_is_nowhere_in_the_landing_zone_or_the_warehouse(loaded) -> None:
    text = warehouse_text(loaded)
    landed = "".join(p.read_text() for p in loaded.landing_dir.rglob("*.ndjson"))
    for number in (SHARED, OWN, "0001-2345-6789"):
        assert number not in text
        assert number not in landed
