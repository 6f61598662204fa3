"""Configuration values of the API clients as they are when a session opens."""

from __future__ import annotations

import dagster as dg


def resolved(value: object) -> str | None:
    """The value of a resource field that may still be an unresolved ``dg.EnvVar`` (a session
    opened outside a run, e.g. from the command line)."""
    if value is None:
        return None
    return value.get_value() if isinstance(value, dg.EnvVar) else str(value)
