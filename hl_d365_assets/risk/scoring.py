"""The risk step of a business day, in three parts (the three risk assets):

1. :func:`write_features` runs each domain's ``sql/risk/features_<domain>.sql`` for the days
   (their rows deleted first, so a day scored twice gives the same rows);
2. :func:`write_scores` meets every feature with the rules of ``ref.risk_rules`` in one join,
   scores every entity with the model trained on the trailing window, and writes risk.scores;
3. :func:`write_alerts` keeps the scores at or above the alert score as risk.alerts and records
   them in recon.exceptions (kind ``risk_<pattern>``) and, when high, in ops.alerts.

The caller loads the mappings (ref.risk_rules, ref.risk_settings) and owns the transaction.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb

from hl_d365_assets.risk.config import RiskSettings
from hl_d365_assets.risk.model import ModelOutcome, score_with_model
from hl_d365_assets.warehouse import SQL_DIR, run_script, sql_file

DOMAINS = ("payments", "settlement", "pos", "payroll")
"""One features file per domain (docs/risk.md); payroll's business day is the check date."""


@dataclass(frozen=True)
class FeatureOutcome:
    rows_by_domain: dict[str, int]
    missing_files: list[str]
    """Domains whose features file is not in this build: scored without them (logged)."""
    seconds_by_domain: dict[str, float]
    """Wall time of each domain's file over the days (the 20 s budget is for all of them)."""


def write_features(
    conn: duckdb.DuckDBPyConnection,
    first: date,
    last: date,
    settings: RiskSettings,
    domains: Sequence[str] = DOMAINS,
) -> FeatureOutcome:
    """Rebuild risk.features of the days from each domain's file that exists, one day at a time
    in date order: a day's history features (a terminal's own baseline, earlier card-not-present
    marks) read the risk.features rows of the days before it, so in a range each day must see
    the days before it already scored. Each day's rows get the model's sampling key
    (sql/risk/key_features.sql) once all its domains are written.

    ``domains``: the domains rebuilt (all by default); the other domains' rows of the days stay
    as their last rebuild wrote them (payroll_job rebuilds only payroll's: its run changes no
    input of the others)."""
    unknown = sorted(set(domains) - set(DOMAINS))
    if unknown:
        raise ValueError(f"unknown risk domain(s) {unknown}; the domains are {list(DOMAINS)}")
    domains = [domain for domain in DOMAINS if domain in domains]
    missing = [
        f"risk/features_{domain}.sql"
        for domain in domains
        if not (SQL_DIR / f"risk/features_{domain}.sql").is_file()
    ]
    seconds = dict.fromkeys(domains, 0.0)
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        params = settings.feature_params(day)
        for domain in domains:
            started = time.perf_counter()
            relative = f"risk/features_{domain}.sql"
            run_script(conn, sql_file("risk/delete_features.sql"), {**params, "domain": domain})
            if relative not in missing:
                run_script(conn, sql_file(relative), params)
            seconds[domain] += time.perf_counter() - started
        run_script(conn, sql_file("risk/key_features.sql"), {"first": day, "last": day})
    rows = dict(
        conn.execute(
            sql_file("risk/count_features_by_domain.sql"), {"first": first, "last": last}
        ).fetchall()
    )
    return FeatureOutcome(
        rows_by_domain=rows,
        missing_files=missing,
        seconds_by_domain={domain: round(s, 3) for domain, s in seconds.items()},
    )


def write_scores(
    conn: duckdb.DuckDBPyConnection, first: date, last: date, settings: RiskSettings
) -> list[ModelOutcome]:
    """Rules and model over risk.features of the days into risk.scores."""
    window = {"first": first, "last": last}
    run_script(conn, sql_file("risk/score_rules.sql"), window)
    try:
        outcomes = [
            score_with_model(conn, first + timedelta(days=n), settings)
            for n in range((last - first).days + 1)
        ]
        run_script(conn, sql_file("risk/write_scores.sql"), {**window, **settings.score_params()})
    finally:
        run_script(conn, sql_file("risk/drop_scoring_stage.sql"))
    return outcomes


def write_alerts(
    conn: duckdb.DuckDBPyConnection,
    first: date,
    last: date,
    settings: RiskSettings,
    run_id: str,
) -> None:
    """risk.alerts of the days, and their review rows and webhook alerts."""
    window = {"first": first, "last": last}
    run_script(
        conn, sql_file("risk/write_alerts.sql"), {**window, "alert_score": settings.alert_score}
    )
    run_script(conn, sql_file("risk/record_risk_exceptions.sql"), {**window, "run_id": run_id})
