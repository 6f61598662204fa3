"""Employee data never reaches the warehouse or the logs: SSNs, routing and bank account numbers
and dates of birth in any field of a dropped register block the line into quarantine, masked,
with an audit-log entry and an alert, the way a card number does."""

from __future__ import annotations

import logging
from datetime import date

import dagster as dg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hl_d365_assets.pci import (
    CardNumberRedactingFilter,
    find_personal_data,
    mask_personal_data,
    personal_data_problem,
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

CHECK_DATE = date(2026, 11, 27)
SECRETS = {
    "ssn": "123-45-6789",
    "ssn_bare": "234567891",
    "ssn_spaced": "123 45 6789",
    "routing": "011000015",
    "account": "000987654321",
    "birth": "04/05/1980",
}
EXTRA = ("Routing Number", "Bank Account", "Date of Birth")
BAD_LINES = [
    PayLine("E10001", "EARNING", "01", "100.00", memo=f"employee SSN {SECRETS['ssn']} per HR"),
    PayLine("E10002", "EARNING", "01", "100.00", memo=f"old id {SECRETS['ssn_bare']}"),
    PayLine("E10003", "EARNING", "01", "100.00", extra={"Description": SECRETS["ssn_spaced"]}),
    PayLine("E10004", "NET_PAY", "DD", "100.00", extra={"Routing Number": SECRETS["routing"]}),
    PayLine("E10005", "NET_PAY", "DD", "100.00", extra={"Bank Account": SECRETS["account"]}),
    PayLine("E10006", "EARNING", "01", "100.00", extra={"Date of Birth": SECRETS["birth"]}),
]
HARMLESS_LINES = [
    # Area 666 is never issued; 011000016 fails the routing checksum and its group 00 is never
    # issued either; a nine-digit amount is an amount.
    PayLine("E10007", "EARNING", "01", "100.00", memo="666-12-3456 is a test number"),
    PayLine("E10008", "EARNING", "01", "100.00", memo="ref 011000016"),
    PayLine("E10009", "EARNING", "01", "123,456,789.00"),
] + [PayLine(f"E102{n:02d}", "EARNING", "01", "10.00", memo="ok") for n in range(30)]


@pytest.fixture(scope="module")
def instance():
    with dg.DagsterInstance.ephemeral() as test_instance:
        yield test_instance


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, instance):
    root = tmp_path_factory.mktemp("sensitive")
    data_settings = make_settings(root / "data")
    inbox, archive = root / "inbox", root / "archive"
    drop(
        inbox,
        "payroll_register",
        "register.csv",
        register_csv(BAD_LINES + HARMLESS_LINES, CHECK_DATE, extra_headers=EXTRA),
    )
    result = tick(instance, data_settings, str(inbox), str(archive))
    return data_settings, [run_requested(data_settings, instance, result.run_requests)]


def test_each_kind_of_employee_data_quarantines_its_line_masked(loaded) -> None:
    data_settings, runs = loaded
    assert all(run.success for run in runs)
    rows = query(
        data_settings,
        "SELECT reason_code, reason_detail, masked_payload FROM ops.quarantine "
        "WHERE entity = 'register' ORDER BY line_number",
    )
    assert [r[0] for r in rows] == [
        "ssn_detected",
        "ssn_detected",
        "ssn_detected",
        "routing_number_detected",
        "bank_account_detected",
        "date_of_birth_detected",
    ]
    details = [r[1] for r in rows]
    assert details[0] == "ssn_detected: Social Security number XXX-XX-6789 in the record"
    assert "XXXXX7891" in details[1] and "XXX XX 6789" in details[2]
    assert details[3] == "routing_number_detected: ABA routing number XXXXX0015 in the record"
    assert details[4] == "bank_account_detected: bank account number XXXXXXXX4321 in the record"
    assert details[5] == "date_of_birth_detected: date of birth XX/XX/XXXX in the record"
    assert "employee SSN XXX-XX-6789 per HR" in rows[0][2]


def test_the_harmless_look_alikes_load(loaded) -> None:
    data_settings, _ = loaded
    employees = {
        e for (e,) in query(data_settings, "SELECT employee_number FROM raw.payroll_register")
    }
    assert {"E10007", "E10008", "E10009"} <= employees
    assert not employees & {line.employee for line in BAD_LINES}


def test_nothing_of_it_reaches_any_table_of_the_warehouse(loaded) -> None:
    data_settings, _ = loaded
    everything = warehouse_text(data_settings)
    for secret in SECRETS.values():
        assert secret not in everything
    assert "1980-04-05" not in everything


def test_each_blocked_line_is_audited_and_an_alert_raised(loaded) -> None:
    data_settings, _ = loaded
    actions = query(
        data_settings,
        "SELECT action, detail FROM ops.audit_log WHERE source = 'heartland_payroll' "
        "ORDER BY line_number",
    )
    assert [a for a, _ in actions] == [
        "ssn_blocked",
        "ssn_blocked",
        "ssn_blocked",
        "routing_number_blocked",
        "bank_account_blocked",
        "date_of_birth_blocked",
    ]
    [(severity, message)] = query(
        data_settings,
        "SELECT severity, message FROM ops.alerts WHERE kind = 'personal_data_received'",
    )
    assert severity == "critical"
    assert message.startswith("6 heartland_payroll/register line(s) of 2026-11-27 carried")


