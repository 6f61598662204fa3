"""The raw layer's card-number screen tests each distinct run once, and finds exactly what the
per-line test finds (raw_loader.stage_card_number_findings).

The staged screen is compared, line by line, with the scanner's own per-line verdict
(``card_number_candidates(line) AND has_card_number(line)`` and the quarantine reason built
from ``card_numbers(line)``), which is what the raw layer ran on every line before: on strings
chosen to sit on the rule's edges (a run glued to a letter on one line and free on the next,
two PANs one character apart, runs joined by one separator into an over-long run, the pay run id
every register line carries) and on generated mixes of such pieces, many lines sharing runs.
"""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hl_d365_assets.pci import install_macros
from hl_d365_assets.raw_loader import stage_card_number_findings
from hl_d365_assets.warehouse import run_script, sql_file

PER_LINE_PROBLEM = """
SELECT line_number,
       CASE WHEN card_number_candidates(line) AND has_card_number(line)
            THEN 'card_number_detected: full card number '
                || list_aggregate(list_transform(card_numbers(line), lambda n: mask_card_numbers(n)), 'string_agg', ', ')
                || ' in the record'
       END
FROM landed_lines
ORDER BY line_number
"""

VISA, MASTERCARD, AMEX = "4111111111111111", "5555555555554444", "378282246310005"
PAY_RUN_ID = "20261118-20261120"

EDGE_LINES = [
    VISA,
    f"x{VISA}",
    f"{VISA}x",
    f"{VISA}/{VISA}",
    f"a{VISA}/{MASTERCARD}b",
    f"{VISA}/{MASTERCARD}b",
    f"{VISA} {VISA}",
    f"{VISA}-{MASTERCARD}",
    f"{VISA} -{MASTERCARD}",
    f"{VISA}--{MASTERCARD}",
    "4111-1111-1111-1111",
    "4111 1111 1111 1111",
    "4111--1111-1111-1111",
    f"12 {VISA}",
    f"12  {VISA}",
    f"{VISA}0000",
    f"A-{VISA}",
    f"A -{VISA}-",
    f"é{VISA}é",
    f"_{VISA}_",
    f'{{"pan":"{VISA}","id":"{AMEX}","run":"{PAY_RUN_ID}"}}',
    f'{{"run":"{PAY_RUN_ID}","file":"HLPR_{PAY_RUN_ID}.csv"}}',
    f"{AMEX},{AMEX}x,x{AMEX}",
    f"{MASTERCARD}.{MASTERCARD}",
    "4111.1111.1111.1111",
    "0000000000000",
    "",
    "no digits at all",
]


@pytest.fixture(scope="module")
def conn():
    connection = duckdb.connect(":memory:")
    install_macros(connection)
    yield connection
    connection.close()


def staged_and_per_line(conn: duckdb.DuckDBPyConnection, lines: list[str]):
    run_script(conn, sql_file("raw/stage_landed_lines.sql"))
    conn.executemany(
        "INSERT INTO landed_lines VALUES ('segment.ndjson', DATE '2026-11-20', ?, ?, true)",
        [(number, line) for number, line in enumerate(lines, start=1)],
    )
    stage_card_number_findings(conn, max_record_bytes=10**6)
    staged = dict(conn.execute("SELECT line_number, problem FROM card_number_findings").fetchall())
    per_line = conn.execute(PER_LINE_PROBLEM).fetchall()
    conn.execute("DROP TABLE card_number_findings").fetchall()
    return [(number, staged.get(number)) for number, _ in per_line], per_line


def test_the_screen_finds_what_the_per_line_test_finds_on_the_rules_edges(conn) -> None:
    # Each edge line once on its own and once among copies of the others, so that runs repeat
    # across lines in every context.
    lines = EDGE_LINES + list(reversed(EDGE_LINES)) + [f"x{line}y" for line in EDGE_LINES]
    staged, per_line = staged_and_per_line(conn, lines)
    assert staged == per_line
    found = [problem for _, problem in per_line if problem]
    assert found, "the edge lines hold card numbers the screen must find"
    assert all(VISA not in problem and MASTERCARD not in problem for problem in found)


def test_a_run_glued_to_a_letter_on_one_line_is_still_found_free_on_another(conn) -> None:
    staged, _ = staged_and_per_line(conn, [f"ref{VISA}", f"card {VISA}", f"ref{VISA}"])
    assert [problem is not None for _, problem in staged] == [False, True, False]


def test_the_pay_run_id_on_every_register_line_is_no_card_number(conn) -> None:
    staged, _ = staged_and_per_line(
        conn, [f'{{"payroll_run_id":"{PAY_RUN_ID}","row":{n}}}' for n in range(50)]
    )
    assert all(problem is None for _, problem in staged)


PIECES = st.sampled_from(
    [
        VISA,
        MASTERCARD,
        AMEX,
        PAY_RUN_ID,
        "4111-1111-1111-1111",
        "1234",
        "0",
        " ",
        "-",
        "--",
        "/",
        "a",
        "Z",
        "_",
        ",",
        '"',
        ".",
        "é",
        "x-",
        "-x",
    ]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(st.lists(PIECES, max_size=8).map("".join), min_size=1, max_size=25))
def test_the_screen_finds_what_the_per_line_test_finds_on_any_mix(conn, lines) -> None:
    staged, per_line = staged_and_per_line(conn, lines + lines[::-1])
    assert staged == per_line
