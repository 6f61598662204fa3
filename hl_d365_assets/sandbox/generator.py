"""Seeded generator of Heartland-shaped days: gateway transactions, settlement batches, and the
Heartland Retail (POS) account that sold them.

Per store of mappings/stores.csv and business day (the store's local date; trading 08:00-21:00
local, so the day is never ambiguous):

- ``payment_transactions``: ``transactions_per_store_day`` gateway transactions: captured sales
  (some with tips, some split over two cards, some after a gift card or store credit), refunds of
  earlier sales, declines, authorisations left uncaptured or reversed, sales voided later. Voids
  and reversals are a second ``REVERSED`` event for the same id.
- ``settlement_batches``: one batch over the day's finally captured sales and refunds, with fees
  per brand (card_brands.py) and the deposit.
- the POS tickets those payments close (a card payment names the TRN id that took it), returns
  for refunds, voided tickets for voids, and cash tickets, as a Heartland Retail account serves
  them, with its catalogue, customers, locations, payment types and stock: written to the Retail
  simulator's store (retail_store.py), not landed. The Heartland Retail pull lands them from the
  simulator (``heartland_retail_pull_job``, or ``sandbox.retail_landing`` in tests).
- with ``order_payments``: card payments of D365 seed sales orders taken over the phone or the
  web, gateway transactions with no POS ticket whose ``reference`` is the order number
  (order_payments.py); they are settled in their store's batch.

A clean day holds ``ticket total = subtotal + tax_total = sum(payment amounts)``, ``card payment
amount + tip = transaction amount`` and ``batch figures = sums of its
captured transactions``; defects (defects.py) break these only where the ground truth says so.

The day is built set-based in DuckDB (day_build.py) and landed through LandingWriter
(delivery.py). Same seed, days and configuration land byte-identical lines, ``received_at``
included (it is derived from the data); only segment *names* carry the wall-clock write time.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox.day_build import build_day, open_world
from hl_d365_assets.sandbox.defects import (
    DEFECT_KINDS,
    EXPECTED_OUTCOMES,
    TICKET_OUTCOMES,
    DefectRates,
)
from hl_d365_assets.sandbox.delivery import ENTITIES, land_day
from hl_d365_assets.sandbox.order_payments import create_order_tables, load_seed_orders
from hl_d365_assets.sandbox.retail_store import (
    default_retail_store_dir,
    prepare_retail_world,
    write_retail_day,
)
from hl_d365_assets.sandbox.risk_patterns import RISK_PATTERNS, RiskPatternRates, risk_truth
from hl_d365_assets.sandbox.sql_files import sql_text
from hl_d365_assets.sandbox.stores import Store, load_stores

SANDBOX_DAY = date(2026, 11, 20)
"""The default business day of the demo and the tests (a Friday; the contract's example day)."""

DEMO_TRANSACTIONS_PER_STORE_DAY = 200
"""A demo day is every store x 200 gateway transactions: about 2,100 lines, under a second."""

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SandboxConfig:
    seed: int = 20261120
    store_count: int | None = None
    """Use the first N stores of mappings/stores.csv (by store id); None for all of them."""
    transactions_per_store_day: int = DEMO_TRANSACTIONS_PER_STORE_DAY
    """Gateway transactions (TRN ids) per store and day; voids and reversals add a second event."""
    defect_rates: DefectRates = field(default_factory=DefectRates)
    mappings_dir: Path | None = None
    """Defaults to ``settings.load_settings().mappings_dir``."""
    order_payments: bool = False
    """Also pay D365 seed sales orders by card, with no POS ticket (order_payments.py): about
    two a day, each order once every 20 days, on the first store of its currency."""
    card_numbers_everywhere: bool = False
    """Test-only: a test PAN in every string field of a share of the lines, and in one field of
    others (sandbox/sql/inject_card_numbers_everywhere.sql); not in the ground truth."""
    risk: RiskPatternRates | None = None
    """Inject labelled fraud and loss patterns (risk_patterns.py) and append their truth to
    ``risk_truth.ndjson`` beside the ground truth; None: clean days, no truth written."""

    def __post_init__(self) -> None:
        if self.transactions_per_store_day < 1:
            raise ValueError("transactions_per_store_day must be at least 1")
        if self.store_count is not None and self.store_count < 1:
            raise ValueError("store_count must be at least 1")

    def stores(self) -> tuple[list[Store], list[Store]]:
        """(every store of the mappings, the first ``store_count`` of them that trade)."""
        all_stores = load_stores(self.mappings_dir)
        if self.store_count is None:
            return all_stores, all_stores
        if self.store_count > len(all_stores):
            raise ValueError(
                f"store_count {self.store_count}: mappings hold {len(all_stores)} stores"
            )
        return all_stores, all_stores[: self.store_count]


@dataclass
class GenerationReport:
    lines: dict[str, dict[str, int]]
    """entity -> business date -> lines landed (duplicates, late and malformed lines included)."""
    defects: dict[str, int]
    """defect kind -> records hit over all days (every kind listed, 0 when none)."""
    ground_truth: list[dict[str, str]]
    """The entries appended to the ground-truth file by this run."""
    ground_truth_path: Path
    retail_store_dir: Path
    segments: list[Path]
    gateway_transactions: int
    seconds: float
    risk_instances: dict[str, int] = field(default_factory=dict)
    """risk pattern -> instances injected over all days (every pattern listed when
    ``config.risk`` is set, 0 when none; empty on clean runs)."""
    risk_truth_path: Path | None = None

    def lines_of(self, entity: str, business_date: date | str) -> int:
        day = business_date if isinstance(business_date, str) else business_date.isoformat()
        return self.lines.get(entity, {}).get(day, 0)


def default_ground_truth_path(zone: LandingZone) -> Path:
    """``<data_dir>/sandbox/ground_truth.ndjson`` for a zone at ``<data_dir>/landing``."""
    return zone.root.parent / "sandbox" / "ground_truth.ndjson"


def risk_truth_path_beside(ground_truth_path: Path) -> Path:
    """``risk_truth.ndjson`` in the ground truth's folder."""
    return ground_truth_path.parent / "risk_truth.ndjson"


def stderr_progress(message: str) -> None:
    print(f"[sandbox] {message}", file=sys.stderr, flush=True)


def generate(
    zone: LandingZone,
    days: list[date],
    config: SandboxConfig,
    ground_truth_path: Path | None = None,
    progress: Progress | None = None,
    retail_store_dir: Path | None = None,
) -> GenerationReport:
    """Land ``days`` of sandbox data in ``zone``, write their Heartland Retail documents to the
    Retail store (``<data_dir>/sandbox/heartland_retail`` unless ``retail_store_dir``) and
    append their defects to the ground truth.

    The ground-truth file is appended to, as the landing zone is: generating a day twice lands
    it twice. ``progress`` receives a line per built day and per 250,000 lines landed.
    """
    started = time.monotonic()
    say = progress or (lambda _message: None)
    all_stores, stores = config.stores()
    truth_path = ground_truth_path or default_ground_truth_path(zone)
    retail_dir = retail_store_dir or default_retail_store_dir(zone)
    lines: dict[str, dict[str, int]] = {entity: {} for entity in ENTITIES}
    defects: Counter[str] = Counter(dict.fromkeys(DEFECT_KINDS, 0))
    ground_truth: list[dict[str, str]] = []
    segments: list[Path] = []
    transactions = 0
    risk_path = risk_truth_path_beside(truth_path) if config.risk is not None else None
    risk_instances: dict[str, set[str]] = (
        {pattern: set() for pattern in RISK_PATTERNS} if config.risk is not None else {}
    )

    with closing(open_world(config.seed)) as con:
        if config.order_payments:
            create_order_tables(con, load_seed_orders(), all_stores)
        prepare_retail_world(con, all_stores)
        for day in days:
            day_started = time.monotonic()
            build_day(
                con,
                day,
                stores,
                config.transactions_per_store_day,
                config.defect_rates,
                config.order_payments,
                config.card_numbers_everywhere,
                config.risk,
            )
            day_transactions = len(stores) * config.transactions_per_store_day
            if config.order_payments:
                day_transactions += con.execute(
                    "SELECT count(*) FROM transaction_events WHERE kind = 'order_payment'"
                ).fetchall()[0][0]
            if config.risk is not None:
                day_transactions += con.execute("SELECT count(*) FROM risk_slots").fetchall()[0][0]
            say(
                f"{day}: built {day_transactions:,} gateway transactions for {len(stores)} stores "
                f"in {time.monotonic() - day_started:.1f}s"
            )
            landed, day_segments = land_day(
                con, zone, day, len(stores), config.transactions_per_store_day, say
            )
            retail_tickets, _ = write_retail_day(
                con, retail_dir, day, len(stores), config.transactions_per_store_day
            )
            day_truth = _ground_truth(con, day)
            _append_ground_truth(truth_path, day_truth)
            if risk_path is not None:
                day_risk = risk_truth(con, day.isoformat())
                _append_ground_truth(risk_path, day_risk)
                for entry in day_risk:
                    risk_instances[entry["pattern"]].add(entry["instance_id"])

            transactions += day_transactions
            for entity, count in landed.items():
                lines[entity][day.isoformat()] = lines[entity].get(day.isoformat(), 0) + count
            ground_truth.extend(day_truth)
            defects.update(entry["defect"] for entry in day_truth)
            segments.extend(day_segments)
            say(
                f"{day}: landed {sum(landed.values()):,} lines with {len(day_truth)} defects "
                f"and wrote {retail_tickets:,} Retail tickets in {time.monotonic() - day_started:.1f}s"
            )

    return GenerationReport(
        lines=lines,
        defects=dict(defects),
        ground_truth=ground_truth,
        ground_truth_path=truth_path,
        retail_store_dir=retail_dir,
        segments=segments,
        gateway_transactions=transactions,
        seconds=time.monotonic() - started,
        risk_instances={pattern: len(ids) for pattern, ids in risk_instances.items()},
        risk_truth_path=risk_path,
    )


def _ground_truth(con: duckdb.DuckDBPyConnection, day: date) -> list[dict[str, str]]:
    """The day's defects in the ground-truth format of docs/landing_format.md.

    A gateway defect as the gateway lands it; a ticket defect as the Heartland Retail pull lands
    it (source ``heartland_retail``, the Retail event id and ticket or tender key), with the
    outcome the Retail pipeline gives it (``TICKET_OUTCOMES``).
    """
    rows = con.execute(sql_text("select_ground_truth"), {"kinds": list(DEFECT_KINDS)}).fetchall()
    return [
        {
            "defect": kind,
            "source": source,
            "entity": entity,
            "business_date": day.isoformat(),
            "event_id": event_id,
            "key": key,
            "expected": (
                TICKET_OUTCOMES.get(kind, EXPECTED_OUTCOMES[kind])
                if entity == "tickets"
                else EXPECTED_OUTCOMES[kind]
            ),
            "detail": detail,
        }
        for kind, source, entity, event_id, key, detail in rows
    ]


def _append_ground_truth(path: Path, entries: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        for entry in entries:
            handle.write(json.dumps(entry, separators=(",", ":"), ensure_ascii=False) + "\n")
