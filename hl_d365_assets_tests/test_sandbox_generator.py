"""The sandbox generator lands contract-shaped, consistent, reproducible days with stated defects.

Fixtures land small sandbox days (5 stores x 200 transactions, or fewer) into temporary landing
zones; the million-transaction day is a benchmark (``hl-d365 sandbox --per-store 200000``).
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox import (
    CARD_BRANDS,
    DEFECT_KINDS,
    ENTITIES,
    EXPECTED_OUTCOMES,
    SANDBOX_DAY,
    SOURCE,
    DefectRates,
    GenerationReport,
    SandboxConfig,
    generate,
    load_stores,
)
from hl_d365_assets.sandbox.card_brands import CARD_BRANDS_BY_NAME, RETAIL_PAYMENT_TYPE_NAMES
from hl_d365_assets.sandbox.defects import TICKET_OUTCOMES, injected_count, luhn_valid
from hl_d365_assets.sandbox.retail_landing import land_retail_store
from hl_d365_assets.settings import load_settings
from hl_d365_assets.time_zones import zone as time_zone

STORES = {store.store_id: store for store in load_stores()}
RETAIL_CARD_NAMES = {RETAIL_PAYMENT_TYPE_NAMES[brand.name]: brand.name for brand in CARD_BRANDS}
"""Retail payment type name (``Visa``) -> the gateway's card brand (``VISA``)."""
TAX_RATES = {
    row.split(",")[0]: Decimal(row.split(",")[1])
    for row in (load_settings().mappings_dir / "tax_codes.csv").read_text().splitlines()[1:]
}
EVENT_ID = re.compile(r'^\{"event_id":"(EVT_[0-9A-Za-z_-]+)",')
MONEY = re.compile(r"^(0|[1-9][0-9]*)$")
UTC_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
# How card numbers are typed: 13-19 digits in one run, or 4-4-4-4(-x) / 4-6-5 groups split by
# spaces or dashes; never inside a longer alphanumeric token.
PAN_LIKE = re.compile(
    r"(?<![0-9A-Za-z])(\d{13,19}|\d{4}([ -])\d{4}\2\d{4}\2\d{4}(?:\2\d{1,3})?|\d{4}([ -])\d{6}\3\d{5})(?![0-9A-Za-z])"
)

TRANSACTION_FIELDS = [
    "id", "time_created", "time_last_updated", "status", "type", "channel", "merchant_id",
    "merchant_name", "account_id", "account_name", "site_reference", "amount", "gratuity_amount",
    "currency", "reference", "description", "batch_id", "parent_resource_id", "payment_method",
    "action",
]  # fmt: skip
BATCH_FIELDS = [
    "id", "status", "time_created", "time_closed", "merchant_id", "merchant_name",
    "site_reference", "currency", "amount", "transaction_count", "sales", "refunds",
    "gratuity_amount", "brand_breakdown", "deposit",
]  # fmt: skip
TICKET_FIELDS = [
    "id", "public_id", "status", "station_id", "source_location_id", "customer_id",
    "customer_name", "sales_rep", "created_at", "completed_at", "updated_at", "subtotal",
    "tax_total", "total", "total_paid", "balance", "custom", "lines", "payments",
]  # fmt: skip
RETAIL_ENTITIES = ("tickets", "locations")
"""What the Heartland Retail pull lands of the sandbox's Retail store that these tests read."""


