"""An alert route as YAML: which alerts (by kind pattern and least severity) go to which webhook,
held during quiet hours in a time zone. One asset per route, ``ops/alert_route_<name>``, in the
``ops`` group, so the daily job delivers each day's alerts through every route after whatever
raised them (hl_d365_assets/alert_routes.py)."""

import re
from datetime import UTC, datetime, time
from typing import Literal

import dagster as dg
from pydantic import Field, field_validator

from hl_d365_assets.alert_routes import QuietHours, Route, route_alerts
from hl_d365_assets.alerts import AlertWebhookResource
from hl_d365_assets.business_day import business_days, partition_dates, single_run_backfill
from hl_d365_assets.defs.ops.assets import RAISED_BY
from hl_d365_assets.time_zones import zone
from hl_d365_assets.warehouse import WAREHOUSE_RETRY, WarehouseResource

_CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


class QuietHoursModel(dg.Model):
    """Hours in which the route sends nothing (what matches waits for the first run after)."""

    start: str = Field(description='HH:MM on the route\'s clock, e.g. "22:00".')
    end: str = Field(description="HH:MM; before start means the span passes midnight.")
    timezone: str = Field(description="IANA time zone of the clock, e.g. America/New_York.")

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.fullmatch(value):
            raise ValueError(f'{value!r} is not HH:MM (quote it in YAML: "07:00")')
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        zone(value)  # an unknown zone fails when definitions load
        return value

    def quiet_hours(self) -> QuietHours:
        return QuietHours(
            time.fromisoformat(self.start), time.fromisoformat(self.end), self.timezone
        )


class AlertRoute(dg.Component, dg.Model, dg.Resolvable):
    """Sends the alerts of ops.alerts whose kind matches ``kinds`` and whose severity is at least
    ``min_severity`` to the webhook whose URL is in environment variable ``webhook_url_env``."""

    name: str = Field(description="Route name, a plain identifier.")
    description: str = ""
    webhook_url_env: str = Field(
        description="Environment variable holding the webhook URL (it carries the secret)."
    )
    kinds: list[str] = Field(
        description="Alert kinds, GLOB patterns: reconciliation_*, business_rule_*, "
        "card_number_received, risk_* …"
    )
    min_severity: Literal["low", "medium", "high", "critical"] = "high"
    quiet_hours: QuietHoursModel | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.isidentifier():
            raise ValueError(f"name {value!r} must be a plain identifier")
        return value

    @field_validator("webhook_url_env")
    @classmethod
    def _env(cls, value: str) -> str:
        if not _ENV_NAME.fullmatch(value):
            raise ValueError(f"{value!r} is not an environment variable name (HL_D365_…)")
        return value

    def route(self) -> Route:
        return Route(
            name=self.name,
            kinds=tuple(self.kinds),
            min_severity=self.min_severity,
            quiet_hours=self.quiet_hours.quiet_hours() if self.quiet_hours else None,
        )

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        route = self.route()
        url_env = self.webhook_url_env

        @dg.asset(
            key=dg.AssetKey(["ops", f"alert_route_{self.name}"]),
            deps=RAISED_BY,
            description=(self.description or f"Alert route {self.name}")
            + f": alerts of kinds {', '.join(self.kinds)} at severity {self.min_severity} or "
            f"above go to the webhook in ${url_env}"
            + (
                f", except {self.quiet_hours.start}-{self.quiet_hours.end} "
                f"({self.quiet_hours.timezone})"
                if self.quiet_hours
                else ""
            )
            + ". Defined in YAML (docs/low-code.md).",
            group_name="ops",
            kinds={"duckdb"},
            owners=["team:finance-data"],
            partitions_def=business_days,
            backfill_policy=single_run_backfill,
            pool="warehouse",
            retry_policy=WAREHOUSE_RETRY,
        )
        def alert_route(
            context: dg.AssetExecutionContext, warehouse: WarehouseResource
        ) -> dg.MaterializeResult:
            days = partition_dates(context)
            url = dg.EnvVar(url_env).get_value() or ""
            report = route_alerts(
                warehouse.writer,
                route,
                AlertWebhookResource(url=url),
                days[0],
                days[-1],
                datetime.now(UTC),
            )
            if report.held_for_quiet_hours:
                context.log.info(
                    f"{report.held_for_quiet_hours} alert(s) held for quiet hours; they go on "
                    "the route's first run after them"
                )
            return dg.MaterializeResult(
                metadata={
                    "matching": report.matching,
                    "delivered": report.delivered,
                    "failed": report.failed,
                    "held_for_quiet_hours": report.held_for_quiet_hours,
                    "webhook_configured": bool(url),
                }
            )

        return dg.Definitions(assets=[alert_route])
