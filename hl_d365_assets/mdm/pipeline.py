"""Customer matching end to end, inside one warehouse transaction.

Standardise every source record into canonical.customer_records; link records by the
deterministic rules; score the rest with the splink model (mdm/model.py); queue the uncertain
pairs for review and apply every reviewer's decision; cluster the links; give each cluster its
stable golden id; write the surviving values (mdm.customers) and the cross-reference
(mdm.customer_xref). Set-based SQL from sql/canonical and sql/mdm throughout; Python only moves
tables between the warehouse and splink's own connection.

The caller fills the temporary table ``customer_source_records`` first: from the warehouse's raw
tables (mdm/sources.py), or from the sandbox's identities (sandbox/customer_identities.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from hl_d365_assets.mdm.model import connected_components, score_pairs
from hl_d365_assets.mdm.priors import read_model_priors
from hl_d365_assets.mdm.thresholds import MatchThresholds, load_thresholds
from hl_d365_assets.mdm.training import untrained
from hl_d365_assets.warehouse import run_script, sql_file


@dataclass
class MatchingSummary:
    """Counts only: what a run's metadata and the benchmark show (never a name or address)."""

    source_records: dict[str, int] = field(default_factory=dict)
    excluded_records: dict[str, int] = field(default_factory=dict)
    links_by_rule: dict[str, int] = field(default_factory=dict)
    scored_pairs: int = 0
    review_queue_open: int = 0
    golden_customers: int = 0
    new_golden_customers: int = 0
    merged_golden_customers: int = 0
    thresholds: dict[str, float] = field(default_factory=dict)
    model: dict = field(default_factory=dict)
    """ModelTraining.as_metadata(): the prior, each EM session, which parameters were estimated
    and which took their configured prior, and why."""
    seconds: dict[str, float] = field(default_factory=dict)


def run_customer_matching(
    conn: duckdb.DuckDBPyConnection, mappings_dir: str, now: datetime
) -> MatchingSummary:
    """Standardise ``customer_source_records``, then match: both steps of the asset graph in
    one call (the benchmark and the tests)."""
    summary = MatchingSummary()
    standardise_customer_records(conn, mappings_dir, now, summary)
    return match_customers(conn, mappings_dir, now, summary)


def standardise_customer_records(
    conn: duckdb.DuckDBPyConnection,
    mappings_dir: str,
    now: datetime,
    summary: MatchingSummary | None = None,
) -> MatchingSummary:
    """Rebuild canonical.customer_records from ``customer_source_records``."""
    summary = summary or MatchingSummary()
    started = time.perf_counter()
    load_thresholds(conn, mappings_dir)
    summary.excluded_records = dict(
        conn.execute(sql_file("mdm/count_excluded_customer_records.sql")).fetchall()
    )
    run_script(conn, sql_file("canonical/insert_customer_records.sql"), {"now": now})
    summary.source_records = _counts(conn, "canonical.customer_records", "source")
    summary.seconds["standardise"] = round(time.perf_counter() - started, 3)
    return summary


def match_customers(
    conn: duckdb.DuckDBPyConnection,
    mappings_dir: str,
    now: datetime,
    summary: MatchingSummary | None = None,
) -> MatchingSummary:
    """Rebuild mdm.customers and mdm.customer_xref and refresh mdm.match_reviews from
    canonical.customer_records. The caller holds the transaction: they move together."""
    summary = summary or MatchingSummary()
    clock = _Clock(summary.seconds)
    thresholds = load_thresholds(conn, mappings_dir)
    summary.thresholds = {
        "match_probability": thresholds.match_probability,
        "review_probability": thresholds.review_probability,
    }
    run_script(conn, sql_file("mdm/stage_rule_links.sql"))
    clock.lap("rules")
    _score(conn, thresholds, now, summary)
    clock.lap("model")
    run_script(conn, sql_file("mdm/apply_review_decisions.sql"))
    summary.links_by_rule = _counts(conn, "customer_links", "linked_by")
    summary.review_queue_open = conn.execute(
        "SELECT count(*) FROM mdm.match_reviews WHERE status = 'open'"
    ).fetchone()[0]

    run_script(conn, sql_file("mdm/stage_link_graph.sql"))
    nodes = conn.sql("SELECT node_id FROM customer_nodes").to_arrow_table()
    edges = conn.sql("SELECT node_id_l, node_id_r FROM customer_edges").to_arrow_table()
    conn.register("customer_components", connected_components(nodes, edges))
    run_script(conn, sql_file("mdm/stage_golden_assignment.sql", clusters="customer_components"))
    conn.unregister("customer_components")
    clock.lap("cluster")

    run_script(conn, sql_file("mdm/stage_golden_attributes.sql"))
    run_script(conn, sql_file("mdm/write_customers.sql"), {"now": now})
    run_script(conn, sql_file("mdm/write_customer_xref.sql"), {"now": now})
    summary.golden_customers, summary.new_golden_customers = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE is_new) FROM cluster_golden"
    ).fetchone()
    summary.merged_golden_customers = conn.execute(
        "SELECT count(*) FROM golden_claims WHERE NOT survives"
    ).fetchone()[0]
    clock.lap("golden")
    return summary


def _score(
    conn: duckdb.DuckDBPyConnection,
    thresholds: MatchThresholds,
    now: datetime,
    summary: MatchingSummary,
) -> None:
    run_script(conn, sql_file("mdm/stage_match_input.sql"))
    records = conn.sql("SELECT * FROM customer_match_input").to_arrow_table()
    priors = read_model_priors(conn)
    if records.num_rows < 2:
        # Nothing to compare: the deterministic rules and reviews still run, every record
        # becomes (or stays) a golden customer, and the record says why no model was estimated.
        run_script(conn, sql_file("mdm/create_empty_scored_pairs.sql"))
        reason = f"{records.num_rows} record(s) to compare, fewer than two"
        summary.model = untrained(priors, thresholds, reason).as_metadata()
    else:
        scored = score_pairs(records, thresholds, priors)
        summary.model = scored.training.as_metadata()
        summary.scored_pairs = scored.pairs.num_rows
        conn.register("model_predictions", scored.pairs)
        conn.register("model_levels", scored.levels)
        run_script(
            conn,
            sql_file(
                "mdm/stage_model_links.sql", predictions="model_predictions", levels="model_levels"
            ),
            {"match_probability": thresholds.match_probability},
        )
        conn.unregister("model_predictions")
        conn.unregister("model_levels")
    run_script(
        conn,
        sql_file("mdm/queue_match_reviews.sql"),
        {
            "now": now,
            "match_probability": thresholds.match_probability,
            "review_probability": thresholds.review_probability,
        },
    )


def _counts(conn: duckdb.DuckDBPyConnection, table: str, column: str) -> dict[str, int]:
    return dict(
        conn.execute(f"SELECT {column}, count(*) FROM {table} GROUP BY ALL ORDER BY 1").fetchall()
    )


class _Clock:
    def __init__(self, into: dict[str, float]) -> None:
        self._into = into
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self._into[name] = round(now - self._last, 3)
        self._last = now