@dataclass
class LandedDay:
    """One generated business day as read back from the landing zone."""

    zone: LandingZone
    day: date
    report: GenerationReport
    # entity -> [(segment, line)] in segment-name order, then line order
    lines: dict[str, list[tuple[Path, str]]] = field(default_factory=dict)

    @classmethod
    def read(cls, zone: LandingZone, day: date, report: GenerationReport) -> LandedDay:
        landed = cls(zone, day, report)
        settings = load_settings()
        # The POS side as the pipeline sees it: pulled from the Retail simulator by the real pull.
        land_retail_store(
            zone,
            report.retail_store_dir,
            mappings_dir=settings.mappings_dir,
            merchant_timezone=settings.merchant_timezone,
            snapshot_day=day,
            entities=RETAIL_ENTITIES,
        )
        for source, entities in ((SOURCE, ENTITIES), ("heartland_retail", RETAIL_ENTITIES)):
            for entity in entities:
                landed.lines[entity] = [
                    (segment, line)
                    for segment in zone.segments(source, entity, day)
                    for line in segment.read_text(encoding="utf-8").splitlines()
                ]
        return landed

    def tickets(self) -> list[dict]:
        """The latest version of each landed Retail ticket, money as Decimal, with the
        ``store_id`` of its location (the location's ``public_id``)."""
        stores = {loc["id"]: loc["public_id"] for loc in self.payloads("locations")}
        latest: dict[int, dict] = {}
        for _, line in self.lines["tickets"]:
            ticket = json.loads(line, parse_float=Decimal)["payload"]
            kept = latest.get(ticket["id"])
            if kept is None or ticket["updated_at"] > kept["updated_at"]:
                latest[ticket["id"]] = ticket | {"store_id": stores[ticket["source_location_id"]]}
        return list(latest.values())

    def records(self, entity: str) -> list[dict]:
        """Parsed envelopes of the entity, each delivery once per landing (malformed skipped)."""
        parsed = []
        for _, line in self.lines[entity]:
            try:
                parsed.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return parsed

    def payloads(self, entity: str) -> list[dict]:
        seen, payloads = set(), []
        for envelope in self.records(entity):
            if envelope["event_id"] not in seen:
                seen.add(envelope["event_id"])
                payloads.append(envelope["payload"])
        return payloads

    def final_transactions(self) -> dict[str, dict]:
        """The latest state of each transaction id, as the canonical layer keeps it."""
        latest: dict[str, dict] = {}
        for payload in self.payloads("payment_transactions"):
            kept = latest.get(payload["id"])
            if kept is None or payload["time_last_updated"] > kept["time_last_updated"]:
                latest[payload["id"]] = payload
        return latest

    def occurrences(self, event_id: str) -> list[tuple[str, Path, str]]:
        return [
            (entity, segment, line)
            for entity in (*ENTITIES, "tickets")
            for segment, line in self.lines[entity]
            if line.startswith(f'{{"event_id":"{event_id}",')
        ]


def _land(root: Path, day: date, config: SandboxConfig) -> LandedDay:
    zone = LandingZone(root / "landing")
    report = generate(zone, [day], config)
    return LandedDay.read(zone, day, report)


@pytest.fixture(scope="module")
def demo_day(tmp_path_factory: pytest.TempPathFactory) -> LandedDay:
    """The demo day: every store x 200 transactions, default defect rates."""
    return _land(tmp_path_factory.mktemp("demo"), SANDBOX_DAY, SandboxConfig())


@pytest.fixture(scope="module")
def clean_day(tmp_path_factory: pytest.TempPathFactory) -> LandedDay:
    return _land(
        tmp_path_factory.mktemp("clean"),
        SANDBOX_DAY,
        SandboxConfig(defect_rates=DefectRates.none()),
    )


@pytest.fixture(scope="module")
def dst_day(tmp_path_factory: pytest.TempPathFactory) -> LandedDay:
    """2026-03-08: clocks go forward at 02:00 in every store's zone."""
    config = SandboxConfig(transactions_per_store_day=100, defect_rates=DefectRates.none())
    return _land(tmp_path_factory.mktemp("dst"), date(2026, 3, 8), config)


def _truth(landed: LandedDay, kind: str) -> list[dict[str, str]]:
    return [entry for entry in landed.report.ground_truth if entry["defect"] == kind]


def _segment_contents(zone: LandingZone, day: date) -> dict[str, list[str]]:
    return {
        entity: [
            segment.read_text(encoding="utf-8") for segment in zone.segments(SOURCE, entity, day)
        ]
        for entity in ENTITIES
    }


def _money(value: str) -> int:
    assert MONEY.match(value), f"{value!r} is not a string of non-negative integer minor units"
    return int(value)


def _round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _local(utc_text: str, store_id: str) -> datetime:
    instant = datetime.fromisoformat(utc_text.replace("Z", "+00:00"))
    return instant.astimezone(time_zone(STORES[store_id].timezone))


def _pans(text: str) -> list[str]:
    digits = (re.sub(r"[ -]", "", match.group(1)) for match in PAN_LIKE.finditer(text))
    return [number for number in digits if 13 <= len(number) <= 19 and luhn_valid(number)]


# --- reproducibility -------------------------------------------------------------------------


def test_same_seed_days_and_config_land_byte_identical_lines_and_ground_truth(
    tmp_path: Path,
) -> None:
    config = SandboxConfig(store_count=2, transactions_per_store_day=150)
    first = _land(tmp_path / "first", SANDBOX_DAY, config)
    second = _land(tmp_path / "second", SANDBOX_DAY, config)

    assert _segment_contents(first.zone, SANDBOX_DAY) == _segment_contents(second.zone, SANDBOX_DAY)
    assert first.report.ground_truth == second.report.ground_truth
    assert (
        first.report.ground_truth_path.read_bytes() == second.report.ground_truth_path.read_bytes()
    )


