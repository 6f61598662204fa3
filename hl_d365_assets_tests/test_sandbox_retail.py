"""The sandbox's Heartland Retail store agrees with its gateway day, except where a defect says not.

The demo day (every store x 200 transactions, default defect rates) is generated once; the
store files are read back as the Retail simulator reads them, money parsed as Decimal.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hl_d365_assets.landing import LandingZone
from hl_d365_assets.sandbox import SANDBOX_DAY, SOURCE, SandboxConfig, generate, load_stores
from hl_d365_assets.sandbox.card_brands import CARD_BRANDS, RETAIL_PAYMENT_TYPE_NAMES
from hl_d365_assets.sandbox.customers import FIRST_NAMES
from hl_d365_assets.sandbox.delivery import END_OF_STORE
from hl_d365_assets.sandbox.generator import GenerationReport
from hl_d365_assets.sandbox.products import CATALOG_SKUS
from hl_d365_assets.sandbox.retail_store import (
    CUSTOMER_DUPLICATES,
    RESOURCES,
    _ticket_chunks,
    write_retail_store,
)
from hl_d365_assets_tests.independent_card_scan import card_numbers_in

MONEY_FIELDS = {
    "subtotal", "tax_total", "total", "total_paid", "balance", "original_unit_price",
    "unit_price", "adjusted_unit_price", "value", "unit_cost", "amount", "tip", "cost",
    "original_price", "price",
}  # fmt: skip
EVENT_ID = re.compile(r'^\{"event_id":"EVT_([0-9A-F]+)_[A-Z]+",')
NICKNAMES = dict(FIRST_NAMES)


@dataclass
class RetailDay:
    directory: Path
    report: GenerationReport
    zone: LandingZone
    day: date

    def text(self, resource: str) -> str:
        return (self.directory / f"{resource}.ndjson").read_text(encoding="utf-8")

    def documents(self, resource: str) -> list[dict]:
        return [json.loads(line, parse_float=Decimal) for line in self.text(resource).splitlines()]

    def latest_tickets(self) -> dict[int, dict]:
        latest: dict[int, dict] = {}
        for ticket in self.documents("tickets"):
            kept = latest.get(ticket["id"])
            if kept is None or ticket["updated_at"] > kept["updated_at"]:
                latest[ticket["id"]] = ticket
        return latest

    def truth(self, kind: str, entity: str | None = None) -> list[dict[str, str]]:
        return [
            entry
            for entry in self.report.ground_truth
            if entry["defect"] == kind and entity in (None, entry["entity"])
        ]

    def landed_transactions(self) -> dict[str, dict | None]:
        """TRN id -> its latest landed payload (None when its only line was cut short)."""
        landed: dict[str, dict | None] = {}
        for segment in self.zone.segments(SOURCE, "payment_transactions", self.day):
            for line in segment.read_text(encoding="utf-8").splitlines():
                try:
                    payload = json.loads(line)["payload"]
                except json.JSONDecodeError:
                    landed.setdefault("TRN_" + EVENT_ID.match(line).group(1), None)
                    continue
                kept = landed.get(payload["id"])
                if kept is None or payload["time_last_updated"] >= kept["time_last_updated"]:
                    landed[payload["id"]] = payload
        return landed


def _generate(root: Path, day: date, config: SandboxConfig) -> RetailDay:
    zone = LandingZone(root / "landing")
    report = generate(zone, [day], config)
    return RetailDay(report.retail_store_dir, report, zone, day)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> RetailDay:
    return _generate(tmp_path_factory.mktemp("retail"), SANDBOX_DAY, SandboxConfig())


def _store_bytes(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def _walk(value: object, key: str | None = None):
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _walk(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, key)
    else:
        yield key, value


# --- the store's files -----------------------------------------------------------------------


def test_every_resource_file_is_written_one_compact_document_per_line(demo: RetailDay) -> None:
    assert demo.directory == demo.zone.root.parent / "sandbox" / "heartland_retail"
    assert sorted(path.name for path in demo.directory.iterdir()) == sorted(
        f"{name}.ndjson" for name in (*RESOURCES, CUSTOMER_DUPLICATES)
    )
    for resource in RESOURCES:
        lines = demo.text(resource).splitlines()
        assert lines, resource
        for line in lines:
            document = json.loads(line)
            assert json.dumps(document, separators=(",", ":"), ensure_ascii=False) == line


def test_money_is_json_numbers_in_major_units_with_at_most_two_decimals(demo: RetailDay) -> None:
    seen = Counter()
    for resource in RESOURCES:
        for document in demo.documents(resource):
            for key, value in _walk(document):
                if key in MONEY_FIELDS:
                    assert isinstance(value, Decimal), (resource, key, value)
                    assert value.as_tuple().exponent in (-1, -2), (resource, key, value)
                    seen[key] += 1
    assert set(seen) == MONEY_FIELDS


def test_same_seed_writes_byte_identical_store_files_with_or_without_landing(
    tmp_path: Path,
) -> None:
    config = SandboxConfig(store_count=2, transactions_per_store_day=60)
    first = _generate(tmp_path / "first", SANDBOX_DAY, config)
    second = _generate(tmp_path / "second", SANDBOX_DAY, config)
    alone = write_retail_store(tmp_path / "alone", [SANDBOX_DAY], config)

    assert _store_bytes(first.directory) == _store_bytes(second.directory)
    assert _store_bytes(alone.directory) == _store_bytes(first.directory)
    assert alone.tickets == {"2026-11-20": len(first.text("tickets").splitlines())}


def test_a_later_day_appends_its_tickets_and_a_new_week_its_customers(tmp_path: Path) -> None:
    config = SandboxConfig(store_count=1, transactions_per_store_day=30)
    friday, saturday, monday = SANDBOX_DAY, date(2026, 11, 21), date(2026, 11, 23)
    store = write_retail_store(tmp_path, [friday], config).directory
    customers_of_week = (store / "customers.ndjson").read_text().splitlines()
    write_retail_store(store, [saturday], config)
    assert (store / "customers.ndjson").read_text().splitlines() == customers_of_week
    write_retail_store(store, [monday], config)

    customers = (store / "customers.ndjson").read_text().splitlines()
    assert customers[: len(customers_of_week)] == customers_of_week
    assert len(customers) > len(customers_of_week)
    tickets = [json.loads(line) for line in (store / "tickets.ndjson").read_text().splitlines()]
    days = Counter(ticket["completed_at"][:10] for ticket in tickets)
    assert set(days) == {"2026-11-20", "2026-11-21", "2026-11-23"}
    assert len({(ticket["id"], ticket["updated_at"]) for ticket in tickets}) == len(tickets)
    assert len({ticket["id"] for ticket in tickets}) == len(tickets) - sum(
        1 for ticket in tickets if "receipt reprinted" in ticket["custom"]["note"]
    )


def test_ticket_chunks_cover_every_store_and_slot_once() -> None:
    for stores, slots in ((5, 200), (3, 250_000), (1, 100_000)):
        covered = Counter()
        for chunk in _ticket_chunks(stores, slots):
            for store_idx in range(chunk["first_store"], chunk["end_store"]):
                end = slots if chunk["end"] == END_OF_STORE else chunk["end"]
                covered.update((store_idx, slot) for slot in range(chunk["first"], end))
        assert covered == Counter((s, slot) for s in range(stores) for slot in range(slots))


# --- tickets agree with the gateway ----------------------------------------------------------


def test_every_card_payment_names_a_landed_gateway_transaction_of_its_amount(
    demo: RetailDay,
) -> None:
    landed = demo.landed_transactions()
    never_captured = {
        entry["detail"].split()[1] for entry in demo.truth("tender_without_gateway_transaction")
    }
    assert never_captured
    named = set()
    for ticket in demo.latest_tickets().values():
        for payment in ticket["payments"]:
            if payment["type"] != "Payments::CreditCardPayment":
                assert payment["custom"] == {}
                continue
            trn = payment["custom"]["gateway_transaction_id"]
            named.add(trn)
            if trn in never_captured:
                assert trn not in landed
                continue
            assert trn in landed, ticket["public_id"]
            transaction = landed[trn]
            if transaction is None:
                continue
            charged = Decimal(transaction["amount"].lstrip("-")) / 100
            assert abs(payment["amount"]) + abs(payment["tip"]) == charged
            assert transaction["reference"].startswith(ticket["public_id"] + "-T")
            brand = transaction["payment_method"]["card"]["brand"]
            assert payment["description"] == RETAIL_PAYMENT_TYPE_NAMES[brand]
    assert never_captured <= named


def test_a_captured_sale_without_its_ticket_is_in_neither_pos_output(demo: RetailDay) -> None:
    [*lost] = demo.truth("gateway_transaction_without_tender")
    assert lost
    public_ids = {ticket["public_id"] for ticket in demo.latest_tickets().values()}
    for entry in lost:
        ticket_number = entry["detail"].split()[1]
        assert ticket_number not in public_ids
        assert (entry["source"], entry["expected"]) == ("heartland", "loaded")


def test_ticket_totals_are_lines_plus_tax_and_are_paid_exactly(demo: RetailDay) -> None:
    for ticket in demo.latest_tickets().values():
        for line in ticket["lines"]:
            assert line["value"] == line["qty"] * line["adjusted_unit_price"]
            assert line["unit_price"] == line["adjusted_unit_price"]
        assert sum(line["value"] for line in ticket["lines"]) == ticket["subtotal"]
        assert ticket["subtotal"] + ticket["tax_total"] == ticket["total"]
        assert sum(payment["amount"] for payment in ticket["payments"]) == ticket["total_paid"]
        assert ticket["total_paid"] == ticket["total"]
        assert ticket["balance"] == 0


def test_returns_have_negative_quantities_totals_and_payments(demo: RetailDay) -> None:
    landed = demo.landed_transactions()
    refunds = {trn for trn, t in landed.items() if t and t["type"] == "REFUND"}
    returns = [
        ticket
        for ticket in demo.latest_tickets().values()
        if any(p["custom"].get("gateway_transaction_id") in refunds for p in ticket["payments"])
    ]
    assert returns
    for ticket in returns:
        assert all(line["qty"] < 0 and line["value"] < 0 for line in ticket["lines"])
        assert ticket["total"] < 0 and ticket["tax_total"] < 0
        assert all(payment["amount"] < 0 for payment in ticket["payments"])
    others = [ticket for ticket in demo.latest_tickets().values() if ticket not in returns]
    assert all(line["qty"] > 0 for ticket in others for line in ticket["lines"])


def test_a_day_holds_every_kind_of_ticket_the_retail_pipeline_must_handle(
    demo: RetailDay,
) -> None:
    tickets = list(demo.latest_tickets().values())
    payment_types = {pt["id"]: pt["name"] for pt in demo.documents("payment_types")}
    kinds = Counter()
    for ticket in tickets:
        kinds[ticket["status"]] += 1
        kinds.update(line["type"] for line in ticket["lines"])
        kinds.update(payment_types[payment["payment_type_id"]] for payment in ticket["payments"])
        item_lines = [line for line in ticket["lines"] if line["type"] == "ItemLine"]
        kinds["split lines"] += len({line["item_id"] for line in item_lines}) < len(item_lines)
        kinds["tipped"] += any(payment["tip"] > 0 for payment in ticket["payments"])
        kinds["named customer"] += ticket["customer_id"] not in (None, 1)
        kinds["walk-in"] += ticket["customer_id"] == 1
        kinds["anonymous"] += ticket["customer_id"] is None
    for kind in (
        "complete", "voided", "ItemLine", "GiftCardLine", "Cash", "Visa", "Mastercard",
        "American Express", "Gift Card", "Store Credit", "Crypto", "split lines", "tipped",
        "named customer", "walk-in", "anonymous",
    ):  # fmt: skip
        assert kinds[kind], kind
    assert {ticket["station_id"] // 10 for ticket in tickets} == {
        ticket["source_location_id"] for ticket in tickets
    }


def test_each_injected_ticket_defect_is_in_the_retail_output_as_the_ground_truth_says(
    demo: RetailDay,
) -> None:
    versions = defaultdict(list)
    for ticket in demo.documents("tickets"):
        versions[str(ticket["id"])].append(ticket)
    ticket_entries = [e for e in demo.report.ground_truth if e["entity"] == "tickets"]
    # An API serves whole tickets whenever asked: malformed_json and late_event show nothing.
    assert {e["defect"] for e in ticket_entries} == {
        "duplicate_delivery", "card_number_in_free_text", "unknown_payment_type",
        "tender_without_gateway_transaction",
    }  # fmt: skip
    for entry in ticket_entries:
        assert entry["source"] == "heartland_retail"
        ticket_id, _, payment_id = entry["key"].partition("-P")
        shown = versions[ticket_id]
        assert shown, entry
        latest = max(shown, key=lambda ticket: ticket["updated_at"])
        assert entry["event_id"] == "HR_tickets_{}_{}".format(
            ticket_id, "".join(c for c in latest["updated_at"] if c.isdigit())
        )
        if payment_id:
            assert payment_id == str(latest["payments"][0]["id"])
        if entry["defect"] == "duplicate_delivery":
            assert entry["expected"] == "loaded_edited"
            first, edited = shown
            assert edited["updated_at"] > first["updated_at"]
            assert edited["custom"]["note"] != first["custom"]["note"]
            assert {**edited, "updated_at": 0, "custom": 0} == {
                **first,
                "updated_at": 0,
                "custom": 0,
            }
        else:
            assert len(shown) == 1, entry
        if entry["defect"] == "unknown_payment_type":
            assert shown[0]["payments"][0]["description"] == "Crypto"


def test_no_card_number_anywhere_but_the_injected_ticket_notes(demo: RetailDay) -> None:
    injected = {e["key"] for e in demo.truth("card_number_in_free_text", "tickets")}
    assert injected
    found = set()
    for path in sorted(demo.directory.iterdir()):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not card_numbers_in(line):
                continue
            document = json.loads(line)
            assert path.name == "tickets.ndjson" and str(document["id"]) in injected, path.name
            assert card_numbers_in(document["custom"]["note"])
            document["custom"]["note"] = ""
            assert not card_numbers_in(json.dumps(document))
            found.add(str(document["id"]))
    assert found == injected


# --- reference data --------------------------------------------------------------------------


def test_locations_are_the_mapped_stores_with_six_stations_each(demo: RetailDay) -> None:
    locations = demo.documents("locations")
    assert [location["public_id"] for location in locations] == [
        store.store_id for store in load_stores()
    ]
    stations = demo.documents("stations")
    assert [s for location in locations for s in location["stations"]] == stations
    assert [s["name"] for s in stations[:6]] == ["R01", "R02", "R03", "R04", "R05", "R06"]
    station_ids = {s["id"] for s in stations}
    assert all(ticket["station_id"] in station_ids for ticket in demo.documents("tickets"))


def test_payment_types_are_cash_each_card_brand_gift_card_store_credit_and_crypto(
    demo: RetailDay,
) -> None:
    names = [payment_type["name"] for payment_type in demo.documents("payment_types")]
    assert names == [
        "Cash",
        *(RETAIL_PAYMENT_TYPE_NAMES[brand.name] for brand in CARD_BRANDS),
        "Gift Card",
        "Store Credit",
        "Crypto",
    ]
    crypto = [
        ticket
        for ticket in demo.latest_tickets().values()
        if any(payment["description"] == "Crypto" for payment in ticket["payments"])
    ]
    assert {str(ticket["id"]) for ticket in crypto} == {
        entry["key"].partition("-P")[0] for entry in demo.truth("unknown_payment_type")
    }


def test_items_are_the_catalogue_with_apparel_in_size_and_colour_grids(demo: RetailDay) -> None:
    items = {item["id"]: item for item in demo.documents("items")}
    assert [item["public_id"] for item in items.values()] == list(CATALOG_SKUS)
    grids = {grid["id"]: grid for grid in demo.documents("item_grids")}
    in_grids = [item for item in items.values() if item["grid_id"] is not None]
    assert 0 < len(in_grids) < len(items)
    for item in items.values():
        assert (item["grid_id"] in grids) == (item["custom"]["size"] is not None)
        assert (item["grid_id"] in grids) == (item["custom"]["color"] is not None)
        assert 0 < item["cost"] < item["price"] == item["original_price"]
        upc = item["custom"]["upc"]
        odd, even = sum(map(int, upc[0:11:2])), sum(map(int, upc[1:11:2]))
        assert (3 * odd + even + int(upc[11])) % 10 == 0
    cells = Counter((i["grid_id"], i["custom"]["size"], i["custom"]["color"]) for i in in_grids)
    assert max(cells.values()) == 1
    for ticket in demo.latest_tickets().values():
        for line in ticket["lines"]:
            if line["type"] == "ItemLine":
                item = items[line["item_id"]]
                assert line["item_public_id"] == item["public_id"]
                assert line["original_unit_price"] == item["price"]
                assert line["unit_cost"] == item["cost"]


def test_inventory_values_are_one_row_per_item_and_trading_store(demo: RetailDay) -> None:
    values = demo.documents("inventory_values")
    items = {item["id"] for item in demo.documents("items")}
    locations = {location["id"] for location in demo.documents("locations")}
    assert len(values) == len(items) * len(locations)
    assert {(v["item_id"], v["location_id"]) for v in values} == {
        (item, location) for item in items for location in locations
    }
    assert all(v["qty_available"] == v["qty_on_hand"] - v["qty_committed"] for v in values)
    assert any(v["qty_committed"] for v in values)


# --- customers -------------------------------------------------------------------------------


def test_customers_carry_addresses_and_the_walk_in_customer_is_cash(demo: RetailDay) -> None:
    customers = {customer["id"]: customer for customer in demo.documents("customers")}
    [walk_in] = [c for c in customers.values() if c["public_id"] == "CASH"]
    assert (walk_in["first_name"], walk_in["last_name"]) == ("Walk-in", "Customer")
    people = [c for c in customers.values() if c is not walk_in]
    assert len(people) >= 5 * 250
    for customer in people:
        [address] = customer["addresses"]
        assert address["customer_id"] == customer["id"]
        assert address["country"] in ("US", "CA")
        assert address["address_1"] and address["city"] and address["zip"] and address["phone"]
    assert any(customer["email"] is None for customer in people)
    for ticket in demo.documents("tickets"):
        if ticket["customer_id"] is not None:
            customer = customers[ticket["customer_id"]]
            name = f"{customer['first_name']} {customer['last_name']}"
            assert ticket["customer_name"] == name


def test_customer_duplicates_name_existing_customers_with_how_they_differ(
    demo: RetailDay,
) -> None:
    customers = {customer["id"]: customer for customer in demo.documents("customers")}
    clusters = demo.documents(CUSTOMER_DUPLICATES)
    assert clusters
    variations = Counter()
    listed = [id_ for cluster in clusters for id_ in cluster["customer_ids"]]
    assert len(listed) == len(set(listed))
    assert 1 not in listed
    for cluster in clusters:
        first, *others = (customers[id_] for id_ in cluster["customer_ids"])
        assert len(cluster["variations"]) == len(others) >= 1
        for other, variation in zip(others, cluster["variations"], strict=True):
            variations[variation] += 1
            if variation == "nickname":
                assert other["first_name"] == NICKNAMES[first["first_name"]] != first["first_name"]
            if variation == "typo":
                assert other["last_name"] != first["last_name"]
                assert other["first_name"] == first["first_name"]
            if variation == "email":
                assert other["email"] != first["email"]
            if variation == "format":
                assert other["addresses"][0]["phone"] != first["addresses"][0]["phone"]
                assert other["addresses"][0]["address_1"] != first["addresses"][0]["address_1"]
    assert set(variations) == {"typo", "nickname", "email", "format"}
    emails = Counter(c["email"] for c in customers.values() if c["email"] is not None)
    shared = {email for email, count in emails.items() if count > 1}
    same_person = {
        id_: cluster["person_id"] for cluster in clusters for id_ in cluster["customer_ids"]
    }
    for email in shared:
        owners = {
            same_person.get(c["id"], c["id"]) for c in customers.values() if c["email"] == email
        }
        assert len(owners) == 1, email
