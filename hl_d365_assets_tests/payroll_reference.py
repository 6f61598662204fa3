"""The payroll export landing as it was before it went set-based (commit 6aceacc): one Python
dict and one ``envelope()`` per row. Kept here, outside the package, as the reference the
set-based landing (hl_d365_assets/payroll_landing.py) must equal byte for byte."""

from __future__ import annotations

from collections import Counter
from datetime import date

from hl_d365_assets.landing import envelope
from hl_d365_assets.payroll_columns import DROP, ReadFile
from hl_d365_assets.payroll_inbox import DropFolder
from hl_d365_assets.payroll_landing import iso_date


def reference_lines(
    read: ReadFile,
    drop: DropFolder,
    sha256: str,
    name: str,
    received_at: str,
    received_day: date,
) -> dict[str, list[str]]:
    header, positions = read.header, dict(enumerate(read.columns))
    unmapped_at = [i for i, c in positions.items() if c is None and header[i].strip()]
    rows = []
    file_row = 0
    for record in read.records:
        if not any(field.strip() for field in record):
            continue
        file_row += 1
        values = {
            column.column: column.read(record[i]) if i < len(record) else ""
            for i, column in positions.items()
            if column is not None and column.format != DROP
        }
        unmapped = {header[i].strip(): record[i] for i in unmapped_at if i < len(record)}
        row_problem = None
        if len(record) != len(header):
            row_problem = (
                f"payroll_malformed_row: the row has {len(record)} fields, the header {len(header)}"
            )
            unmapped |= {f"field_{i + 1}": record[i] for i in range(len(header), len(record))}
        rows.append((file_row, values, unmapped, row_problem))
    problem = (
        f"payroll_missing_columns: {', '.join(read.missing_columns)} (required by "
        f"mappings/{drop.mapping_file}) missing from the file's header"
        if read.missing_columns
        else None
    )
    days = [iso_date(values.get(drop.date_column, "")) for _, values, _, _ in rows]
    readable = Counter(day for day in days if day)
    fallback = readable.most_common(1)[0][0] if readable else received_day.isoformat()
    by_day: dict[str, list[str]] = {}
    for (file_row, values, unmapped, row_problem), day in zip(rows, days, strict=True):
        payload = {
            **values,
            "unmapped": unmapped,
            "file": {"name": name, "sha256": sha256, "row": file_row},
        }
        by_day.setdefault(day or fallback, []).append(
            envelope(
                f"{drop.event_prefix}_{sha256[:16]}_{file_row}",
                drop.event_type,
                payload,
                received_at=received_at,
                receiver_problem=problem or row_problem,
            )
        )
    return by_day