def test_another_seed_lands_other_transactions(tmp_path: Path) -> None:
    one = _land(
        tmp_path / "one", SANDBOX_DAY, SandboxConfig(store_count=1, transactions_per_store_day=50)
    )
    other = _land(
        tmp_path / "other",
        SANDBOX_DAY,
        SandboxConfig(seed=7, store_count=1, transactions_per_store_day=50),
    )
    assert set(one.final_transactions()).isdisjoint(other.final_transactions())


def test_store_count_limits_the_stores_of_mappings_used(tmp_path: Path) -> None:
    landed = _land(
        tmp_path, SANDBOX_DAY, SandboxConfig(store_count=2, transactions_per_store_day=40)
    )

    sites = {payload["site_reference"] for payload in landed.payloads("payment_transactions")}
    assert sites == {"S001", "S002"}
    assert {ticket["store_id"] for ticket in landed.tickets()} == {"S001", "S002"}
    assert landed.report.gateway_transactions == 80


def test_progress_is_reported_for_each_built_and_landed_day(tmp_path: Path) -> None:
    messages: list[str] = []
    days = [SANDBOX_DAY, date(2026, 11, 21)]
    config = SandboxConfig(
        store_count=1, transactions_per_store_day=20, defect_rates=DefectRates.none()
    )
    generate(LandingZone(tmp_path / "landing"), days, config, progress=messages.append)

    assert [message.split(":")[0] for message in messages] == ["2026-11-20"] * 2 + [
        "2026-11-21"
    ] * 2
    assert "built 20 gateway transactions" in messages[0]


# --- the landing contract --------------------------------------------------------------------


def test_every_line_is_compact_json_except_the_malformed_json_defects(demo_day: LandedDay) -> None:
    malformed = {entry["event_id"] for entry in _truth(demo_day, "malformed_json")}
    unparsable = set()
    for entity in ENTITIES:
        for _, line in demo_day.lines[entity]:
            try:
                envelope = json.loads(line)
            except json.JSONDecodeError:
                match = EVENT_ID.match(line)
                assert match, f"malformed line lost its event id: {line[:80]}"
                unparsable.add(match.group(1))
                continue
            assert json.dumps(envelope, separators=(",", ":"), ensure_ascii=False) == line
    assert unparsable == malformed


def test_envelopes_and_payloads_carry_the_contract_fields_in_order(demo_day: LandedDay) -> None:
    event_types = {
        "payment_transactions": {
            "transaction.captured", "transaction.preauthorized", "transaction.declined",
            "transaction.refunded", "transaction.voided", "transaction.reversed",
        },
        "settlement_batches": {"batch.closed"},
        "tickets": {"heartland_retail.ticket"},
    }  # fmt: skip
    fields = {
        "payment_transactions": TRANSACTION_FIELDS,
        "settlement_batches": BATCH_FIELDS,
        "tickets": TICKET_FIELDS,
    }
    for entity in (*ENTITIES, "tickets"):
        for envelope in demo_day.records(entity):
            assert list(envelope) == ["event_id", "event_type", "received_at", "payload"]
            assert envelope["event_type"] in event_types[entity]
            assert UTC_MILLIS.match(envelope["received_at"])
            assert list(envelope["payload"]) == fields[entity]
    for envelope in demo_day.records("tickets"):
        ticket = envelope["payload"]
        assert envelope["event_id"] == "HR_tickets_{}_{}".format(
            ticket["id"], re.sub(r"\D", "", ticket["updated_at"])
        )
    assert demo_day.zone.segments(SOURCE, "pos_tickets", demo_day.day) == [], "retired"
    for payload in demo_day.payloads("payment_transactions"):
        assert re.fullmatch(r"TRN_[0-9A-Za-z]{30}", payload["id"])
        assert re.fullmatch(r"PMT_[0-9A-F]{32}", payload["payment_method"]["id"])
        assert re.fullmatch(r"TRA_[0-9A-F]{32}", payload["account_id"])
        assert payload["merchant_id"] == STORES[payload["site_reference"]].merchant_id
        assert UTC_MILLIS.match(payload["time_created"]) and UTC_MILLIS.match(
            payload["time_last_updated"]
        )


