"""What the risk assets show in the Dagster UI: alerts by pattern for the days, the precision of
the last 30 days' reviewed alerts (risk.labels), and a plot of the scores - a markdown histogram
in the metadata and an HTML page with an inline SVG bar chart, written next to the warehouse and
linked from the metadata."""

from __future__ import annotations

import html
import math
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from hl_d365_assets.warehouse import sql_file

BAR = 40
"""Characters of the longest bar in the markdown histogram."""


def alerts_by_pattern(conn: duckdb.DuckDBPyConnection, first: date, last: date) -> list[tuple]:
    return conn.execute(
        sql_file("risk/count_alerts_by_pattern.sql"), {"first": first, "last": last}
    ).fetchall()


def reviewed_precision(conn: duckdb.DuckDBPyConnection, last: date) -> tuple[float | None, int]:
    """Share of the last 30 days' reviewed alerts reviewers found fraud, and how many were
    reviewed (None: nothing reviewed yet)."""
    fraud, not_fraud = conn.execute(
        sql_file("risk/reviewed_precision.sql"), {"last": last}
    ).fetchone()
    reviewed = fraud + not_fraud
    return (round(fraud / reviewed, 4) if reviewed else None), reviewed


def score_histogram(conn: duckdb.DuckDBPyConnection, first: date, last: date) -> list[tuple]:
    bands = dict(
        conn.execute(
            sql_file("risk/score_histogram.sql"), {"first": first, "last": last}
        ).fetchall()
    )
    return [(band, bands.get(band, 0)) for band in range(0, 100, 10)]


def histogram_markdown(bands: list[tuple[int, int]]) -> str:
    """Counts span six orders of magnitude (a million quiet transactions, a handful of alerts), so
    the bars are logarithmic; the counts are printed beside them."""
    top = max((math.log10(n + 1) for _, n in bands), default=0) or 1
    lines = ["| score | entities | |", "|---|---:|---|"]
    for band, n in bands:
        bar = "█" * round(BAR * math.log10(n + 1) / top)
        lines.append(f"| {band}–{band + 9 if band < 90 else 100} | {n:,} | `{bar}` |")
    return "\n".join(lines)


def write_html_report(
    directory: Path, first: date, last: date, bands: list[tuple[int, int]], by_pattern: list[tuple]
) -> Path:
    """A self-contained page (inline SVG, no scripts) of the days' score plot and alerts."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"risk_{first}_{last}.html"
    top = max((math.log10(n + 1) for _, n in bands), default=0) or 1
    bars = []
    for i, (band, n) in enumerate(bands):
        height = 180 * math.log10(n + 1) / top
        x = 40 + i * 50
        bars.append(
            f'<rect x="{x}" y="{200 - height:.1f}" width="40" height="{height:.1f}" '
            f'fill="{"#c0392b" if band >= 60 else "#2c7fb8"}"><title>{n}</title></rect>'
            f'<text x="{x + 20}" y="215" text-anchor="middle" font-size="10">{band}</text>'
            f'<text x="{x + 20}" y="{195 - height:.1f}" text-anchor="middle" font-size="9">{n}</text>'
        )
    rows = "".join(
        f"<tr><td>{html.escape(str(p))}</td><td>{a}</td><td>{h}</td></tr>" for p, a, h in by_pattern
    )
    path.write_text(
        "<!doctype html><meta charset='utf-8'>"
        f"<title>Risk scores {first}..{last}</title>"
        f"<h1>Risk scores {first}..{last}</h1>"
        "<p>Entities per score band (log scale; red: at or above the usual alert score).</p>"
        f'<svg xmlns="http://www.w3.org/2000/svg" width="560" height="230">{"".join(bars)}</svg>'
        "<h2>Alerts by pattern</h2><table><tr><th>pattern</th><th>alerts</th><th>high</th></tr>"
        f"{rows}</table>"
    )
    return path


def risk_metadata(
    conn: duckdb.DuckDBPyConnection, first: date, last: date, report_dir: Path | None
) -> dict[str, object]:
    """The metadata every risk asset shows for its days."""
    by_pattern = alerts_by_pattern(conn, first, last)
    precision, reviewed = reviewed_precision(conn, last)
    bands = score_histogram(conn, first, last)
    metadata: dict[str, object] = {
        "alerts": sum(a for _, a, _ in by_pattern),
        "alerts_by_pattern": dg.MetadataValue.md(
            "\n".join(
                ["| pattern | alerts | high |", "|---|---:|---:|"]
                + [f"| {p} | {a} | {h} |" for p, a, h in by_pattern]
            )
            if by_pattern
            else "no alerts"
        ),
        "reviewed_alerts_30d": reviewed,
        "precision_reviewed_30d": dg.MetadataValue.float(precision)
        if precision is not None
        else dg.MetadataValue.text("nothing reviewed yet"),
        "score_plot": dg.MetadataValue.md(histogram_markdown(bands)),
    }
    if report_dir is not None:
        metadata["score_report"] = dg.MetadataValue.path(
            str(write_html_report(report_dir, first, last, bands, by_pattern))
        )
    return metadata
