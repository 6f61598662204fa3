"""Risk scoring's thresholds, from the finance/risk-editable mappings/risk_settings.csv.

The alert score, when an alert is high, how far out the model alone may alert, the trailing
window and the risk hold are decisions risk owns: a file its owners change and see in git
history (loaded as ``ref.risk_settings``), not code or an environment variable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from datetime import date, timedelta

import duckdb


@dataclass(frozen=True)
class RiskSettings:
    window_days: int = 28
    """Trailing days the features compare with and the model trains on (never the day scored)."""
    amount_min_history_days: int = 3
    """Days of the window a store's (or its legal entity's) paid sales must span before a
    transaction's amount is held against them (amount_robust_z): a warehouse's first day or two
    give too uncertain a spread (docs/risk-features-payments.md)."""
    alert_score: float = 60.0
    """Combined score (0..100) from which an entity alerts."""
    high_score: float = 90.0
    """Score from which an alert is high whatever its rules' severity."""
    model_weight: float = 60.0
    """Points the model adds at model_alert_score."""
    model_floor: float = 0.65
    """Model anomaly score below which the model adds nothing."""
    model_alert_score: float = 0.80
    """Model anomaly score worth model_weight points."""
    model_min_training_rows: int = 200
    model_min_history_days: int = 7
    """Days of the window with features before the model scores (a cold start: rules only)."""
    model_max_training_rows: int = 20_000
    model_trees: int = 50
    model_max_samples: int = 256
    model_random_state: int = 42
    risk_hold_max_open_high_alerts: int = 3
    """More open high risk alerts than this on a day (per legal entity) hold its journals..."""
    risk_hold_max_open_high_alerts_per_10k: float = 1.0
    """...or than this many per 10,000 of the day's gateway transactions, whichever is larger
    (docs/risk.md, "Prevention"; sql/gl/evaluate_checks.sql repeats both defaults)."""

    def __post_init__(self) -> None:
        if not 0 < self.alert_score <= self.high_score <= 100:
            raise ValueError("risk_settings.csv: need 0 < alert_score <= high_score <= 100")
        if not 0 <= self.model_floor < self.model_alert_score <= 1:
            raise ValueError("risk_settings.csv: need 0 <= model_floor < model_alert_score <= 1")
        if self.window_days < 1:
            raise ValueError("risk_settings.csv: window_days must be at least 1")
        if self.amount_min_history_days < 0:
            raise ValueError("risk_settings.csv: amount_min_history_days cannot be negative")
        if (
            self.risk_hold_max_open_high_alerts < 0
            or self.risk_hold_max_open_high_alerts_per_10k < 0
        ):
            raise ValueError("risk_settings.csv: the risk hold limits cannot be negative")

    def model_params(self) -> dict[str, int]:
        """What the trained model depends on besides its data (part of model_version)."""
        return {
            "window_days": self.window_days,
            "trees": self.model_trees,
            "max_samples": self.model_max_samples,
            "max_training_rows": self.model_max_training_rows,
            "random_state": self.model_random_state,
        }

    def params_hash(self) -> str:
        text = ",".join(f"{k}={v}" for k, v in sorted(self.model_params().items()))
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    def feature_params(self, day: date) -> dict[str, date | int]:
        """The parameters of a features file (sql/risk/features_<domain>.sql) scoring ``day``."""
        return {
            "first": day,
            "last": day,
            "window_start": day - timedelta(days=self.window_days),
            "amount_min_history_days": self.amount_min_history_days,
        }

    def score_params(self) -> dict[str, float]:
        """The settings the scoring SQL reads (sql/risk/write_scores.sql), as its parameters."""
        return {
            "alert_score": self.alert_score,
            "high_score": self.high_score,
            "model_weight": self.model_weight,
            "model_floor": self.model_floor,
            "model_alert_score": self.model_alert_score,
        }


def read_risk_settings(conn: duckdb.DuckDBPyConnection) -> RiskSettings:
    """``ref.risk_settings`` (loaded with the other mappings) as :class:`RiskSettings`; a name
    the file lacks keeps its default, an unknown name fails (a typo must not pass silently)."""
    values = dict(conn.execute("SELECT name, value FROM ref.risk_settings").fetchall())
    known = {f.name: f.type for f in fields(RiskSettings)}
    unknown = sorted(values.keys() - known.keys())
    if unknown:
        raise ValueError(f"risk_settings.csv: unknown setting(s) {unknown}")
    defaults = RiskSettings()
    return RiskSettings(
        **{name: type(getattr(defaults, name))(value) for name, value in values.items()}
    )