def test_a_sandbox_day_holds_every_kind_of_payment_the_pipeline_must_handle(
    clean_day: LandedDay,
) -> None:
    transactions = clean_day.payloads("payment_transactions")
    tickets = clean_day.tickets()

    assert {(p["type"], p["status"]) for p in transactions} == {
        ("SALE", "CAPTURED"), ("SALE", "DECLINED"), ("SALE", "PREAUTHORIZED"), ("SALE", "REVERSED"),
        ("REFUND", "CAPTURED"),
    }  # fmt: skip
    final_statuses = Counter(p["status"] for p in clean_day.final_transactions().values())
    assert final_statuses["PREAUTHORIZED"] > 0, "some authorisations are left uncaptured"
    assert {p["payment_method"]["card"]["brand"] for p in transactions} == set(CARD_BRANDS_BY_NAME)
    assert {p["payment_method"]["entry_mode"] for p in transactions} == {
        "CHIP", "CONTACTLESS_CHIP", "SWIPE", "MANUAL",
    }  # fmt: skip
    assert any(_money(p["gratuity_amount"]) > 0 for p in transactions)
    assert {p["description"] for t in tickets for p in t["payments"]} >= {
        "Cash", "Gift Card", "Store Credit", "Visa", "Mastercard",
    }  # fmt: skip
    assert any(
        [bool(p["custom"].get("gateway_transaction_id")) for p in ticket["payments"]]
        == [True, True]
        for ticket in tickets
    ), "a sale split over two cards"
    assert {(ticket["status"], ticket["total"] < 0) for ticket in tickets} == {
        ("complete", False), ("voided", False), ("complete", True),
    }  # fmt: skip
    declined = [p for p in transactions if p["status"] == "DECLINED"]
    assert all(p["payment_method"]["result"] in {"101", "102", "103", "111"} for p in declined)
    assert all(
        p["payment_method"]["card"]["authcode"] == "" and p["batch_id"] == "" for p in declined
    )


def test_money_is_strings_of_non_negative_minor_units_except_injected_negative_amounts(
    demo_day: LandedDay,
) -> None:
    injected = {entry["event_id"] for entry in _truth(demo_day, "negative_amount")}
    negative = set()
    for envelope in demo_day.records("payment_transactions"):
        amount = envelope["payload"]["amount"]
        if amount.startswith("-"):
            negative.add(envelope["event_id"])
            _money(amount[1:])
        else:
            _money(amount)
        _money(envelope["payload"]["gratuity_amount"])
    assert negative == injected

    # Retail money is a JSON number in major units with at most cents, never a string.
    for ticket in demo_day.tickets():
        amounts = [ticket[name] for name in ("subtotal", "tax_total", "total", "total_paid")]
        for line in ticket["lines"]:
            assert isinstance(line["qty"], int) and isinstance(line["id"], int)
            amounts += [line["unit_price"], line["adjusted_unit_price"], line["value"]]
        amounts += [p[name] for p in ticket["payments"] for name in ("amount", "tip")]
        for amount in amounts:
            assert isinstance(amount, Decimal) and amount.as_tuple().exponent >= -2, amount
    for batch in demo_day.payloads("settlement_batches"):
        assert isinstance(batch["transaction_count"], int) and isinstance(
            batch["sales"]["count"], int
        )
        for amount in (batch["amount"], batch["sales"]["amount"], batch["deposit"]["amount"]):
            _money(amount)


def test_masked_card_numbers_never_hold_a_full_card_number(demo_day: LandedDay) -> None:
    masked = [p["payment_method"]["card"] for p in demo_day.payloads("payment_transactions")]
    masked_numbers = [(card["brand"], card["masked_number_first6last4"]) for card in masked]
    for brand, number in masked_numbers:
        hidden = CARD_BRANDS_BY_NAME[brand].pan_length - 10  # Amex 5, Diners 4, others 6
        assert re.fullmatch(rf"\d{{6}}X{{{hidden}}}\d{{4}}", number), number
        assert number[:6] in CARD_BRANDS_BY_NAME[brand].bins

    pan_lines = {entry["event_id"] for entry in _truth(demo_day, "card_number_in_free_text")}
    for entity in (*ENTITIES, "tickets"):
        for _, line in demo_day.lines[entity]:
            if _pans(line):
                event_id = re.match(r'^\{"event_id":"([^"]+)"', line).group(1)
                assert event_id in pan_lines, line[:200]
    # Retail payments carry no card digits at all (docs/heartland_retail.md).
    assert all("masked" not in "".join(p) for t in demo_day.tickets() for p in t["payments"])


# --- a clean day adds up ---------------------------------------------------------------------


def test_a_clean_day_has_no_ground_truth(clean_day: LandedDay) -> None:
    assert clean_day.report.ground_truth == []
    assert set(clean_day.report.defects.values()) == {0}
    for entity in ENTITIES:
        assert len(clean_day.records(entity)) == len(clean_day.lines[entity])


