"""No silent success: a raw day whose records are (almost) all quarantined fails visibly and
blocks what is built from it; a day with a few defects passes or warns; a day with no events
from a source that normally has them warns with the volume recent days had; the API pull says
what it asked for and what came back.

Real components: sandbox days landed through the landing writer, the real daily and backfill
jobs on a real Dagster instance, the Heartland simulator on loopback, the warehouse the runs
write.
"""

from __future__ import annotations

import json
import re
from datetime import date

import dagster as dg
import duckdb
import pytest

from hl_d365_assets.defs.resources import build_resources
from hl_d365_assets.heartland.client import HeartlandClient
from hl_d365_assets.landing import LandingWriter, LandingZone
from hl_d365_assets.sandbox import DefectRates, SandboxConfig, generate
from hl_d365_assets.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from hl_d365_assets.sandbox.heartland_simulator import HeartlandSimulator, serve
from hl_d365_assets.sandbox.retail_landing import land_retail_store
from hl_d365_assets.settings import LOAD_HEALTH_DEFAULTS, Settings, SettingsError, load_settings

from .conftest import generate_days, rematerialise, run_day

# A sandbox day run per test, over a minute in five tests: started first under xdist (conftest.py).
pytestmark = pytest.mark.schedule_first

DAY = date(2026, 11, 19)
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
PAYMENTS = dg.AssetKey(["raw", "payment_transactions"])


def evaluation(result: dg.ExecuteInProcessResult, asset: dg.AssetKey, check: str):
    (found,) = [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key == asset and e.check_name == check
    ]
    return found


