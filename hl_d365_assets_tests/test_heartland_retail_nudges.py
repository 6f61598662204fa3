"""Heartland Retail item/customer webhooks are nudges: nothing of the body is landed or trusted,
a flood is coalesced, and the sensor turns a nudge into one pull of the items or customers.

The receiver's ASGI app runs in process over a real landing zone; the sensor is evaluated against
a real Dagster instance.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import httpx
import pytest

from hl_d365_assets.sandbox.credentials import SANDBOX_APP_KEY
from hl_d365_assets.settings import Settings
from hl_d365_assets.webhook import ReceiverConfig, create_app
from hl_d365_assets.webhook.config import REFUSALS_ENTITY
from hl_d365_assets.webhook.retail_nudges import (
    NUDGES_FILE,
    RETAIL_WEBHOOK_PATH,
    NudgeBoard,
    read_board,
)

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def config(settings: Settings) -> ReceiverConfig:
    return ReceiverConfig.from_settings(
        settings, SANDBOX_APP_KEY, max_segment_age_seconds=60, clock=lambda: NOW
    )


async def post_all(config: ReceiverConfig, *bodies: object) -> list[httpx.Response]:
    app = create_app(config)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
            return [
                await client.post(
                    RETAIL_WEBHOOK_PATH,
                    content=body if isinstance(body, bytes) else json.dumps(body).encode(),
                    headers={"content-type": "application/json"},
                )
                for body in bodies
            ]


def landed_files(config: ReceiverConfig) -> list[Path]:
    root = config.landing_dir
    return sorted(root.rglob("*.ndjson")) if root.exists() else []


@pytest.mark.anyio
async def test_an_item_event_is_a_nudge_answered_202_and_nothing_of_it_is_landed(
    config: ReceiverConfig,
) -> None:
    body = {"event": "item_updated", "item": {"id": 7, "price": 999999.99, "description": "x"}}
    (answer,) = await post_all(config, body)
    assert answer.status_code == 202
    assert answer.json() == {"status": "nudged", "event": "item_updated", "pull": "items"}
    assert landed_files(config) == []
    assert read_board(config.state_dir / NUDGES_FILE) == {"items": NOW_MS}


@pytest.mark.anyio
async def test_customer_events_nudge_the_customer_pull_whatever_field_names_them(
    config: ReceiverConfig,
) -> None:
    answers = await post_all(config, {"type": "customer_created"}, {"event_type": "item_created"})
    assert [a.status_code for a in answers] == [202, 202]
    assert read_board(config.state_dir / NUDGES_FILE) == {"customers": NOW_MS, "items": NOW_MS}


@pytest.mark.anyio
@pytest.mark.parametrize("event", ["ticket_completed", "inventory_updated", "order_created"])
async def test_events_retail_does_not_offer_are_refused_naming_the_event(
    config: ReceiverConfig, event: str
) -> None:
    (answer,) = await post_all(config, {"event": event, "id": 1})
    assert answer.status_code == 400
    assert answer.json()["reason"] == "unsupported_event"
    assert answer.json()["event"] == event
    assert event in answer.json()["detail"]
    assert not (config.state_dir / NUDGES_FILE).exists()
    # Counted like every refusal, by status and reason only.
    assert [p.parts[-3] for p in landed_files(config)] == [REFUSALS_ENTITY]


@pytest.mark.anyio
async def test_a_card_number_sent_as_the_event_name_is_never_echoed(
    config: ReceiverConfig,
) -> None:
    (answer,) = await post_all(config, {"event": "4111 1111 1111 1111"})
    assert answer.status_code == 400
    assert "4111 1111 1111 1111" not in answer.text
    assert "1111111111111111" not in answer.text.replace(" ", "")


@pytest.mark.anyio
async def test_a_body_that_is_not_json_or_names_no_event_is_refused(
    config: ReceiverConfig,
) -> None:
    answers = await post_all(config, b"item_updated", {"id": 3}, [1, 2])
    assert [(a.status_code, a.json()["reason"]) for a in answers] == [
        (400, "not_json"),
        (400, "bad_shape"),
        (400, "not_an_object"),
    ]


def test_a_flood_of_nudges_rewrites_the_board_once_and_the_last_one_still_reaches_it(
    tmp_path: Path,
) -> None:
    stamps = iter(range(1000, 1100))
    board = NudgeBoard(tmp_path / NUDGES_FILE, clock_ms=lambda: next(stamps), min_write_seconds=60)
    for _ in range(100):
        board.record("items")
    assert board.writes == 1
    assert read_board(tmp_path / NUDGES_FILE) == {"items": 1000}
    board.close()  # the receiver's stop, or the timer, writes the burst's newest nudge
    assert board.writes == 2
    assert read_board(tmp_path / NUDGES_FILE) == {"items": 1099}


# -- the sensor and the schedules ------------------------------------------------------------


def evaluate_nudge_sensor(instance: dg.DagsterInstance, cursor: str | None):
    from hl_d365_assets.defs.landing.sensors import heartland_retail_nudge_sensor

    context = dg.build_sensor_context(instance=instance, cursor=cursor)
    return heartland_retail_nudge_sensor(context)


@pytest.fixture
def board(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> NudgeBoard:
    monkeypatch.setenv("HL_D365_DATA_DIR", str(settings.data_dir))
    stamps = iter(range(NOW_MS, NOW_MS + 1000))
    return NudgeBoard(
        settings.data_dir / "webhook" / NUDGES_FILE,
        clock_ms=lambda: next(stamps),
        min_write_seconds=0,
    )


def test_the_sensor_turns_new_nudges_into_one_pull_of_exactly_those_entities(
    board: NudgeBoard,
) -> None:
    from hl_d365_assets.defs.landing.assets import RETAIL_KEYS

    with dg.DagsterInstance.ephemeral() as instance:
        assert isinstance(evaluate_nudge_sensor(instance, None), dg.SkipReason)
        board.record("customers")
        board.record("customers")
        result = evaluate_nudge_sensor(instance, None)
        (request,) = result.run_requests
        assert request.asset_selection == [RETAIL_KEYS["customers"]]
        again = evaluate_nudge_sensor(instance, result.cursor)
        assert isinstance(again, dg.SkipReason)  # nothing new since
        board.record("items")
        (request,) = evaluate_nudge_sensor(instance, result.cursor).run_requests
        assert request.asset_selection == [RETAIL_KEYS["items"]]


def test_a_nudge_while_a_retail_pull_runs_waits_for_it_to_end(board: NudgeBoard) -> None:
    from hl_d365_assets.defs.landing.jobs import heartland_retail_pull_job

    with dg.DagsterInstance.ephemeral() as instance:
        board.record("items")
        running = dg.DagsterRun(
            job_name=heartland_retail_pull_job.name, status=dg.DagsterRunStatus.STARTED
        )
        instance.add_run(running)
        skipped = evaluate_nudge_sensor(instance, None)
        assert isinstance(skipped, dg.SkipReason) and "still running" in skipped.skip_message
        instance.report_run_canceled(running)
        (request,) = evaluate_nudge_sensor(instance, None).run_requests
        assert request.tags["hl_d365/trigger"] == "retail_nudge_sensor"


def test_tickets_are_pulled_every_5_minutes_while_trading_and_everything_at_the_close() -> None:
    from hl_d365_assets.definitions import defs
    from hl_d365_assets.defs.landing.assets import RETAIL_KEYS, TICKETS_KEY

    trading = defs.resolve_schedule_def("heartland_retail_trading_pull")
    assert trading.cron_schedule == "*/5 7-23 * * *"
    assert trading.execution_timezone == "America/New_York"
    # A schedule context opens its own instance from the reference it is given, and only
    # closing the context closes that instance: each is used as a context manager.
    with (
        dg.instance_for_test() as instance,
        dg.build_schedule_context(instance=instance) as context,
    ):
        (request,) = trading.evaluate_tick(context).run_requests
    assert request.asset_selection == [TICKETS_KEY]
    closing = defs.resolve_schedule_def("heartland_retail_closing_pull")
    with (
        dg.instance_for_test() as instance,
        dg.build_schedule_context(
            instance=instance, scheduled_execution_time=datetime(2026, 11, 21, 7, 15, tzinfo=UTC)
        ) as context,
    ):
        (request,) = closing.evaluate_tick(context).run_requests
    assert request.asset_selection is None  # the whole job: every entity
    assert request.run_key == "heartland_retail_closing_pull:2026-11-20"
    # Re-reads the last hour of edits; reference data dated by the pull's own day (no override).
    assert request.run_config["ops"]["heartland_retail_pull"]["config"] == {
        "edit_overlap_minutes": 60,
        "snapshot_date": "",
    }
    job = defs.resolve_job_def("heartland_retail_pull_job")
    assert set(job.asset_layer.executable_asset_keys) == set(RETAIL_KEYS.values())