def test_ticket_lines_taxes_and_payments_add_up_on_a_clean_day(clean_day: LandedDay) -> None:
    for ticket in clean_day.tickets():
        rate = TAX_RATES[STORES[ticket["store_id"]].tax_code] / 100
        item_lines = [line for line in ticket["lines"] if line["type"] == "ItemLine"]
        for line in ticket["lines"]:
            assert line["value"] == line["qty"] * line["adjusted_unit_price"]
        assert sum(line["value"] for line in ticket["lines"]) == ticket["subtotal"]
        # Tax is rounded half up per sandbox line; Retail shows one ticket-level total.
        taxable = sum(line["value"] for line in item_lines)
        assert abs(ticket["tax_total"] - taxable * rate) <= Decimal("0.005") * len(item_lines)
        assert ticket["subtotal"] + ticket["tax_total"] == ticket["total"] == ticket["total_paid"]
        assert sum(p["amount"] for p in ticket["payments"]) == ticket["total"]
        for payment in ticket["payments"]:
            card = payment["description"] in RETAIL_CARD_NAMES
            assert bool(payment["custom"].get("gateway_transaction_id")) == card


def test_captured_card_payments_and_card_payments_match_one_to_one_on_a_clean_day(
    clean_day: LandedDay,
) -> None:
    final = clean_day.final_transactions()
    payments = defaultdict(list)
    for ticket in clean_day.tickets():
        for position, payment in enumerate(ticket["payments"], 1):
            if payment["custom"].get("gateway_transaction_id"):
                payments[payment["custom"]["gateway_transaction_id"]].append(
                    (ticket, payment, f"{ticket['public_id']}-T{position}")
                )
    captured = {id_: p for id_, p in final.items() if p["status"] == "CAPTURED"}
    complete = {id_ for id_, found in payments.items() if found[0][0]["status"] == "complete"}

    assert set(captured) == complete
    assert all(len(found) == 1 for found in payments.values())
    for id_, transaction in captured.items():
        ticket, payment, tender_id = payments[id_][0]
        assert transaction["reference"] == tender_id
        minor = (abs(payment["amount"]) + abs(payment["tip"])) * 100
        assert _money(transaction["amount"]) == minor
        assert _money(transaction["gratuity_amount"]) == abs(payment["tip"]) * 100
        assert (
            RETAIL_CARD_NAMES[payment["description"]]
            == (transaction["payment_method"]["card"]["brand"])
        )
        assert transaction["batch_id"].startswith("BAT_")
        assert (ticket["total"] < 0) == (transaction["type"] == "REFUND"), "a return is negative"


def test_refunds_voids_and_reversals_point_at_what_they_undo_on_a_clean_day(
    clean_day: LandedDay,
) -> None:
    events = defaultdict(list)
    for envelope in clean_day.records("payment_transactions"):
        events[envelope["payload"]["id"]].append(envelope)
    tickets_by_tender = {
        payment["custom"]["gateway_transaction_id"]: ticket
        for ticket in clean_day.tickets()
        for payment in ticket["payments"]
        if payment["custom"].get("gateway_transaction_id")
    }
    final = clean_day.final_transactions()

    refunds = [p for p in final.values() if p["type"] == "REFUND"]
    assert refunds
    for refund in refunds:
        original = final[refund["parent_resource_id"]]
        assert original["type"] == "SALE" and original["status"] == "CAPTURED"
        assert original["time_created"] < refund["time_created"]
        assert original["payment_method"]["id"] == refund["payment_method"]["id"], (
            "refund goes back to the card"
        )
        assert _money(refund["amount"]) <= _money(original["amount"])
        # Retail names no original ticket on a return: it is a ticket of negative lines.
        assert all(line["qty"] < 0 for line in tickets_by_tender[refund["id"]]["lines"])
        assert all(line["qty"] > 0 for line in tickets_by_tender[original["id"]]["lines"])
    for payment in final.values():
        if payment["type"] == "SALE":
            assert payment["parent_resource_id"] == payment["id"]

    second_events = {id_: envelopes for id_, envelopes in events.items() if len(envelopes) == 2}
    assert {e[1]["event_type"] for e in second_events.values()} == {
        "transaction.voided",
        "transaction.reversed",
    }
    for first, second in second_events.values():
        assert second["payload"]["status"] == "REVERSED" and second["payload"]["batch_id"] == ""
        assert second["payload"]["time_last_updated"] > first["payload"]["time_last_updated"]
        assert second["payload"]["action"]["type"] == "REVERSAL"
        if second["event_type"] == "transaction.voided":
            assert first["payload"]["status"] == "CAPTURED"
            assert tickets_by_tender[first["payload"]["id"]]["status"] == "voided"
        else:
            assert first["payload"]["status"] == "PREAUTHORIZED"


