"""Test helpers for the risk feature files: run a domain's ``sql/risk/features_<domain>.sql`` on a
real warehouse the way the risk step does (its days deleted first, the trailing window before
them), and evaluate ``mappings/risk_rules.csv`` on the features with one SQL join — a stand-in
for piece D's evaluator, enough to show which rules a hand-made pattern fires."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from hl_d365_assets.risk.config import RiskSettings
from hl_d365_assets.settings import PROJECT_ROOT
from hl_d365_assets.warehouse import run_script, sql_file

RULES_CSV = PROJECT_ROOT / "mappings" / "risk_rules.csv"
WINDOW_DAYS = 28


def write_features(
    conn: duckdb.DuckDBPyConnection, domain: str, first: date, last: date | None = None
) -> None:
    last = last or first
    conn.execute(
        "DELETE FROM risk.features WHERE domain = $domain AND business_date BETWEEN $first AND $last",
        {"domain": domain, "first": first, "last": last},
    ).fetchall()
    run_script(
        conn,
        sql_file(f"risk/features_{domain}.sql"),
        {**RiskSettings(window_days=WINDOW_DAYS).feature_params(first), "last": last},
    )


def fired_rules(
    conn: duckdb.DuckDBPyConnection, domain: str, rules_csv: Path = RULES_CSV
) -> list[dict]:
    """Every (feature row, rule) where the rule's comparison holds, with the rule's pattern."""
    cursor = conn.execute(
        """
        WITH rules AS (
            SELECT * FROM read_csv($rules, header = true, all_varchar = true)
        )
        SELECT f.business_date, f.entity_kind, f.entity_id, f.feature, f.value, f.evidence,
               f.record_ids, r.rule_id, r.pattern, r.severity, CAST(r.points AS INTEGER) AS points
        FROM risk.features AS f
        JOIN rules AS r
            ON r.domain = f.domain AND r.entity_kind = f.entity_kind AND r.feature = f.feature
            AND f.business_date >= CAST(r.valid_from AS DATE)
        WHERE f.domain = $domain AND CASE r.operator
            WHEN '>=' THEN f.value >= CAST(r.threshold AS DOUBLE)
            WHEN '>' THEN f.value > CAST(r.threshold AS DOUBLE)
            WHEN '<=' THEN f.value <= CAST(r.threshold AS DOUBLE)
            WHEN '<' THEN f.value < CAST(r.threshold AS DOUBLE)
        END
        ORDER BY f.business_date, f.entity_id, r.rule_id
        """,
        {"rules": str(rules_csv), "domain": domain},
    )
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def alerting(fired: list[dict]) -> list[dict]:
    """Fired rules that alert on their own (contract: severity high with 60 points or more)."""
    return [row for row in fired if row["severity"] == "high" and row["points"] >= 60]
