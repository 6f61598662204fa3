"""The PCI card-number scanner: which strings hold a PAN, and that none escapes masked output.

Positive vectors are the brands' published test numbers (all Luhn-valid, none a real account).
Negative vectors are the look-alikes a payments pipeline carries all day.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hl_d365_assets.pci import (
    CardNumberRedactingFilter,
    contains_card_number,
    find_card_numbers,
    install_macros,
    mask_card_numbers,
)

# (brand, PAN as issued, masked form)
BRAND_TEST_NUMBERS = [
    ("visa-13", "4222222222222", "422222XXX2222"),
    ("visa-16", "4111111111111111", "411111XXXXXX1111"),
    ("visa-16b", "4012888888881881", "401288XXXXXX1881"),
    ("visa-19", "4111111111111111110", "411111XXXXXXXXX1110"),
    ("mastercard-5", "5555555555554444", "555555XXXXXX4444"),
    ("mastercard-5b", "5105105105105100", "510510XXXXXX5100"),
    ("mastercard-2", "2223003122003222", "222300XXXXXX3222"),
    ("amex", "378282246310005", "378282XXXXX0005"),
    ("amex-b", "371449635398431", "371449XXXXX8431"),
    ("discover", "6011111111111117", "601111XXXXXX1117"),
    ("discover-b", "6011000990139424", "601100XXXXXX9424"),
    ("diners-14", "30569309025904", "305693XXXX5904"),
    ("diners-14b", "38520000023237", "385200XXXX3237"),
    ("jcb", "3530111333300000", "353011XXXXXX0000"),
    ("jcb-b", "3566002020360505", "356600XXXXXX0505"),
    ("unionpay", "6200000000000005", "620000XXXXXX0005"),
    ("maestro-16", "6759649826438453", "675964XXXXXX8453"),
    ("maestro-19", "6759649826438453003", "675964XXXXXXXXX3003"),
    ("luhn-17", "41111111111111113", "411111XXXXXXX1113"),
    ("luhn-18", "411111111111111118", "411111XXXXXXXX1118"),
]


def _grouped(pan: str, separators: str) -> str:
    """The PAN in groups of four, joined by the given separators in turn."""
    groups = [pan[i : i + 4] for i in range(0, len(pan), 4)]
    joined = groups[0]
    for index, group in enumerate(groups[1:]):
        joined += separators[index % len(separators)] + group
    return joined


def _positive_cases() -> list[tuple[str, str, str]]:
    cases = []
    for brand, pan, masked in BRAND_TEST_NUMBERS:
        cases += [
            (f"{brand}-plain", pan, masked),
            (f"{brand}-spaced", _grouped(pan, " "), masked),
            (f"{brand}-dashed", _grouped(pan, "-"), masked),
            (f"{brand}-mixed", _grouped(pan, " -"), masked),
        ]
    cases += [
        ("amex-as-embossed", "3782 822463 10005", "378282XXXXX0005"),
        ("diners-as-embossed", "3056 930902 5904", "305693XXXX5904"),
        ("every-digit-spaced", " ".join("4111111111111111"), "411111XXXXXX1111"),
        ("ungrouped-dashes", "41111-11111-111111", "411111XXXXXX1111"),
    ]
    return cases


POSITIVE_CASES = _positive_cases()

NOT_CARD_NUMBERS = {
    "luhn-invalid-16": "4111111111111112",
    "luhn-invalid-15": "378282246310006",
    "luhn-valid-12-digits": "411111111117",
    "luhn-valid-20-digit-run": "12345678901234567894",
    "luhn-valid-16-window-in-20-digit-run": "41111111111111110000",
    "luhn-valid-16-window-in-23-digit-run": "1234567" + "4111111111111111",
    "luhn-valid-16-window-in-spaced-21-digit-run": "4111 1111 1111 1111 11111",
    "masked-visa": "411111XXXXXX1111",
    "masked-amex": "379132XXXXX1007",
    "masked-lowercase": "411111xxxxxx1111",
    "iso-timestamp": "2026-11-20T19:03:22.123Z",
    "iso-timestamp-spaced": "2026-11-20 19:03:22.123",
    "local-timestamp": "2026-11-20T14:03:22-05:00",
    "phone-us": "+1 (212) 555-0142",
    "phone-us-dashed": "+1 212-555-0142",
    "phone-uk": "+44 20 7946 0958",
    "uuid": "550e8400-e29b-41d4-a716-446655440000",
    "uuid-luhn-valid-run-glued-to-hex-letter": "123e4567-e89b-12d3-a456-426614174007",
    "merchant-id": "101023947262",
    "minor-units-amount": "259300",
    "dotted-pan": "4111.1111.1111.1111",
    "slashed-pan": "4111/1111/1111/1111",
    "double-spaced-pan": "4111  1111  1111  1111",
    "double-dashed-pan": "4111--1111--1111--1111",
    "space-and-dash-between-digits": "4111 -1111 -1111 -1111",
    "gp-transaction-id": "TRN_AB4111111111111111CDEFGHIJKL",
    "gp-payment-method-token": "PMT_4111111111111111abcdef0123456789",
    "gp-account-id": "TRA_abcdefabcdefabcd4111111111111111",
    "pos-ticket-reference-luhn-valid-run-glued-to-store": "TKT-S001-20261120-000107-T1",
    "pan-glued-to-letters": "CC4111111111111111",
    "deposit-date": "DEP_20261120_000123",
}


# Real PANs glued, joined and split by every kind of neighbour, for the property tests.
_DIGIT_HEAVY_TEXT = st.lists(
    st.sampled_from(
        [
            *("4111 1111 1111 1111", "378282246310005", "6011-0009-9013-9424", "4111", "1111"),
            *("7", " ", "-", "  ", ".", "x", "_", "\n"),
        ]
    ),
    max_size=12,
).map("".join)


@pytest.mark.parametrize(
    ("pan_as_written", "masked"),
    [(text, masked) for _, text, masked in POSITIVE_CASES],
    ids=[case_id for case_id, _, _ in POSITIVE_CASES],
)
def test_brand_test_number_is_found_and_masked_in_every_written_form(pan_as_written, masked):
    assert contains_card_number(pan_as_written)
    assert find_card_numbers(pan_as_written) == [masked]
    assert mask_card_numbers(pan_as_written) == masked


@pytest.mark.parametrize(
    ("pan_as_written", "masked"),
    [(text, masked) for _, text, masked in POSITIVE_CASES],
    ids=[case_id for case_id, _, _ in POSITIVE_CASES],
)
def test_card_number_in_free_text_is_masked_in_place(pan_as_written, masked):
    text = f"Customer read card {pan_as_written}, exp 12/27, over the phone."
    assert find_card_numbers(text) == [masked]
    assert mask_card_numbers(text) == f"Customer read card {masked}, exp 12/27, over the phone."


@pytest.mark.parametrize(
    ("pan_as_written", "masked"),
    [(text, masked) for _, text, masked in POSITIVE_CASES],
    ids=[case_id for case_id, _, _ in POSITIVE_CASES],
)
def test_card_number_in_a_landing_json_line_is_found_beside_harmless_ids(pan_as_written, masked):
    line = _landing_line(description=f"keyed {pan_as_written} by hand")
    assert find_card_numbers(line) == [masked]
    masked_line = mask_card_numbers(line)
    assert json.loads(masked_line)["payload"]["description"] == f"keyed {masked} by hand"
    assert masked_line == _landing_line(description=f"keyed {masked} by hand")


@pytest.mark.parametrize("look_alike", NOT_CARD_NUMBERS.values(), ids=NOT_CARD_NUMBERS.keys())
def test_look_alike_is_not_a_card_number(look_alike):
    for text in (look_alike, f"ref {look_alike} ok", _landing_line(description=look_alike)):
        assert not contains_card_number(text)
        assert find_card_numbers(text) == []
        assert mask_card_numbers(text) == text


def test_dotted_digits_are_not_a_card_number_by_rule():
    """Only a single space or dash continues a run: '4111.1111.1111.1111' is four short runs.

    Dots, slashes and doubled separators are outside the rule on purpose (they are how amounts,
    dates and versions are written); this pins that choice so widening it is a visible decision.
    """
    assert not contains_card_number("4111.1111.1111.1111")
    assert contains_card_number("4111 1111 1111 1111")


def test_clean_landing_line_holds_no_card_number():
    line = _landing_line(description="")
    assert not contains_card_number(line)
    assert mask_card_numbers(line) == line


def test_every_card_number_in_a_text_is_masked_and_other_runs_are_kept():
    text = (
        "a 4111 1111 1111 1111, b 378282246310005; not 4111111111111112 "
        "nor 12345678901234567894, c 6011-0009-9013-9424."
    )
    assert find_card_numbers(text) == ["411111XXXXXX1111", "378282XXXXX0005", "601100XXXXXX9424"]
    assert mask_card_numbers(text) == (
        "a 411111XXXXXX1111, b 378282XXXXX0005; not 4111111111111112 "
        "nor 12345678901234567894, c 601100XXXXXX9424."
    )


def test_pan_touching_an_identifier_on_one_side_only_is_still_found_on_the_other_side():
    text = "4111111111111111x 4111111111111111"
    assert find_card_numbers(text) == ["411111XXXXXX1111"]
    assert mask_card_numbers(text) == "4111111111111111x 411111XXXXXX1111"


@pytest.mark.parametrize(
    "text", ["card_4111111111111111", '"pan":"4111111111111111"', "PAN#4111111111111111"]
)
def test_underscore_quote_and_hash_do_not_hide_a_card_number(text):
    assert find_card_numbers(text) == ["411111XXXXXX1111"]


@pytest.mark.parametrize(
    ("pan_as_written", "masked"),
    [(text, masked) for _, text, masked in POSITIVE_CASES],
    ids=[case_id for case_id, _, _ in POSITIVE_CASES],
)
def test_masked_output_never_contains_the_pan(pan_as_written, masked):
    pan_digits = pan_as_written.replace(" ", "").replace("-", "")
    masked_text = mask_card_numbers(f"x {pan_as_written} y {pan_as_written}")
    assert pan_as_written not in masked_text
    assert pan_digits not in masked_text.replace(" ", "").replace("-", "")
    assert not contains_card_number(masked_text)
    assert all(pan_digits not in found for found in find_card_numbers(pan_as_written))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(alphabet="0123456789 -x.", max_size=60), _DIGIT_HEAVY_TEXT))
def test_masking_leaves_no_card_number_and_is_stable(text):
    masked = mask_card_numbers(text)
    assert not contains_card_number(masked)
    assert mask_card_numbers(masked) == masked
    assert (masked != text) == bool(find_card_numbers(text))


@settings(max_examples=300, deadline=None)
@given(_DIGIT_HEAVY_TEXT)
def test_prefilter_never_hides_a_card_number(text):
    """The cheap candidate check must be a necessary condition of the full rule."""
    conn = _macro_connection()
    unfiltered, filtered = conn.execute(
        """
        SELECT
            list_filter(
                card_number_runs(CAST($text AS VARCHAR)),
                lambda context: card_number_is_pan(context[1], context[2], context[3])
            ),
            card_numbers(CAST($text AS VARCHAR))
        """,
        {"text": text},
    ).fetchall()[0]
    assert [context[1] for context in unfiltered] == filtered


@settings(max_examples=300, deadline=None)
@given(_DIGIT_HEAVY_TEXT)
def test_candidate_pattern_means_the_same_to_python_re_and_to_duckdb(text):
    """pci.py answers non-candidates in Python with this pattern, so the two engines must agree."""
    conn = _macro_connection()
    pattern, in_duckdb = conn.execute(
        "SELECT card_number_candidate_pattern(), card_number_candidates(CAST(? AS VARCHAR))",
        [text],
    ).fetchall()[0]
    assert (re.search(pattern, text) is not None) == in_duckdb


@functools.cache
def _macro_connection() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    install_macros(conn)
    return conn


def test_null_text_holds_no_card_number():
    conn = duckdb.connect()
    install_macros(conn)
    row = conn.execute(
        "SELECT has_card_number(NULL), card_numbers(NULL), mask_card_numbers(NULL)"
    ).fetchall()
    assert row == [(False, [], None)]


def test_logging_filter_masks_card_numbers_in_message_arguments_and_traceback():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(CardNumberRedactingFilter())
    logger = logging.getLogger("hl_d365_assets_tests.pci.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("payment note: %s", "card 4111 1111 1111 1111 keyed")
        logger.warning("inline 5555555555554444 in the format string")
        try:
            raise ValueError("bad input 378282246310005")
        except ValueError:
            logger.exception("rejected")
        logger.warning("%d arguments for %s", "4111111111111111")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "payment note: card 411111XXXXXX1111 keyed" in written
    assert "inline 555555XXXXXX4444 in the format string" in written
    assert "ValueError: bad input 378282XXXXX0005" in written
    for pan in ("4111 1111 1111 1111", "4111111111111111", "5555555555554444", "378282246310005"):
        assert pan not in written


def test_logging_filter_leaves_records_without_card_numbers_untouched():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "batch %s closed", ("BAT_1",), None)
    assert CardNumberRedactingFilter().filter(record)
    assert (record.msg, record.args) == ("batch %s closed", ("BAT_1",))


def test_scanner_gives_the_same_answers_from_many_threads():
    texts = [text for _, text, _ in POSITIVE_CASES] + list(NOT_CARD_NUMBERS.values())
    expected = [contains_card_number(text) for text in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(5):
            assert list(pool.map(contains_card_number, texts)) == expected


def test_installed_macros_agree_set_based_with_the_python_functions():
    conn = duckdb.connect()
    install_macros(conn)
    texts = (
        [text for _, text, _ in POSITIVE_CASES]
        + [_landing_line(description=f"keyed {text}") for _, text, _ in POSITIVE_CASES]
        + list(NOT_CARD_NUMBERS.values())
        + [_landing_line(description=text) for text in NOT_CARD_NUMBERS.values()]
    )
    conn.execute("CREATE TABLE vectors (position INTEGER, text VARCHAR)").fetchall()
    conn.executemany("INSERT INTO vectors VALUES (?, ?)", list(enumerate(texts)))
    rows = conn.execute(
        """
        SELECT
            has_card_number(text),
            list_transform(card_numbers(text), lambda run: card_number_masked(run)),
            mask_card_numbers(text)
        FROM vectors
        ORDER BY position
        """
    ).fetchall()
    assert rows == [
        (contains_card_number(text), find_card_numbers(text), mask_card_numbers(text))
        for text in texts
    ]
    flagged = conn.execute("SELECT count(*) FROM vectors WHERE has_card_number(text)").fetchall()
    assert flagged == [(2 * len(POSITIVE_CASES),)]


def test_install_macros_can_run_twice_on_one_connection():
    conn = duckdb.connect()
    install_macros(conn)
    install_macros(conn)
    assert conn.execute("SELECT has_card_number('4111111111111111')").fetchall() == [(True,)]


def _landing_line(description: str, brand_reference: str | None = None) -> str:
    """A GP-API transaction envelope as the landing zone stores it (docs/landing_format.md)."""
    card = {"brand_reference": brand_reference} if brand_reference is not None else {}
    return json.dumps(
        {
            "event_id": "EVT_9Q6B9L1Q7TSGVJJG5ZDIPZJTXAEL01",
            "event_type": "transaction.captured",
            "received_at": "2026-11-20T19:03:23.001Z",
            "payload": {
                "id": "TRN_U8MIIUVZZR251H2R65XTGZH37JCV2Z",
                "time_created": "2026-11-20T19:03:22.123Z",
                "status": "CAPTURED",
                "type": "SALE",
                "merchant_id": "101023947262",
                "account_id": "TRA_893bb141de8628e105d09cb3f17015ae",
                "amount": "2593",
                "gratuity_amount": "200",
                "currency": "USD",
                "reference": "TKT-S001-20261120-000107-T1",
                "description": description,
                "batch_id": "BAT_3LTQ3FJ0SP4AJLJS4GFMANC0OO3M4N",
                "payment_method": {
                    "result": "00",
                    "entry_mode": "CHIP",
                    "id": "PMT_f0ed07c965fb208acbe560b757c8017a",
                    "card": {
                        "brand": "VISA",
                        "masked_number_first6last4": "411111XXXXXX1111",
                        "authcode": "WA2K65",
                        **card,
                    },
                },
            },
        },
        separators=(",", ":"),
    )


# --- issuer ranges: what cuts false positives now that no field is exempt ------------------------


@pytest.mark.parametrize(
    "look_alike",
    [
        "100000000000009",  # Luhn-valid, 15 digits: no brand issues numbers starting with 1
        "900000000000001",  # nor with 9 (outside Troy's 9792 and Humo's 9860)
        "3400000000000000",  # an Amex prefix, but Amex issues only 15 digits
        "5500000000000000004",  # Mastercard issues only 16 digits
        "0000000000000000",  # no brand starts with 0
        "7000000000000000003",  # nor with 7
    ],
)
def test_luhn_valid_run_outside_every_brands_ranges_or_lengths_is_not_a_card_number(look_alike):
    assert (
        sum(
            (int(d) if i % 2 == 0 else [0, 2, 4, 6, 8, 1, 3, 5, 7, 9][int(d)])
            for i, d in enumerate(reversed(look_alike))
        )
        % 10
        == 0
    ), "the vector must pass Luhn, so only the issuer rule can reject it"
    line = _landing_line(description="", brand_reference=look_alike)
    assert not contains_card_number(look_alike)
    assert not contains_card_number(line)


@pytest.mark.parametrize(
    ("pan_as_written", "masked"),
    [(text, masked) for _, text, masked in POSITIVE_CASES],
    ids=[case_id for case_id, _, _ in POSITIVE_CASES],
)
def test_card_number_in_brand_reference_is_found_like_anywhere_else(pan_as_written, masked):
    """brand_reference used to be blanked before the scan; a PAN there loaded into raw."""
    line = _landing_line(description="", brand_reference=pan_as_written)
    assert find_card_numbers(line) == [masked]
    assert (
        json.loads(mask_card_numbers(line))["payload"]["payment_method"]["card"]["brand_reference"]
        == masked
    )


def test_the_scheme_transaction_ids_the_exemption_was_for_are_mostly_not_card_numbers():
    """Every Luhn-valid 15-digit id (the shape of a Visa transaction id) in a sample of 10,000:
    the issuer rule keeps only those that start like an Amex, Diners, Visa or Maestro number."""
    conn = _macro_connection()
    flagged, luhn_valid = conn.execute(
        """
        WITH ids AS (
            SELECT lpad((hash(n) % 1000000000000000)::VARCHAR, 15, '0') AS id FROM range(10000) AS r(n)
        )
        SELECT count(*) FILTER (WHERE has_card_number(id)), count(*) FILTER (WHERE card_number_luhn_valid(id))
        FROM ids
        """
    ).fetchall()[0]
    assert luhn_valid > 900
    assert flagged < luhn_valid * 0.25


# --- the quarantine masks the whole line, then cuts it -------------------------------------------

QUARANTINE_PAYLOAD_CHARS = 4096


@pytest.mark.parametrize("pan_as_written", ["4012888888881881", "4012 8888 8888 1881"])
def test_quarantined_payload_keeps_no_digits_of_a_card_number_straddling_the_cut(
    settings, zone, pan_as_written
):
    """A PAN at every offset around the 4 KiB cut: the stored payload is the masked line, cut."""
    from datetime import date

    from hl_d365_assets.landing import LandingWriter
    from hl_d365_assets.raw_loader import load_entity
    from hl_d365_assets.warehouse import ensure_schema

    day = date(2026, 11, 20)
    masked = "401288XXXXXX1881"
    lines = {}
    for offset in range(
        QUARANTINE_PAYLOAD_CHARS - len(pan_as_written) - 2, QUARANTINE_PAYLOAD_CHARS + 2
    ):
        head = f'{{"event_id":"EVT_CUT_{offset}","event_type":"transaction.captured","payload":{{"description":"'
        filler = "x" * (offset - len(head) - 1) + " "
        lines[f"EVT_CUT_{offset}"] = f'{head}{filler}{pan_as_written} and more text"}}}}'
        assert lines[f"EVT_CUT_{offset}"].index(pan_as_written) == offset
    with LandingWriter(zone, "test") as writer:
        writer.append_lines("heartland", "payment_transactions", day, list(lines.values()))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(settings.warehouse_path))
    try:
        ensure_schema(conn)
        load_entity(
            conn,
            "payment_transactions",
            zone.segments("heartland", "payment_transactions", day),
            [day],
        )
        stored = dict(
            conn.execute("SELECT event_id, masked_payload FROM ops.quarantine").fetchall()
        )
    finally:
        conn.close()
    assert stored.keys() == lines.keys()
    for event_id, line in lines.items():
        expected = line.replace(pan_as_written, masked)[:QUARANTINE_PAYLOAD_CHARS]
        assert stored[event_id] == expected, event_id
        assert "4012888" not in stored[event_id].replace(" ", "")