def test_settlement_batches_sum_the_captured_transactions_of_their_store_on_a_clean_day(
    clean_day: LandedDay,
) -> None:
    batches = {batch["site_reference"]: batch for batch in clean_day.payloads("settlement_batches")}
    assert set(batches) == set(STORES)
    settled = defaultdict(list)
    for payment in clean_day.final_transactions().values():
        if payment["status"] == "CAPTURED":
            settled[payment["site_reference"]].append(payment)

    for store_id, batch in batches.items():
        payments = settled[store_id]
        assert {p["batch_id"] for p in payments} == {batch["id"]}
        sales = [_money(p["amount"]) for p in payments if p["type"] == "SALE"]
        refunds = [_money(p["amount"]) for p in payments if p["type"] == "REFUND"]
        assert batch["sales"] == {"count": len(sales), "amount": str(sum(sales))}
        assert batch["refunds"] == {"count": len(refunds), "amount": str(sum(refunds))}
        assert _money(batch["amount"]) == sum(sales) - sum(refunds)
        assert batch["transaction_count"] == len(payments)
        assert _money(batch["gratuity_amount"]) == sum(
            _money(p["gratuity_amount"]) for p in payments
        )
        assert batch["currency"] == STORES[store_id].currency

        fees = 0
        assert [entry["brand"] for entry in batch["brand_breakdown"]] == [
            brand.name
            for brand in CARD_BRANDS
            if any(p["payment_method"]["card"]["brand"] == brand.name for p in payments)
        ]
        for entry in batch["brand_breakdown"]:
            of_brand = [
                p for p in payments if p["payment_method"]["card"]["brand"] == entry["brand"]
            ]
            brand_sales = [_money(p["amount"]) for p in of_brand if p["type"] == "SALE"]
            brand_refunds = [_money(p["amount"]) for p in of_brand if p["type"] == "REFUND"]
            assert entry["sales"] == {"count": len(brand_sales), "amount": str(sum(brand_sales))}
            assert entry["refunds"] == {
                "count": len(brand_refunds),
                "amount": str(sum(brand_refunds)),
            }
            assert entry["count"] == len(of_brand)
            assert _money(entry["amount"]) == sum(brand_sales) - sum(brand_refunds)
            expected_fee = CARD_BRANDS_BY_NAME[entry["brand"]].fees(
                len(brand_sales), sum(brand_sales)
            )
            assert _money(entry["fees_amount"]) == expected_fee
            fees += expected_fee
        assert batch["deposit"]["fees"] == {"amount": str(fees)}
        assert _money(batch["deposit"]["amount"]) == _money(batch["amount"]) - fees
        assert batch["deposit"]["time_created"] == "2026-11-21"


def test_brand_fees_round_the_percentage_half_up_once_and_add_a_fee_per_sale() -> None:
    visa = CARD_BRANDS_BY_NAME["VISA"]  # 1.80 % + 10 per sale
    assert visa.fees(sales_count=1, sales_amount=25) == 10 + 0  # 0.45 rounds down
    assert visa.fees(sales_count=1, sales_amount=2500) == 10 + 45
    assert visa.fees(sales_count=2, sales_amount=2525) == 20 + 45  # 45.45
    assert visa.fees(sales_count=2, sales_amount=2550) == 20 + 46  # 45.90
    assert CARD_BRANDS_BY_NAME["AMEX"].fees(sales_count=0, sales_amount=0) == 0


# --- business day and time zones -------------------------------------------------------------


@pytest.mark.parametrize("landed_day", ["demo_day", "dst_day"])
def test_business_day_is_the_local_date_of_each_store_and_times_fall_in_trading_hours(
    landed_day: str, request: pytest.FixtureRequest
) -> None:
    landed: LandedDay = request.getfixturevalue(landed_day)
    late = {entry["event_id"] for entry in _truth(landed, "late_event")}
    for envelope in landed.records("payment_transactions"):
        payment = envelope["payload"]
        created = _local(payment["time_created"], payment["site_reference"])
        assert created.date() == landed.day
        assert time(8) <= created.time() <= time(21, 1)
        if envelope["event_id"] not in late:
            assert _local(envelope["received_at"], payment["site_reference"]).date() == landed.day
    for ticket in landed.tickets():
        zone = time_zone(STORES[ticket["store_id"]].timezone)
        opened, closed = (
            datetime.fromisoformat(ticket["created_at"]),
            datetime.fromisoformat(ticket["completed_at"]),
        )
        assert closed.date() == landed.day
        assert opened <= closed
        assert closed.utcoffset() == closed.astimezone(zone).utcoffset(), (
            "offset is the zone's on that day"
        )
        assert closed.astimezone(UTC).astimezone(zone).date() == landed.day
    for batch in landed.payloads("settlement_batches"):
        assert _local(batch["time_closed"], batch["site_reference"]).date() == landed.day


