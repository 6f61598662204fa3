"""Nothing stranded, nothing misattributed: input that the happy path never sees still ends
somewhere a person can find it.

- An event whose business day no partition will ever load (before HL_D365_FIRST_BUSINESS_DAY, far
  in the future) or whose timestamp is absurd is landed under the receipt day and quarantined
  there with its reason, never a 500 and never a folder no run reads.
- A record naming a store that is not ours is attributed to no store (``unknown_store``), never
  to another store of the same merchant.
- A request whose body never arrives in full is cut off after the read timeout, on the real
  server, which goes on serving others.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from hl_d365_assets.landing import LandingWriter, LandingZone
from hl_d365_assets.raw_loader import load_entity
from hl_d365_assets.ref_tables import load_mappings
from hl_d365_assets.sandbox import DefectRates, SandboxConfig, generate
from hl_d365_assets.settings import PROJECT_ROOT, Settings
from hl_d365_assets.warehouse import run_script, sql_file

DAY = date(2026, 11, 19)
S001_MERCHANT = "MER_7e9a1c4b2d8f4e6a9b3c5d7e1f2a4b6c"
S002_MERCHANT = "MER_1b3d5f7a9c2e4a6b8d0f1e3c5a7b9d2f"


@pytest.fixture
def clean_day(zone: LandingZone) -> dict[str, dict]:
    """One small clean sandbox day of store S001; a sample envelope of each gateway entity."""
    generate(
        zone,
        [DAY],
        SandboxConfig(
            seed=5, store_count=1, transactions_per_store_day=5, defect_rates=DefectRates.none()
        ),
    )
    return {
        entity: json.loads(zone.segments("heartland", entity, DAY)[0].read_text().splitlines()[0])
        for entity in ("payment_transactions", "settlement_batches")
    }


@pytest.fixture
def conn(settings: Settings):
    from hl_d365_assets.warehouse import ensure_schema

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(settings.warehouse_path))
    ensure_schema(connection)
    yield connection
    connection.close()


@pytest.fixture
def mappings_with_a_second_s001_store(tmp_path: Path) -> Path:
    """Our mappings plus S006, a second store trading under S001's merchant id."""
    directory = tmp_path / "mappings"
    shutil.copytree(PROJECT_ROOT / "mappings", directory)
    with (directory / "stores.csv").open("a", encoding="utf-8") as stores:
        stores.write(
            f"S006,{S001_MERCHANT},Brooklyn Pop-up,usrt,USD,America/New_York,NY-STD,RETAIL,"
            "2020-01-01\n"
        )
    return directory


def _land(zone: LandingZone, entity: str, envelopes: list[dict]) -> None:
    with LandingWriter(zone, "test") as writer:
        writer.append_lines(
            "heartland", entity, DAY, [json.dumps(e, separators=(",", ":")) for e in envelopes]
        )


def _variant(sample: dict, event_id: str, record_id: str, **payload_changes) -> dict:
    return {
        **sample,
        "event_id": event_id,
        "payload": {**sample["payload"], "id": record_id, **payload_changes},
    }


def _build_canonical(conn, zone: LandingZone, mappings: Path, entity: str, table: str) -> None:
    load_entity(conn, entity, zone.segments("heartland", entity, DAY), [DAY])
    load_mappings(conn, mappings)
    window = {"first": DAY, "last": DAY}
    run_script(conn, sql_file("canonical/delete_partition.sql", table=table), window)
    run_script(conn, sql_file(f"canonical/insert_{table}.sql"), window)


STORE_CASES = [
    # (id suffix, site_reference, merchant_id, store expected, start of the mapping issue)
    ("OURS", "S001", S001_MERCHANT, "S001", None),
    ("UNKNOWN_SITE", "S999", S001_MERCHANT, None, 'unknown_store: site_reference "S999"'),
    ("OTHER_MERCHANTS_SITE", "S002", S001_MERCHANT, None, 'unknown_store: site_reference "S002"'),
    ("SECOND_STORE", "S006", S001_MERCHANT, "S006", None),
    ("NO_SITE", "", S001_MERCHANT, None, f'unknown_store: merchant_id "{S001_MERCHANT}" has 2'),
    ("NO_SITE_ONE_STORE", "", S002_MERCHANT, "S002", None),
    ("UNKNOWN_MERCHANT", "S001", "MER_0000", None, 'unknown_store: merchant_id "MER_0000"'),
]


@pytest.mark.parametrize(
    ("entity", "table", "key"),
    [
        ("payment_transactions", "payments", "transaction_id"),
        ("settlement_batches", "settlement_batches", "batch_id"),
    ],
)
def test_a_store_that_is_not_ours_is_attributed_to_no_store_and_named(
    conn, zone, clean_day, mappings_with_a_second_s001_store, entity, table, key
) -> None:
    """Before: the store came from the merchant id alone, so S999 (or S002's site) under S001's
    merchant id booked into S001, and a merchant with two stores doubled every row."""
    sample = clean_day[entity]
    prefix = "TRN_" if entity == "payment_transactions" else "BAT_"
    _land(
        zone,
        entity,
        [
            _variant(
                sample,
                f"EVT_STORE_{suffix}",
                f"{prefix}STORE_{suffix}",
                site_reference=site,
                merchant_id=merchant,
            )
            for suffix, site, merchant, _, _ in STORE_CASES
        ],
    )

    _build_canonical(conn, zone, mappings_with_a_second_s001_store, entity, table)

    rows = conn.execute(
        f"SELECT {key}, store_id, mapping_issue FROM canonical.{table} "
        f"WHERE {key} LIKE '{prefix}STORE_%'"
    ).fetchall()
    assert len(rows) == len(STORE_CASES), "one canonical row per record, never one per store"
    found = {record: (store, issue) for record, store, issue in rows}
    for suffix, _, _, store, issue in STORE_CASES:
        got_store, got_issue = found[f"{prefix}STORE_{suffix}"]
        assert got_store == store, suffix
        if issue is None:
            assert got_issue is None or "unknown_store" not in got_issue, (suffix, got_issue)
        else:
            assert got_issue is not None and got_issue.startswith(issue), (suffix, got_issue)
