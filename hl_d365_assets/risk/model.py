"""The unsupervised half of risk scoring: an IsolationForest per merchant (D365 legal entity),
domain and entity kind, trained on the trailing window's feature vectors and never on the day it
scores (docs/risk.md says why IsolationForest and not PyOD's ECOD or HBOS).

Set-based at both ends: DuckDB hands over each day's rows as matrix coordinates (group, row,
column, value; sql/risk/select_model_*.sql) in one query each, numpy scatters them into one
matrix per group, and the scores go back as one Arrow table. Python loops over the groups (a few
per legal entity), never over rows. Training is a deterministic hash sample of at most
``model_max_training_rows`` entity-days per group, so a million-transaction day with 28 days of
history trains in bounded time and memory; the fixed ``random_state`` makes a re-run give the
same scores.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pyarrow as pa

from hl_d365_assets.risk.config import RiskSettings
from hl_d365_assets.warehouse import run_script, sql_file

if TYPE_CHECKING:
    from sklearn.ensemble import IsolationForest

SCORING_MEMORY_MIB = 128
"""sklearn's working memory for scoring: the day's rows are scored in chunks of this size."""
PARALLEL_ROWS = 20_000
"""From this many rows of a day a model scores them in one thread per core."""


@dataclass(frozen=True)
class ModelOutcome:
    groups: int
    """Merchant x domain x entity kind groups the day has."""
    trained: int
    """Groups with enough history to train a model (the others are scored by rules only)."""
    scored_rows: int
    training_rows: int
    seconds: float
    """Wall time of sampling the window, training and scoring (part of the risk/scores step)."""


def model_version(settings: RiskSettings, day: date) -> str:
    """Library, version, algorithm, training window and a hash of the parameters."""
    from importlib.metadata import version

    first = day - timedelta(days=settings.window_days)
    return (
        f"scikit-learn {version('scikit-learn')} IsolationForest "
        f"window {first}..{day - timedelta(days=1)} params {settings.params_hash()}"
    )


def score_with_model(
    conn: duckdb.DuckDBPyConnection, day: date, settings: RiskSettings
) -> ModelOutcome:
    """Train on the window before ``day`` and score ``day``'s entities (temp table
    risk_entities, from sql/risk/score_rules.sql) into risk_model_scores."""
    started = time.perf_counter()
    params = {
        "day": day,
        "window_start": day - timedelta(days=settings.window_days),
        "max_rows": settings.model_max_training_rows,
        "window_days": settings.window_days,
    }
    try:
        run_script(conn, sql_file("risk/stage_model_sampling.sql"), params)
        cut = conn.execute(sql_file("risk/select_model_sampling_cut.sql")).fetchone()[0]
        run_script(conn, sql_file("risk/stage_model_training.sql"), {**params, "cut": cut})
        groups = conn.execute("SELECT count(*) FROM risk_model_groups").fetchone()[0]
        widths = dict(
            conn.execute(
                "SELECT model_group, count(*) FROM risk_model_columns GROUP BY model_group"
            ).fetchall()
        )
        # A model of a day or two of history calls every entity of a sparse kind (a cashier's few
        # tickets) unusual: it learns from a week on, the rules alone score the first days.
        history_days = conn.execute(
            sql_file("risk/count_model_history_days.sql"),
            {"day": day, "window_start": day - timedelta(days=settings.window_days)},
        ).fetchone()[0]
        train = conn.execute(sql_file("risk/select_model_training.sql")).fetchnumpy()
        scoring = conn.execute(sql_file("risk/select_model_scoring.sql"), {"day": day}).fetchnumpy()
        results = []
        trained = training_rows = 0
        for group, width in sorted(widths.items()):
            x_train = _matrix(train, group, width)
            if (
                x_train is None
                or len(x_train) < settings.model_min_training_rows
                or history_days < settings.model_min_history_days
            ):
                continue
            day_rows = _day_matrix(scoring, group, width)
            if day_rows is None:
                continue
            results.append(_fit_and_score(group, *day_rows, x_train, settings))
            trained += 1
            training_rows += len(x_train)
        if results:
            conn.register("model_scores_arrow", pa.concat_tables(results))
            try:
                conn.execute(
                    sql_file("risk/record_model_scores.sql"),
                    {"model_version": model_version(settings, day)},
                ).fetchall()
            finally:
                conn.unregister("model_scores_arrow")
        return ModelOutcome(
            groups=groups,
            trained=trained,
            scored_rows=sum(len(r) for r in results),
            training_rows=training_rows,
            seconds=round(time.perf_counter() - started, 3),
        )
    finally:
        run_script(conn, sql_file("risk/drop_model_stage.sql"))


def _matrix(rows: dict[str, np.ndarray], group: int, width: int) -> np.ndarray | None:
    """The group's rows (sorted by group) scattered into a float32 matrix; a feature an entity
    lacks is NaN until filled with the training median."""
    groups = rows["model_group"]
    start, stop = np.searchsorted(groups, [group, group + 1])
    if start == stop:
        return None
    row_no = rows["row_no"][start:stop].astype(np.int64)
    matrix = np.full((int(row_no.max()) + 1, width), np.nan, dtype=np.float32)
    matrix[row_no, rows["col"][start:stop].astype(np.int64)] = rows["value"][start:stop]
    return matrix


def _day_matrix(
    rows: dict[str, np.ndarray], group: int, width: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """The day's rows of the group as a float32 matrix, and the entity (risk_entities.row_no,
    numbered over all the day's entities, not per group) of each matrix row. The rows' order
    does not matter: each entity is scored on its own row."""
    groups = rows["model_group"]
    start, stop = np.searchsorted(groups, [group, group + 1])
    if start == stop:
        return None
    entities, row_no = np.unique(rows["row_no"][start:stop], return_inverse=True)
    col = rows["col"][start:stop].astype(np.int64)
    known = col >= 0
    matrix = np.full((len(entities), width), np.nan, dtype=np.float32)
    matrix[row_no[known], col[known]] = rows["value"][start:stop][known]
    return entities.astype(np.int64), matrix


def _anomaly_scores(forest: IsolationForest, x_day: np.ndarray) -> np.ndarray:
    """IsolationForest's anomaly score 2^(-E[h(x)]/c(n)) (score_samples negated): ~0.5 usual,
    -> 1 isolated. A million rows are split into one slice per core, scored in threads (the trees
    walk without the GIL) and in chunks of SCORING_MEMORY_MIB, so time and memory stay bounded.
    Slices of rows, not sklearn's own threads over trees: those add each tree's depths in the
    order the threads finish, and a re-run would differ in the last bit."""

    import sklearn

    def score(rows: np.ndarray) -> np.ndarray:
        with sklearn.config_context(working_memory=SCORING_MEMORY_MIB):
            return -forest.score_samples(rows)

    slices = min(os.cpu_count() or 1, 4) if len(x_day) >= PARALLEL_ROWS else 1
    with ThreadPoolExecutor(slices) as pool:
        return np.concatenate(list(pool.map(score, np.array_split(x_day, slices))))


def _fit_and_score(
    group: int,
    entities: np.ndarray,
    x_day: np.ndarray,
    x_train: np.ndarray,
    settings: RiskSettings,
) -> pa.Table:
    median = np.nan_to_num(np.nanmedian(x_train, axis=0))
    spread = np.nanpercentile(x_train, 75, axis=0) - np.nanpercentile(x_train, 25, axis=0)
    spread = np.where(np.isfinite(spread) & (spread > 0), spread, 1.0)
    x_train = np.where(np.isnan(x_train), median, x_train)
    x_day = np.where(np.isnan(x_day), median, x_day)
    # Imported where a model is trained: the Dagster definitions import this module, and
    # scikit-learn took 2 s of every process start, mostly spent where no model is trained.
    from sklearn.ensemble import IsolationForest

    forest = IsolationForest(
        n_estimators=settings.model_trees,
        max_samples=min(settings.model_max_samples, len(x_train)),
        random_state=settings.model_random_state,
    ).fit(x_train)
    anomaly = _anomaly_scores(forest, x_day)
    # The feature farthest from the training median (in interquartile ranges) names the reason,
    # for the entities the model adds points to.
    unusual = anomaly >= settings.model_floor
    top_col = np.full(len(x_day), -1, dtype=np.int32)
    if unusual.any():
        top_col[unusual] = np.argmax(np.abs(x_day[unusual] - median) / spread, axis=1)
    return pa.table(
        {
            "model_group": pa.array(np.full(len(x_day), group, dtype=np.int64)),
            "row_no": pa.array(entities),
            "model_score": pa.array(anomaly.astype(np.float64)),
            "top_col": pa.array(top_col, mask=top_col < 0),
        }
    )