def test_local_times_carry_summer_time_after_the_spring_forward(dst_day: LandedDay) -> None:
    offsets = {ticket["store_id"]: ticket["completed_at"][-6:] for ticket in dst_day.tickets()}
    assert offsets == {
        "S001": "-04:00",
        "S002": "-05:00",
        "S003": "-06:00",
        "S004": "-04:00",
        "S005": "-07:00",
    }


# --- defects and their ground truth ----------------------------------------------------------


def test_default_rates_put_every_defect_kind_into_a_demo_day(demo_day: LandedDay) -> None:
    kinds = Counter(entry["defect"] for entry in demo_day.report.ground_truth)
    assert set(kinds) == set(DEFECT_KINDS)
    assert demo_day.report.defects == dict(kinds)


def test_ground_truth_file_holds_one_documented_line_per_defect(demo_day: LandedDay) -> None:
    path = demo_day.report.ground_truth_path
    assert path == demo_day.zone.root.parent / "sandbox" / "ground_truth.ndjson"
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert entries == demo_day.report.ground_truth
    for entry in entries:
        assert list(entry) == [
            "defect",
            "source",
            "entity",
            "business_date",
            "event_id",
            "key",
            "expected",
            "detail",
        ]
        if entry["entity"] == "tickets":
            assert entry["source"] == "heartland_retail"
            assert entry["expected"] == TICKET_OUTCOMES.get(
                entry["defect"], EXPECTED_OUTCOMES[entry["defect"]]
            )
        else:
            assert (entry["source"], entry["expected"]) == (
                "heartland",
                EXPECTED_OUTCOMES[entry["defect"]],
            )
        assert entry["business_date"] == "2026-11-20"
        assert entry["detail"]
    assert len({(e["defect"], e["event_id"]) for e in entries}) == len(entries)


