"""The Heartland Retail client against its simulator: paging, filters, sorting, field selection,
embedding, writes, refusals, retries and exact numbers (docs/heartland_retail.md).

In process through the simulator's transport; one test over a real loopback socket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from hl_d365_assets.heartland_retail import (
    HeartlandRetailApiError,
    HeartlandRetailAuthenticationError,
    HeartlandRetailClient,
    HeartlandRetailOutcomeUnknown,
    RetailApi,
)
from hl_d365_assets.heartland_retail.client import listing_body
from hl_d365_assets.sandbox.heartland_retail_simulator import HeartlandRetailSimulator, serve
from hl_d365_assets.sandbox.heartland_retail_store import load_store
from hl_d365_assets.sandbox.in_process import InProcessTransport
from hl_d365_assets.sandbox.resources import heartland_retail_client

TICKETS = "/api/sales/tickets"
EXACT_TICKET = (
    '{"id":7,"public_id":"7","status":"complete","source_location_id":1,'
    '"updated_at":"2026-11-20T10:00:07.000-05:00","subtotal":0.1,"tax_total":1234567890123456.78,'
    '"total":72.95,"lines":[{"id":1,"type":"ItemLine","qty":2,"unit_price":10.0,"value":20.00}],'
    '"payments":[{"id":77,"amount":72.95,"custom":{"gateway_transaction_id":"TRN_7"}}]}'
)


def _ticket(number: int) -> str:
    """Tickets 1..45: location 1 or 2, totals 1.01 .. 45.45, updated a minute apart in a -05:00
    zone, every fifth one incomplete."""
    updated = datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=-5))) + timedelta(
        minutes=number
    )
    return (
        json.dumps(
            {
                "id": number,
                "public_id": str(number),
                "status": "incomplete" if number % 5 == 0 else "complete",
                "source_location_id": 1 + number % 2,
                "customer_name": f"Customer {number:02d}",
                "updated_at": updated.isoformat(timespec="milliseconds"),
                "lines": [{"id": number * 10, "type": "ItemLine", "qty": 1}],
                "payments": [{"id": number * 100, "payment_type_id": 3}],
            }
        )[:-1]
        + f',"total":{number}.{number:02d}}}'
    )  # money written as digits, not via float


def _write_store(folder: Path) -> Path:
    folder.mkdir()
    tickets = [_ticket(n) for n in range(1, 46) if n != 7] + [EXACT_TICKET]
    tickets.append('{"id": 3, "status": "complete"')  # broken: skipped, counted
    (folder / "tickets.ndjson").write_text("\n".join(tickets) + "\n")
    (folder / "customers.ndjson").write_text(
        '{"id":5012,"public_id":"C-5012","first_name":"Ada","last_name":"Lovelace",'
        '"email":"ada@example.com","custom":{"tier":"gold"},'
        '"updated_at":"2026-11-01T00:00:00.000Z","addresses":[{"id":1,"customer_id":5012,'
        '"city":"London"},{"id":2,"customer_id":5012,"city":"Paris"}]}\n'
        '{"id":5013,"public_id":"CASH","first_name":"Walk-in","last_name":"Customer",'
        '"updated_at":"2026-11-01T00:00:00.000Z"}\n'
    )
    (folder / "locations.ndjson").write_text(
        '{"id":1,"public_id":"S001","name":"Main St","stations":[{"id":11,"location_id":1}]}\n'
    )
    (folder / "items.ndjson").write_text(
        '{"id":2001,"public_id":"SKU-1","price":10.00,"cost":4.1,"updated_at":"2026-11-01T00:00:00Z"}\n'
        '{"id":2001,"public_id":"SKU-1","price":12.50,"cost":4.1,"updated_at":"2026-11-02T00:00:00Z"}\n'
    )
    (folder / "inventory_values.ndjson").write_text(
        '{"item_id":2001,"location_id":1,"qty_on_hand":5,"qty_available":5,"unit_cost":4.10}\n'
        '{"item_id":2001,"location_id":2,"qty_on_hand":0,"qty_available":0,"unit_cost":4.10}\n'
        '{"item_id":2002,"location_id":1,"qty_on_hand":3,"qty_available":2,"unit_cost":1.5}\n'
    )
    return folder


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_store(tmp_path_factory.mktemp("retail") / "store")


@pytest.fixture
def sim(store_dir: Path) -> HeartlandRetailSimulator:
    return HeartlandRetailSimulator(store_dir, clock=lambda: 1_795_000_000.0)


@pytest.fixture
def sleeps() -> list[float]:
    return []


def _client(**overrides) -> HeartlandRetailClient:
    return heartland_retail_client().model_copy(update=overrides)


@pytest.fixture
def api(sim: HeartlandRetailSimulator, sleeps: list[float]) -> Iterator[RetailApi]:
    with _client(page_size=20).open(sim.transport(), sleep=sleeps.append) as session:
        yield session


def _ids(page) -> list[int]:
    return [record.data["id"] for record in page.records]


# -- the store ----------------------------------------------------------------------------------


def test_the_last_line_of_a_record_wins_and_broken_lines_are_counted(store_dir: Path):
    store = load_store(store_dir)
    assert store.counts()["tickets"] == 45
    assert store.skipped["tickets"] == 1
    assert store.collections["items"].documents[(2001,)].data()["price"] == Decimal("12.50")


# -- paging -------------------------------------------------------------------------------------


def test_pages_carry_total_and_pages_and_iter_pages_reads_each_once(
    api: RetailApi, sim: HeartlandRetailSimulator
):
    pages = list(api.iter_pages("sales/tickets"))
    assert [(p.number, p.pages, p.total, len(p.records)) for p in pages] == [
        (1, 3, 45, 20),
        (2, 3, 45, 20),
        (3, 3, 45, 5),
    ]
    assert [i for p in pages for i in _ids(p)] == list(range(1, 46))
    assert [r.query.split("&")[-2:] for r in sim.served(TICKETS)] == [
        ["page=1", "per_page=20"],
        ["page=2", "per_page=20"],
        ["page=3", "per_page=20"],
    ]


def test_the_gem_default_page_is_20_and_all_is_accepted(api: RetailApi):
    assert len(api.list_page("sales/tickets", per_page=5000).records) == 45
    page = api.list_page("locations", params={"per_page": "all"})
    assert page.total == 1


def test_a_keyset_pull_walks_every_record_once(api: RetailApi):
    seen, last = [], 0
    while True:
        page = api.list_page(
            "sales/tickets", filters={"id": {"$gt": last}}, sort=["id"], per_page=10
        )
        if not page.records:
            break
        seen += _ids(page)
        last = seen[-1]
    assert seen == list(range(1, 46))


# -- filters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"id": {"$gt": 43}}, [44, 45]),
        ({"id": {"$gte": 44}}, [44, 45]),
        ({"id": {"$lt": 3}}, [1, 2]),
        ({"id": {"$lte": 2}}, [1, 2]),
        ({"id": 9}, [9]),
        ({"id": {"$in": [3, 5, 99]}}, [3, 5]),
        ({"status": "incomplete", "id": {"$lte": 20}}, [5, 10, 15, 20]),
        ({"total": {"$gte": Decimal("44.44")}}, [7, 44, 45]),  # 7's total is 72.95
        ({"total": {"$lt": Decimal("2.03")}}, [1, 2]),
        ({"public_id": {"$in": ["1", "2"]}}, [1, 2]),
        ([{"id": {"$gt": 30}}, {"source_location_id": 2}, {"id": {"$lt": 36}}], [31, 33, 35]),
        ({"$or": [{"id": 1}, {"customer_name": "Customer 40"}]}, [1, 40]),
        ({"$and": [{"id": {"$gt": 40}}, {"status": "complete"}]}, [41, 42, 43, 44]),
        ({"source_location_id": 1, "id": {"$gt": 40, "$lt": 45}}, [42, 44]),
    ],
)
def test_each_filter_operator(api: RetailApi, filters, expected: list[int]):
    page = api.list_page("sales/tickets", filters=filters, per_page=100)
    assert _ids(page) == expected
    assert page.total == len(expected)


def test_timestamps_filter_as_instants_whatever_their_offset(api: RetailApi):
    after = datetime(2026, 11, 20, 14, 42, tzinfo=UTC)  # 09:42 at -05:00
    page = api.list_page("sales/tickets", filters={"updated_at": {"$gt": after}})
    assert _ids(page) == [7, 43, 44, 45]  # 7 was updated at 10:00:07 -05:00


def test_the_repeated_filter_form_is_served_too(api: RetailApi):
    page = api.list_page(
        "sales/tickets",
        params={"_filter[]": ['{"id":{"$gt":40}}', '{"source_location_id":1}']},
    )
    assert _ids(page) == [42, 44]


def test_custom_fields_filter_as_custom_at_key(api: RetailApi):
    assert _ids(api.list_page("customers", filters={"custom@tier": "gold"})) == [5012]


def test_an_unknown_operator_is_refused_naming_it_and_the_request(api: RetailApi):
    with pytest.raises(HeartlandRetailApiError) as refused:
        api.list_page("sales/tickets", filters={"customer_name": {"$regex": "Ada"}})
    message = str(refused.value)
    assert refused.value.status == 400
    assert "unknown operator $regex" in message
    assert 'GET /api/sales/tickets?_filter={"customer_name":{"$regex":"Ada"}}' in message


# -- sort, _only, _include ----------------------------------------------------------------------


def test_sort_descending_and_by_several_keys(api: RetailApi):
    assert _ids(api.list_page("sales/tickets", sort=["id,desc"], per_page=3)) == [45, 44, 43]
    assert _ids(api.list_page("sales/tickets", sort=["id,desc"], page=15, per_page=3)) == [
        3,
        2,
        1,
    ]
    page = api.list_page(
        "sales/tickets",
        filters={"id": {"$lte": 6}},
        sort=["source_location_id,desc", "updated_at,desc"],
    )
    assert _ids(page) == [5, 3, 1, 6, 4, 2]


def test_only_keeps_the_named_fields(api: RetailApi):
    page = api.list_page("sales/tickets", only=["id", "total"], per_page=2)
    assert [record.text for record in page.records] == [
        '{"id":1,"total":1.01}',
        '{"id":2,"total":2.02}',
    ]


def test_associations_come_only_when_included(api: RetailApi):
    plain = api.list_page("sales/tickets", per_page=1).records[0].data
    assert "lines" not in plain and "payments" not in plain
    full = api.list_page("sales/tickets", include=["lines", "payments"], per_page=1).records[0]
    assert full.data["lines"] == [{"id": 10, "type": "ItemLine", "qty": 1}]
    assert full.data["payments"] == [{"id": 100, "payment_type_id": 3}]
    location = api.list_page("locations", include=["stations"]).records[0].data
    assert location["stations"] == [{"id": 11, "location_id": 1}]
    assert "stations" not in api.get("locations/1").data
    assert "addresses" not in api.get("customers/5012").data
    customer = api.get("customers/5012", include=["addresses"]).data
    assert [a["city"] for a in customer["addresses"]] == ["London", "Paris"]
    addresses = api.list_page("customers/5012/addresses", per_page=1)
    assert (addresses.total, addresses.pages, addresses.records[0].data["city"]) == (2, 2, "London")


def test_stock_is_served_per_item_and_location_and_empty_rows_can_be_left_out(api: RetailApi):
    groups = {"group[]": ["item_id", "location_id"]}
    rows = api.list_page("inventory/values", params=groups).records
    assert [(r.data["item_id"], r.data["location_id"]) for r in rows] == [
        (2001, 1),
        (2001, 2),
        (2002, 1),
    ]
    assert rows[0].text == (
        '{"item_id":2001,"location_id":1,"qty_on_hand":5,"qty_available":5,"unit_cost":4.10}'
    )
    kept = api.list_page(
        "inventory/values", params={**groups, "exclude_empty_locations": True}
    ).records
    assert [(r.data["item_id"], r.data["location_id"]) for r in kept] == [(2001, 1), (2002, 1)]
    with pytest.raises(HeartlandRetailApiError, match="not supported by the simulator"):
        api.list_page("inventory/values", params={"group[]": "location_id"})


# -- exact numbers ------------------------------------------------------------------------------


def test_exact_decimals_survive_end_to_end(api: RetailApi):
    record = api.list_page(
        "sales/tickets", filters={"id": 7}, include=["lines", "payments"]
    ).records[0]
    assert record.text == EXACT_TICKET
    assert record.data["subtotal"] == Decimal("0.1")
    assert record.data["total"] == Decimal("72.95")
    assert record.data["tax_total"] == Decimal("1234567890123456.78")
    assert str(record.data["lines"][0]["value"]) == "20.00"
    assert type(record.data["payments"][0]["amount"]) is Decimal


SPACED_ITEM = (
    '{ "id" : 2002,"public_id":"SKU-2", "price" :1.50,\t"cost": 1e-2 , "custom":{"size" :"M"},'
    '"note":"caf\u00e9 \\"x\\"", "updated_at":"2026-11-03T00:00:00Z" }'
)


def test_a_listed_record_is_the_served_bytes_parsed_once(api: RetailApi, sim):
    sim.put("items", SPACED_ITEM)
    record = api.list_page("items", filters={"id": 2002}).records[0]
    assert record.text == SPACED_ITEM  # not re-serialised: spacing, 1.50 and 1e-2 as served
    assert record.data["price"] == Decimal("1.50") and str(record.data["price"]) == "1.50"
    assert record.data["cost"] == Decimal("0.01") and type(record.data["cost"]) is Decimal
    assert record.data["note"] == 'café "x"'


def test_a_listing_body_is_read_member_by_member_and_record_by_record():
    answer = (
        ' {"total" : 2 ,"pages":1,\n "results" : [ {"id":1,"v":1.50} ,'
        '{"id":2, "v" : -0.10, "a":[1e-2, {"b" : null}]}\t] , "extra": {"x": 12.0}}\n'
    )
    body, records = listing_body(answer.encode())
    assert body == {
        "total": 2,
        "pages": 1,
        "results": [
            {"id": 1, "v": Decimal("1.50")},
            {"id": 2, "v": Decimal("-0.10"), "a": [Decimal("0.01"), {"b": None}]},
        ],
        "extra": {"x": Decimal("12.0")},
    }
    assert [r.text for r in records] == [
        '{"id":1,"v":1.50}',
        '{"id":2, "v" : -0.10, "a":[1e-2, {"b" : null}]}',
    ]
    assert [r.data for r in records] == body["results"]


def test_a_pretty_printed_record_lands_as_one_compact_line_with_its_digits():
    (record,) = listing_body('{"results": [{\n  "id": 1,\n  "total": 72.950\n}]}')[1]
    assert record.text == '{"id":1,"total":72.950}'


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("[]", (None, None)),
        ('{"total": 0, "pages": 0}', ({"total": 0, "pages": 0}, None)),
        ('{"results": {"id": 1}}', ({"results": {"id": 1}}, None)),
        ('{"results": []}', ({"results": []}, [])),
    ],
)
def test_a_body_that_is_not_a_listing_is_told_apart(answer: str, expected):
    assert listing_body(answer) == expected


@pytest.mark.parametrize(
    "answer", ['{"results": [1,]}', '{"results": [{"v": NaN}]}', '{"a": 1} x', "<html>", '{"a" 1}']
)
def test_a_body_that_is_not_json_is_refused(answer: str):
    with pytest.raises(ValueError):
        listing_body(answer)


def test_an_answer_that_is_not_a_listing_names_the_request():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"results": [{"id": 1}, 2], "total": 2, "pages": 1}']

    with (
        _client().open(InProcessTransport(app=app)) as session,
        pytest.raises(HeartlandRetailApiError, match="results array of objects") as raised,
    ):
        session.list_page("sales/tickets")
    assert "GET" in str(raised.value) and "sales/tickets" in str(raised.value)


# -- writes -------------------------------------------------------------------------------------


def test_create_reads_the_id_from_location_and_update_changes_only_what_it_sends(
    api: RetailApi, sim: HeartlandRetailSimulator
):
    new_id = api.create(
        "customers",
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.com",
            "custom@tier": "silver",
            "credit_limit": Decimal("250.00"),
        },
    )
    assert new_id == 5014
    created = api.get(f"customers/{new_id}").data
    assert created["custom"] == {"tier": "silver"}
    assert created["credit_limit"] == Decimal("250.00")
    assert created["created_at"] == created["updated_at"] == "2026-11-18T11:06:40.000Z"
    api.update(f"customers/{new_id}", {"email": "g.hopper@example.com"})
    updated = api.get(f"customers/{new_id}").data
    assert updated["email"] == "g.hopper@example.com"
    assert updated["last_name"] == "Hopper" and updated["custom"] == {"tier": "silver"}
    assert updated["updated_at"] == "2026-11-18T11:06:40.001Z"  # moved past the last version
    assert [r.method for r in sim.served() if r.path.startswith("/api/customers")] == [
        "POST",
        "GET",
        "PUT",
        "GET",
    ]


def test_a_created_record_is_listed_by_an_updated_at_cursor(api: RetailApi):
    api.create("items", {"public_id": "SKU-9", "price": Decimal("9.99")})
    page = api.list_page("items", filters={"updated_at": {"$gt": "2026-11-10T00:00:00Z"}})
    assert [record.data["public_id"] for record in page.records] == ["SKU-9"]


# -- refusals -----------------------------------------------------------------------------------


def test_a_wrong_token_is_an_authentication_error_that_never_shows_the_token(
    sim: HeartlandRetailSimulator,
):
    with (
        _client(token="wrong-token-123").open(sim.transport()) as session,
        pytest.raises(HeartlandRetailAuthenticationError) as refused,
    ):
        session.list_page("items")
    assert refused.value.status == 401
    assert "HEARTLAND_RETAIL_TOKEN" in str(refused.value)
    assert "Unauthorized" in str(refused.value)
    assert "wrong-token-123" not in str(refused.value)
    assert "wrong-token-123" not in repr(_client(token="wrong-token-123"))


def test_a_missing_record_is_a_404_naming_the_request(api: RetailApi):
    with pytest.raises(HeartlandRetailApiError) as refused:
        api.get("customers/999")
    assert refused.value.status == 404
    assert refused.value.request == "GET /api/customers/999"
    assert str(refused.value).startswith("GET /api/customers/999 refused: HTTP 404: customers 999")


def test_an_error_detail_is_short_and_masks_cards_and_e_mails():
    import httpx

    from hl_d365_assets.heartland_retail.errors import DETAIL_LIMIT, error_detail

    body = {"error": "card 4111 1111 1111 1111 of ada@example.com " + "x" * 300}
    detail = error_detail(httpx.Response(422, json=body))
    assert "4111 1111 1111 1111" not in detail and "ada@example.com" not in detail
    assert len(detail) == DETAIL_LIMIT


# -- retries (the HTTP seam's) ------------------------------------------------------------------


def test_a_429_storm_is_waited_out_as_retry_after_asks(
    api: RetailApi, sim: HeartlandRetailSimulator, sleeps: list[float]
):
    sim.faults.throttle(times=3, retry_after=7, path=TICKETS)
    assert api.list_page("sales/tickets").total == 45
    assert sleeps == [7, 7, 7]
    assert [r.status for r in sim.served(TICKETS)] == [429, 429, 429, 200]


def test_a_get_is_retried_after_server_errors_and_a_dropped_connection(
    api: RetailApi, sim: HeartlandRetailSimulator, sleeps: list[float]
):
    sim.faults.fail(times=1, status=500, path=TICKETS)
    sim.faults.drop(times=1, path=TICKETS)
    sim.faults.fail(times=1, status=503, path=TICKETS)
    assert api.list_page("sales/tickets").total == 45
    assert [r.status for r in sim.served(TICKETS)] == [500, None, 503, 200]
    assert len(sleeps) == 3


def test_a_throttle_outlasting_the_attempts_fails_naming_them(
    sim: HeartlandRetailSimulator, sleeps: list[float]
):
    sim.faults.throttle(times=None, retry_after=1, path=TICKETS)
    failure = "failed after 3 attempts; last failure: HTTP 429"
    with (
        _client(max_attempts=3).open(sim.transport(), sleep=sleeps.append) as session,
        pytest.raises(HeartlandRetailApiError, match=failure),
    ):
        session.list_page("sales/tickets")
    assert len(sim.served(TICKETS)) == 3


def test_a_create_is_never_repeated_once_it_may_have_been_applied(
    api: RetailApi, sim: HeartlandRetailSimulator
):
    sim.faults.fail(times=1, status=500, path="/api/customers")
    with pytest.raises(HeartlandRetailOutcomeUnknown, match="look the record up"):
        api.create("customers", {"first_name": "Once"})
    sim.faults.drop(times=1, path="/api/customers")
    with pytest.raises(HeartlandRetailOutcomeUnknown):
        api.create("customers", {"first_name": "Once"})
    assert [r.status for r in sim.served("/api/customers", "POST")] == [500, None]


def test_a_create_throttled_is_sent_again(api: RetailApi, sim: HeartlandRetailSimulator):
    sim.faults.throttle(times=1, retry_after=1, path="/api/customers")
    assert api.create("customers", {"first_name": "Twice"}) == 5014
    assert [r.status for r in sim.served("/api/customers", "POST")] == [429, 201]


# -- on a real socket ---------------------------------------------------------------------------


def test_the_client_pages_and_creates_over_loopback(sim: HeartlandRetailSimulator):
    with serve(sim) as server:
        client = heartland_retail_client(base_url=server.base_url)
        with client.open() as session:
            pages = list(session.iter_pages("sales/tickets", include=["lines"], per_page=25))
            new_id = session.create("items", {"public_id": "SKU-LOOP", "price": Decimal("1.10")})
            item = session.get(f"items/{new_id}")
    assert [len(page.records) for page in pages] == [25, 20]
    assert pages[0].records[0].data["lines"][0]["id"] == 10
    assert new_id == 2002
    assert item.text.count('"price":1.10') == 1