def materialised(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    return {event.asset_key for event in result.get_asset_materialization_events()}


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def land_without(holds: LandingZone, zone: LandingZone, day: date, entity: str, field: str) -> int:
    """Land the held day as a sender would, with ``field`` missing from every ``entity``
    payload: the shape a generator we did not write might send. Returns the lines landed."""
    wrong = 0
    with LandingWriter(zone, "test") as writer:
        for held_entity in ("payment_transactions", "settlement_batches"):
            lines = [
                line
                for segment in holds.segments("heartland", held_entity, day)
                for line in segment.read_text().splitlines()
            ]
            if held_entity == entity:
                events = [json.loads(line) for line in lines]
                for event in events:
                    event["payload"].pop(field)
                lines = [json.dumps(event, separators=(",", ":")) for event in events]
                wrong = len(lines)
            writer.append_lines("heartland", held_entity, day, lines)
    return wrong


def test_a_day_whose_payload_shape_is_wrong_for_every_row_fails_and_blocks_the_ledger(
    settings: Settings, tmp_path
) -> None:
    holds = LandingZone(tmp_path / "holds")
    report = generate(
        holds,
        [DAY],
        SandboxConfig(
            seed=51, store_count=2, transactions_per_store_day=30, defect_rates=DefectRates.none()
        ),
    )
    # The POS tickets as the Heartland Retail pull lands them, untouched.
    land_retail_store(
        LandingZone(settings.landing_dir),
        report.retail_store_dir,
        mappings_dir=settings.mappings_dir,
        merchant_timezone=settings.merchant_timezone,
        snapshot_day=DAY,
    )
    wrong = land_without(
        holds, LandingZone(settings.landing_dir), DAY, "payment_transactions", "merchant_id"
    )

    with dg.DagsterInstance.ephemeral() as instance:
        result = run_day(settings, instance, DAY, raise_on_error=False, run_config=QUIET)

    assert not result.success
    share = evaluation(result, PAYMENTS, "quarantine_share")
    assert not share.passed and share.severity == dg.AssetCheckSeverity.ERROR
    metadata = {key: value.value for key, value in share.metadata.items()}
    assert metadata["quarantine_share"] == 1.0
    assert metadata["loaded"] == 0 and metadata["quarantined"] == wrong
    assert metadata["failing_days"] == [str(DAY)]
    assert metadata["top_reasons"] == {str(DAY): {"schema_violation": wrong}}
    assert "payload.merchant_id is missing" in metadata["by_day"]
    assert "schema_violation" in share.description
    # Conservation holds, which is why the day used to look green.
    assert evaluation(result, PAYMENTS, "conservation").passed

    built = materialised(result)
    assert PAYMENTS in built and dg.AssetKey(["raw", "retail_tickets"]) in built
    assert dg.AssetKey(["canonical", "payments"]) not in built
    assert dg.AssetKey(["gl", "journal_lines"]) not in built
    # The stock comparison reads no payment: it still runs; every money reconciliation waits.
    assert not any(key.path[0] == "recon" and key.path[1] != "inventory" for key in built)

    [(severity, kind, message)] = query(
        settings, "SELECT severity, kind, message FROM ops.alerts WHERE kind LIKE 'load_%'"
    )
    assert (severity, kind) == ("high", "load_quarantine_share")
    assert f"{wrong} of {wrong} heartland payment_transactions record(s) of {DAY}" in message
    assert f"schema_violation {wrong}" in message


def test_a_day_with_a_few_defects_passes_under_the_defaults_and_warns_under_a_tighter_override(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate_days(
        settings,
        [DAY],
        SandboxConfig(seed=52, transactions_per_store_day=150),
        ground_truth_path=settings.data_dir / "truth.ndjson",
    )
    # Tighter for the gateway only: its few injected defects now warn; the POS keeps the defaults.
    monkeypatch.setenv("HL_D365_QUARANTINE_WARN_SHARE_HEARTLAND_PAYMENT_TRANSACTIONS", "0.001")

    # The two raw streams whose checks decide it, and the canonical table the day goes on to, as
    # "materialize selected" in the daily job: the rest of the day reads no quarantine share.
    day_goes_on = dg.AssetSelection.assets(
        PAYMENTS, dg.AssetKey(["raw", "retail_tickets"]), dg.AssetKey(["canonical", "payments"])
    )
    with dg.DagsterInstance.ephemeral() as instance:
        result = rematerialise(
            settings, instance, [DAY], day_goes_on, raise_on_error=False, run_config=QUIET
        )

    assert result.success
    payments = evaluation(result, PAYMENTS, "quarantine_share")
    assert not payments.passed and payments.severity == dg.AssetCheckSeverity.WARN
    share = payments.metadata["quarantine_share"].value
    assert 0.001 < share < LOAD_HEALTH_DEFAULTS["HL_D365_QUARANTINE_WARN_SHARE"]
    assert payments.metadata["warning_days"].value == [str(DAY)]
    assert payments.metadata["failing_days"].value == []
    pos = evaluation(result, dg.AssetKey(["raw", "retail_tickets"]), "quarantine_share")
    assert pos.passed and pos.metadata["quarantined"].value > 0
    assert dg.AssetKey(["canonical", "payments"]) in materialised(result)
    assert query(settings, "SELECT count(*) FROM ops.alerts WHERE kind LIKE 'load_%'") == [(0,)]


def test_a_backfill_of_a_day_the_api_does_not_hold_warns_with_the_expected_volume(
    settings: Settings, tmp_path
) -> None:
    held = [date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19)]
    silent = date(2026, 11, 21)  # two days after: none of its API window is held either
    holds = LandingZone(tmp_path / "holds")
    generate(
        holds,
        held,
        SandboxConfig(
            seed=53, store_count=2, transactions_per_store_day=30, defect_rates=DefectRates.none()
        ),
    )
    days = [*held, date(2026, 11, 20), silent]
    with (
        serve(HeartlandSimulator(holds.root)) as server,
        dg.DagsterInstance.ephemeral() as instance,
    ):
        from hl_d365_assets.definitions import defs

        result = defs.resolve_job_def("heartland_backfill_job").execute_in_process(
            instance=instance,
            resources={
                **build_resources(settings),
                "heartland": HeartlandClient(
                    base_url=server.base_url, app_id=SANDBOX_APP_ID, app_key=SANDBOX_APP_KEY
                ),
            },
            tags={
                "dagster/asset_partition_range_start": str(days[0]),
                "dagster/asset_partition_range_end": str(days[-1]),
            },
            run_config=QUIET,
        )

    assert result.success
    # One materialisation per partition of the range, each carrying the pull's metadata.
    pulled, *_ = [
        m
        for m in result.asset_materializations_for_node("heartland_api_pull")
        if m.asset_key == dg.AssetKey(["landing", "heartland", "payment_transactions"])
    ]
    pull = {key: value.value for key, value in pulled.metadata.items()}
    assert pull["requested_business_days"] == f"{days[0]}..{days[-1]}"
    assert (
        pull["api_request"] == "GET /transactions time_created 2026-11-15..2026-11-22 (UTC dates)"
    )
    assert pull["days_without_events"] == ["2026-11-20", str(silent)]
    assert pull["events_by_day"][str(silent)] == 0
    assert pull["events_by_day"][str(held[0])] > 0
    assert pull["api_rows_received"] == pull["events_landed"] + pull["outside_requested_days"]

    volume = evaluation(result, PAYMENTS, "volume_vs_recent_days")
    assert not volume.passed and volume.severity == dg.AssetCheckSeverity.WARN
    loaded = dict(
        query(
            settings,
            "SELECT business_date, count(*) FROM raw.payment_transactions GROUP BY 1",
        )
    )
    expected = sorted(loaded.values())[len(loaded) // 2 - 1]  # median of 4: the lower middle
    assert volume.metadata["low_volume_days"].value == ["2026-11-20", str(silent)]
    assert volume.metadata["zero_event_days"].value == ["2026-11-20", str(silent)]
    assert volume.metadata["expected_loaded_by_day"].value[str(silent)] == expected
    assert f"{silent} loaded 0, expected ~{expected}" in volume.description
    # An empty day has nothing quarantined: the share check has nothing to say about it.
    assert evaluation(result, PAYMENTS, "quarantine_share").passed


def test_a_day_like_its_neighbours_passes_the_volume_check(settings: Settings) -> None:
    days = [date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19)]
    generate_days(
        settings,
        days,
        SandboxConfig(
            seed=54, store_count=2, transactions_per_store_day=30, defect_rates=DefectRates.none()
        ),
    )
    # The check reads only raw.payment_transactions' loaded days (raw/checks.py, measure_days):
    # the gateway's raw asset with its checks over the four days, as a user's "materialize
    # selected" of it, is the run that decides it; the rest of the daily job adds nothing it reads.
    with dg.DagsterInstance.ephemeral() as instance:
        result = rematerialise(
            settings, instance, days, dg.AssetSelection.assets(PAYMENTS), run_config=QUIET
        )
    volume = evaluation(result, PAYMENTS, "volume_vs_recent_days")
    assert volume.passed
    assert all(v is not None for v in volume.metadata["expected_loaded_by_day"].value.values())


def test_thresholds_take_the_most_specific_override_and_refuse_nonsense() -> None:
    env = {
        "HL_D365_QUARANTINE_FAIL_SHARE": "0.3",
        "HL_D365_QUARANTINE_FAIL_SHARE_HEARTLAND": "0.4",
        "HL_D365_QUARANTINE_FAIL_SHARE_HEARTLAND_RETAIL_TICKETS": "0.6",
        "HL_D365_VOLUME_BASELINE_DAYS": "14",
    }
    settings = load_settings(env)
    assert settings.load_health("heartland_retail", "tickets").quarantine_fail_share == 0.6
    assert settings.load_health("heartland", "settlement_batches").quarantine_fail_share == 0.4
    # heartland_retail is its own source: the heartland override does not reach it.
    assert settings.load_health("heartland_retail", "items").quarantine_fail_share == 0.3
    assert settings.load_health("other", "payment_transactions").quarantine_fail_share == 0.3
    defaults = load_settings({}).load_health("heartland_retail", "tickets")
    assert defaults.quarantine_warn_share == LOAD_HEALTH_DEFAULTS["HL_D365_QUARANTINE_WARN_SHARE"]
    assert settings.load_health("heartland_retail", "tickets").volume_baseline_days == 14

    with pytest.raises(
        SettingsError, match=re.escape("HL_D365_QUARANTINE_FAIL_SHARE='1.5' is not a share")
    ):
        load_settings({"HL_D365_QUARANTINE_FAIL_SHARE": "1.5"})
    with pytest.raises(SettingsError, match="HL_D365_VOLUME_BASELINE_DAYS='two' is not a whole"):
        load_settings({"HL_D365_VOLUME_BASELINE_DAYS": "two"})
    tangled = load_settings(
        {"HL_D365_QUARANTINE_WARN_SHARE": "0.5", "HL_D365_QUARANTINE_FAIL_SHARE": "0.2"}
    )
    with pytest.raises(
        SettingsError, match=re.escape("warn share 0.5 is above its fail share 0.2")
    ):
        tangled.load_health("heartland_retail", "tickets")
