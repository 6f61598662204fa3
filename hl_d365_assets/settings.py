"""The one place where configuration is read.

Everything that differs between a laptop running the sandbox and a production deployment comes
from environment variables; the defaults are the sandbox with a local DuckDB warehouse under
``./data``. Secrets are not read here: they reach resources through ``dagster.EnvVar`` so they
never sit in a config object that might be logged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    mappings_dir: Path
    merchant_timezone: str
    first_business_day: date
    base_currency: str

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def read_copy_path(self) -> Path:
        """The analysts' copy, republished after every run (see docs/warehouse.md)."""
        return self.data_dir / "warehouse_read.duckdb"


def load_settings(environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    return Settings(
        data_dir=Path(env.get("HL_D365_DATA_DIR", Path.cwd() / "data")).resolve(),
        mappings_dir=Path(env.get("HL_D365_MAPPINGS_DIR", PROJECT_ROOT / "mappings")).resolve(),
        merchant_timezone=env.get("HL_D365_TIMEZONE", "America/New_York"),
        first_business_day=date.fromisoformat(env.get("HL_D365_FIRST_BUSINESS_DAY", "2026-01-01")),
        base_currency=env.get("HL_D365_BASE_CURRENCY", "USD"),
    )