def test_no_run_log_holds_it(loaded, instance) -> None:
    _, runs = loaded
    messages = "\n".join(
        record.user_message for run in runs for record in instance.all_logs(run.run_id)
    )
    assert "quarantined" in messages
    for secret in SECRETS.values():
        assert secret not in messages


def test_the_logging_filter_masks_employee_data() -> None:
    record = logging.LogRecord(
        "payroll",
        logging.WARNING,
        __file__,
        1,
        "SSN %s, acct %s",
        ("123-45-6789", "12345678"),
        None,
    )
    CardNumberRedactingFilter().filter(record)
    assert record.getMessage() == "SSN XXX-XX-6789, acct XXXX5678"


# -- the rules, property by property ---------------------------------------------------------

ROUTING_PREFIXES = [*range(0, 13), *range(21, 33), *range(61, 73), 80]


def issued_ssn(area: int, group: int, serial: int) -> bool:
    """The SSA never issues area 000, 666 or 900-999, group 00 or serial 0000."""
    return area not in (0, 666) and area < 900 and group != 0 and serial != 0


def aba_valid(digits: str) -> bool:
    weights = [3, 7, 1] * 3
    checksum = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 10 == 0
    return int(digits[:2]) in ROUTING_PREFIXES and checksum and digits != "000000000"


@settings(max_examples=100, deadline=None)
@given(
    area=st.integers(0, 999),
    group=st.integers(0, 99),
    serial=st.integers(0, 9999),
    separator=st.sampled_from(["-", " "]),
)
def test_a_written_ssn_is_found_exactly_when_it_could_have_been_issued(
    area: int, group: int, serial: int, separator: str
) -> None:
    text = f"note: {area:03d}{separator}{group:02d}{separator}{serial:04d} end"
    expected = [("ssn", f"XXX{separator}XX{separator}{serial:04d}")]
    assert find_personal_data(text) == (expected if issued_ssn(area, group, serial) else [])


@settings(max_examples=120, deadline=None)
@given(digits=st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_nine_bare_digits_are_a_routing_number_by_checksum_else_an_ssn_by_range(
    digits: str,
) -> None:
    kinds = [kind for kind, _ in find_personal_data(f"ref {digits}.")]
    if aba_valid(digits):
        assert kinds == ["routing_number"]
    elif issued_ssn(int(digits[:3]), int(digits[3:5]), int(digits[5:])):
        assert kinds == ["ssn"]
    else:
        assert kinds == []


@settings(max_examples=50, deadline=None)
@given(prefix=st.sampled_from(ROUTING_PREFIXES), middle=st.integers(0, 999_999))
def test_every_routing_number_with_a_valid_check_digit_is_found(prefix: int, middle: int) -> None:
    head = f"{prefix:02d}{middle:06d}"
    weights = [3, 7, 1, 3, 7, 1, 3, 7]
    check = (10 - sum(int(d) * w for d, w in zip(head, weights, strict=True)) % 10) % 10
    routing = head + str(check)
    if routing == "000000000":
        return
    assert find_personal_data(f"RTN {routing}") == [("routing_number", "XXXXX" + routing[-4:])]
    assert routing not in mask_personal_data(f"RTN {routing}")


@settings(max_examples=40, deadline=None)
@given(
    label=st.sampled_from(["Account", "acct #", "A/C", "DDA", '"Bank Account":"']),
    number=st.text(alphabet="0123456789", min_size=5, max_size=17),
)
def test_a_labelled_account_number_keeps_only_its_last_four_digits(label: str, number: str) -> None:
    masked = mask_personal_data(f"{label} {number}")
    assert masked.endswith("X" * (len(number) - 4) + number[-4:])
    assert personal_data_problem(f"{label} {number}") is not None


@pytest.mark.parametrize(
    "text",
    [
        '"account_last4":"1234"',  # what we keep on purpose
        "acct ending 1234",  # a last four, not an account number
        "hours 40.0000 amount 1234.56",
        "PAYROLL 20261120-20261127 NET",
        "HP_0123456789abcdef_12",
        "hired 2024-03-01",  # a date, not labelled as a birth
    ],
)
def test_ordinary_register_text_is_not_flagged(text: str) -> None:
    assert find_personal_data(text) == []


@pytest.mark.parametrize(
    "text",
    ["DOB: 1980-04-05", 'date_of_birth":"4/5/80', "Born on 04.05.1980", "birthday 4/5/1980"],
)
def test_a_labelled_date_of_birth_is_found_and_masked(text: str) -> None:
    [(kind, masked)] = find_personal_data(text)
    assert kind == "date_of_birth" and not any(c.isdigit() for c in masked)
    assert not any(c.isdigit() for c in mask_personal_data(text))


def test_the_card_entities_are_not_screened_for_employee_data() -> None:
    """Gateway records carry no employee data, and their nine-digit ids would look like SSNs."""
    from hl_d365_assets.raw_loader import PERSONAL_DATA_SOURCES, SOURCES

    assert {"heartland_payroll", "bank"} == PERSONAL_DATA_SOURCES
    assert set(SOURCES) - PERSONAL_DATA_SOURCES == {"heartland", "heartland_retail", "d365"}