def test_each_ground_truth_entry_is_in_the_landed_files_as_stated(demo_day: LandedDay) -> None:
    transaction_text = "\n".join(line for _, line in demo_day.lines["payment_transactions"])
    tickets = demo_day.tickets()
    tender_ids = {
        f"{ticket['public_id']}-T{position}"
        for ticket in tickets
        for position, _ in enumerate(ticket["payments"], 1)
    }
    day_segments = {
        entity: sorted({segment for segment, line in demo_day.lines[entity] if line})
        for entity in ENTITIES
    }
    for entry in demo_day.report.ground_truth:
        found = demo_day.occurrences(entry["event_id"])
        assert found, entry
        assert {entity for entity, _, _ in found} == {entry["entity"]}, entry
        kind, (_, segment, line) = entry["defect"], found[0]
        payload = json.loads(line)["payload"] if kind != "malformed_json" else None

        if entry["entity"] == "tickets":
            payload = json.loads(line, parse_float=Decimal)["payload"]
            ticket_id, _, payment_id = entry["key"].partition("-P")
            assert str(payload["id"]) == ticket_id
            payment = next((p for p in payload["payments"] if str(p["id"]) == payment_id), None)
        if kind == "duplicate_delivery" and entry["entity"] == "tickets":
            # One pull after the edit sees only the edited version, which wins.
            assert len(found) == 1
            assert payload["custom"]["note"].endswith("receipt reprinted")
            assert payload["updated_at"] > payload["completed_at"]
        elif kind == "duplicate_delivery":
            assert len(found) == 2 and found[0][2] == found[1][2], "the same line, byte for byte"
            assert found[0][1].name < found[1][1].name, "redelivered in a later segment"
        elif kind == "late_event":
            assert len(found) == 1
            late_segment_lines = [
                text for seg, text in demo_day.lines[entry["entity"]] if seg == segment
            ]
            late_ids = {e["event_id"] for e in _truth(demo_day, "late_event")}
            assert {EVENT_ID.match(text).group(1) for text in late_segment_lines} <= late_ids, (
                "a segment of its own"
            )
            assert segment == day_segments[entry["entity"]][-1], (
                "landed after the day's other segments"
            )
            store_id = payload.get("site_reference") or payload.get("store_id")
            received = json.loads(line)["received_at"]
            assert _local(received, store_id).date() > demo_day.day
            assert datetime.fromisoformat(received.replace("Z", "+00:00")).date() > demo_day.day
        elif kind == "malformed_json":
            with pytest.raises(json.JSONDecodeError):
                json.loads(line)
            assert EVENT_ID.match(line).group(1) == entry["event_id"]
            assert entry["key"] in line
        elif kind == "settlement_total_mismatch":
            delta = int(re.match(r"delta=([+-]\d+)", entry["detail"]).group(1))
            assert payload["id"] == entry["key"] and delta != 0
            true_sales = sum(_money(b["sales"]["amount"]) for b in payload["brand_breakdown"])
            true_net = sum(_money(b["amount"]) for b in payload["brand_breakdown"])
            assert _money(payload["sales"]["amount"]) - true_sales == delta
            assert _money(payload["amount"]) - true_net == delta
        elif kind == "tender_without_gateway_transaction":
            assert payment["description"] in RETAIL_CARD_NAMES
            assert payment["custom"]["gateway_transaction_id"] not in transaction_text
        elif kind == "gateway_transaction_without_tender":
            assert payload["id"] == entry["key"] and payload["status"] == "CAPTURED"
            assert payload["reference"] not in tender_ids
        elif kind == "card_number_in_free_text":
            text = (
                payload["description"]
                if entry["entity"] == "payment_transactions"
                else payload["custom"]["note"]
            )
            (pan,) = _pans(text)
            brand, masked = re.match(r"(\w+) test PAN (\d{6}X+\d{4})", entry["detail"]).groups()
            assert masked == pan[:6] + "X" * (len(pan) - 10) + pan[-4:]
            assert pan[:6] in {"411111", "401288", "424242"} or brand != "VISA"
            assert entry["key"] == str(payload["id"])
        elif kind == "unknown_payment_type":
            assert payment["description"] == "Crypto"
        elif kind == "negative_amount":
            assert payload["id"] == entry["key"]
            assert re.fullmatch(r"-[1-9]\d*", payload["amount"])
        elif kind == "currency_mismatch":
            assert payload["id"] == entry["key"] and payload["status"] == "CAPTURED"
            (ticket,) = [
                t for t in tickets if payload["reference"].startswith(t["public_id"] + "-T")
            ]
            store_currency = STORES[ticket["store_id"]].currency
            assert payload["currency"] != store_currency
            (batch,) = [
                b for b in demo_day.payloads("settlement_batches") if b["id"] == payload["batch_id"]
            ]
            assert batch["currency"] == store_currency
        elif kind == "duplicate_capture":
            assert payload["id"] == entry["key"] and payload["status"] == "CAPTURED"
            twins = [
                p
                for p in demo_day.payloads("payment_transactions")
                if (p["reference"], p["amount"], p["status"])
                == (payload["reference"], payload["amount"], "CAPTURED")
            ]
            assert len({p["id"] for p in twins}) == 2
        elif kind == "refund_exceeds_sale":
            assert payload["id"] == entry["key"] and payload["type"] == "REFUND"
            (sale,) = [
                p
                for p in demo_day.payloads("payment_transactions")
                if p["id"] == payload["parent_resource_id"]
            ]
            assert sale["type"] == "SALE" and _money(sale["amount"]) < _money(payload["amount"])
        elif kind == "deposit_difference":
            deposit = payload["deposit"]
            assert deposit["id"] == entry["key"]
            expected = _money(payload["amount"]) - _money(deposit["fees"]["amount"])
            assert 500 <= expected - _money(deposit["amount"]) < 5000
        else:
            pytest.fail(f"unknown defect {kind}")


def test_defects_of_a_day_never_hit_the_same_ticket_or_batch_twice(demo_day: LandedDay) -> None:
    keys = [entry["key"].partition("-P")[0] for entry in demo_day.report.ground_truth]
    assert len(keys) == len(set(keys))


def test_injected_count_is_rate_times_candidates_rounded_up() -> None:
    assert injected_count(0.01, 200) == 2
    assert injected_count(0.07, 100) == 7
    assert injected_count(0.001, 1000) == 1
    assert injected_count(0.001, 200) == 1
    assert injected_count(0.0, 10_000) == 0
    assert injected_count(0.5, 0) == 0


def test_defect_rates_are_shares_between_zero_and_one() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        DefectRates(malformed_json=1.5)
    assert all(DefectRates.none().rate(kind) == 0 for kind in DEFECT_KINDS)


# --- stores ----------------------------------------------------------------------------------


def test_stores_come_from_mappings_with_their_tax_rate_in_parts_per_million() -> None:
    stores = load_stores(load_settings().mappings_dir)
    assert [store.store_id for store in stores] == ["S001", "S002", "S003", "S004", "S005"]
    assert {store.store_id: store.tax_rate_ppm for store in stores} == {
        "S001": 88_750, "S002": 102_500, "S003": 88_100, "S004": 130_000, "S005": 120_000,
    }  # fmt: skip
    assert {store.currency for store in stores} == {"USD", "CAD"}
