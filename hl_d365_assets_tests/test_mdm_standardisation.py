"""Customer records are standardised so one person's records compare equal across systems:
the macros of sql/macros/customer_standards.sql and the canonical.customer_records build."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from hl_d365_assets.mdm.pipeline import standardise_customer_records
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets.warehouse import ensure_schema, run_script, sql_file

MAPPINGS = str(PROJECT_ROOT / "mappings")


@pytest.fixture
def conn() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    ensure_schema(connection)
    return connection


def _one(conn: duckdb.DuckDBPyConnection, expression: str, *args: object) -> object:
    return conn.execute(f"SELECT {expression}", list(args)).fetchone()[0]


@pytest.mark.parametrize(
    ("written", "mailbox"),
    [
        ("  Ada.Lovelace+shop@GMail.com ", "adalovelace@gmail.com"),
        ("ada.lovelace@googlemail.com", "adalovelace@gmail.com"),
        ("ada+news@outlook.com", "ada@outlook.com"),
        ("ada.lovelace+x@example.com", "ada.lovelace+x@example.com"),
        ("not an address", None),
        (None, None),
    ],
)
def test_an_email_is_reduced_to_the_mailbox_its_provider_delivers_to(conn, written, mailbox):
    assert _one(conn, "email_mailbox(?)", written) == mailbox


@pytest.mark.parametrize(
    ("written", "country", "e164"),
    [
        ("(416) 555-0123", "CA", "+14165550123"),
        ("1 212 555 0199", "US", "+12125550199"),
        ("212.555.0199", None, "+12125550199"),
        ("+44 20 7946 0958", "GB", "+442079460958"),
        ("555-0123", "US", None),
        ("020 7946 0958", "GB", None),
    ],
)
def test_a_phone_is_written_in_e164_or_not_at_all(conn, written, country, e164):
    assert _one(conn, "phone_e164(?, ?)", written, country) == e164


def test_street_lines_written_two_ways_share_one_key(conn):
    assert _one(conn, "address_key(?, NULL)", "12 King Street West") == "12 king st w"
    assert _one(conn, "address_key(?, ?)", "12 King St. W", "") == "12 king st w"
    assert _one(conn, "postcode_key(?, ?)", "m5v 2t6", "CA") == "M5V2T6"
    assert _one(conn, "postcode_key(?, ?)", "10001-1234", "US") == "10001"


def test_masks_leave_nothing_to_contact_a_person_by(conn):
    assert _one(conn, "masked_email(?)", "ada.lovelace@example.com") == "a***@example.com"
    assert _one(conn, "masked_phone(?)", "+14165550123") == "***23"


def test_records_are_standardised_and_the_walk_in_customer_and_anonymous_cards_left_out(conn):
    run_script(conn, sql_file("mdm/stage_d365_customer_records.sql"))
    conn.execute(
        "INSERT INTO customer_source_records (source, source_key, public_id, first_name, "
        "last_name, email, phone, address_1, city, state, zip, country) VALUES "
        "('heartland_retail', '7', 'C7', 'Bob', 'O''Brien', 'BOB.OBRIEN+till@gmail.com', "
        " '(416) 555-0123', '12 King Street West', 'Toronto', 'ON', 'm5v 2t6', 'CA'),"
        "('heartland_retail', '1', 'CASH', 'Walk-in', 'Customer', NULL, NULL, NULL, NULL, NULL, "
        " NULL, NULL)"
    )
    conn.execute(
        "INSERT INTO customer_source_records (source, source_key, payment_token, full_name, "
        "seen_with_source_key) VALUES ('payments', 'TKN_A', 'TKN_A', 'O''BRIEN/ROBERT', '7'), "
        "('payments', 'TKN_ANON', 'TKN_ANON', NULL, NULL)"
    )
    conn.execute(
        "INSERT INTO customer_source_records (source, source_key, full_name, email, country, "
        "d365_account) VALUES ('d365', 'usrt/US-9', 'Robert O''Brien', 'bob.obrien@gmail.com', "
        "'CAN', 'usrt/US-9')"
    )
    summary = standardise_customer_records(conn, MAPPINGS, datetime.now(UTC))

    assert summary.excluded_records == {"card_without_one_customer": 1, "walk_in_customer": 1}
    assert summary.source_records == {"d365": 1, "heartland_retail": 1, "payments": 1}
    rows = conn.execute(
        "SELECT record_key, given_name_key, last_name_key, email_mailbox, phone_e164, "
        "address_key, postcode, country_code, seen_with_record_key "
        "FROM canonical.customer_records ORDER BY record_key"
    ).fetchall()
    assert rows == [
        ("d365:usrt/US-9", "robert", "obrien", "bobobrien@gmail.com", None, None, None, "CA", None),
        (
            "heartland_retail:7",
            "robert",
            "obrien",
            "bobobrien@gmail.com",
            "+14165550123",
            "12 king st w",
            "M5V2T6",
            "CA",
            None,
        ),
        ("payments:TKN_A", "robert", "obrien", None, None, None, None, None, "heartland_retail:7"),
    ]
