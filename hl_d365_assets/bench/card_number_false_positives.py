"""How often the card-number scan flags what is not a card number, before and after issue 13.

``python -m hl_d365_assets.bench.card_number_false_positives [transactions_per_store]`` lands one
sandbox day (the default configuration, 5 stores) in a scratch folder and scans every landed line
with three rules, counting the lines flagged that hold no card number the sandbox injected (its
ground truth names those):

- ``before``: the old rule, Luhn only, with ``brand_reference`` blanked before the scan;
- ``before, no exemption``: the old rule on the whole line (what dropping the exemption alone
  would have done);
- ``after``: today's rule (issuer ranges and lengths too), whole line, no field exempt.

The sandbox's own brand_reference is hex, which no rule flags, so each rule is measured twice:
on the day as generated, and with every brand_reference replaced by a 15-digit number, the shape
of a Visa, Amex or Discover transaction id and the reason the exemption existed. Test-scale and
one-off: not part of ``make bench``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import duckdb

from hl_d365_assets.landing import LandingZone
from hl_d365_assets.pci import install_macros
from hl_d365_assets.sandbox import SANDBOX_DAY, SandboxConfig, generate

# One-line statements over a scratch database (the rules are expressions over `line`).
LOAD_LINES = "CREATE TABLE landed AS SELECT line FROM read_csv($files, columns = {'line': 'VARCHAR'}, delim = '\x1f', quote = '', escape = '', header = false)"
SCANNED_LINES = """CREATE OR REPLACE TABLE lines AS SELECT {line} AS line FROM landed WHERE NOT list_contains($injected, regexp_extract(line, '"event_id":"([^"]*)"', 1))"""
OLD_RULE = (
    "len(list_filter(card_number_runs({text}), lambda c: NOT regexp_matches(right(c[1], 1) || "
    "left(c[3], 1), '[A-Za-z]') AND length(card_number_digits(c[2])) BETWEEN 13 AND 19 "
    "AND card_number_luhn_valid(card_number_digits(c[2])))) > 0"
)
BLANKED = 'regexp_replace(line, \'"brand_reference":"[0-9 -]*"\', \'"brand_reference":""\', \'g\')'
RULES = {
    "before": OLD_RULE.format(text=BLANKED),
    "before, no exemption": OLD_RULE.format(text="line"),
    "after": "has_card_number(line)",
}
NUMERIC_BRAND_REFERENCE = (
    'regexp_replace(line, \'"brand_reference":"[^"]*"\', \'"brand_reference":"\' || '
    "lpad((hash(line) % 1000000000000000)::VARCHAR, 15, '0') || '\"')"
)


def measure(transactions_per_store: int) -> dict[str, dict[str, tuple[int, int]]]:
    """variant -> rule -> (lines flagged without an injected PAN, lines scanned)."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        report = generate(
            LandingZone(root / "landing"),
            [SANDBOX_DAY],
            SandboxConfig(transactions_per_store_day=transactions_per_store),
            ground_truth_path=root / "ground_truth.ndjson",
        )
        injected = [
            entry["event_id"]
            for entry in report.ground_truth
            if entry["defect"] == "card_number_in_free_text"
        ]
        conn = duckdb.connect()
        install_macros(conn)
        files = [str(path) for path in report.segments]
        conn.execute(LOAD_LINES, {"files": files}).fetchall()
        results: dict[str, dict[str, tuple[int, int]]] = {}
        for variant, line in (
            ("as generated", "line"),
            ("numeric brand_reference", NUMERIC_BRAND_REFERENCE),
        ):
            conn.execute(SCANNED_LINES.format(line=line), {"injected": injected}).fetchall()
            results[variant] = {
                rule: tuple(
                    conn.execute(
                        f"SELECT count(*) FILTER (WHERE {sql}), count(*) FROM lines"
                    ).fetchall()[0]
                )
                for rule, sql in RULES.items()
            }
        return results


def main() -> None:
    per_store = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    for variant, rules in measure(per_store).items():
        for rule, (flagged, scanned) in rules.items():
            print(
                json.dumps(
                    {
                        "variant": variant,
                        "rule": rule,
                        "false_positives": flagged,
                        "lines": scanned,
                        "rate": f"{flagged / scanned:.4%}",
                    }
                )
            )


if __name__ == "__main__":
    main()
