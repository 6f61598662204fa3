"""The payroll file drop: exports dropped in an inbox folder land through the one landing writer.

Heartland Payroll has no API (reference §9): a pay run's register leaves it as a report file, and
the bank's statement as another. Someone (or a scheduled transfer) drops them in::

    <inbox>/payroll_register/*.csv    one pay run per file
    <inbox>/bank_statement/*.csv

``<inbox>`` and ``<archive>`` are local folders or any fsspec URL (``s3://…``, ``sftp://…``,
``memory://…`` in the tests), from ``HL_D365_PAYROLL_INBOX`` / ``HL_D365_PAYROLL_ARCHIVE``.

Each file is handled once, by its content (SHA-256 of its bytes):

- first seen: read through its column mapping (:mod:`hl_d365_assets.payroll_columns`), one
  envelope per data row landed under the row's check date (register) or booking date (bank),
  then the file moved to ``<archive>/<folder>/<sha256>/<name>``. The archive holding a folder of
  that hash *is* the record that the content was received.
- the same bytes again (a re-drop, under any name): not landed; moved to
  ``<archive>/<folder>/duplicates/<sha256>/<received stamp>-<name>`` and counted.
- a corrected register for the same pay run has other bytes, so it lands as a new version (new
  event ids); canonical keeps the newest file of each run key.
- required columns missing: every row still lands, with ``receiver_problem``
  ``payroll_missing_columns: <our column names>``, so the raw layer quarantines each line naming
  them (counted, never dropped).
- not a UTF-8 CSV with a header: nothing lands; archived and counted ``unreadable``.

Every file received, whatever became of it, lands one line in ``landing/payroll_inbox/files``
(the file drop's manifest, dated by the merchant's day of receipt), which the ``ops/payroll_files``
asset turns into ``ops.payroll_files``. The manifest names unknown and missing columns; file names
and headers are masked by the scanner first, since a name can be anything someone typed.

Rows land first, then the manifest line, then the file moves: a crash in between leaves the file
in the inbox, the next pass lands it again under the same event ids (the raw layer counts those
as duplicates, ops.payroll_files keeps one row per manifest event id).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import fsspec
import pyarrow as pa

from hl_d365_assets.landing import LandingWriter, LandingZone, envelope, utc_now_iso
from hl_d365_assets.payroll_columns import ColumnMapping, ReadFile, UnreadableFile, read_export
from hl_d365_assets.payroll_landing import ExportLanding, export_line_arrays, land_export
from hl_d365_assets.pci import mask_card_numbers, mask_personal_data
from hl_d365_assets.raw_loader import BANK_SOURCE, PAYROLL_SOURCE
from hl_d365_assets.time_zones import zone as time_zone

MANIFEST_SOURCE = "payroll_inbox"
MANIFEST_ENTITY = "files"
PRODUCER = "payroll-inbox"
LANDED, DUPLICATE, MISSING_COLUMNS, UNREADABLE = (
    "landed",
    "duplicate",
    "missing_columns",
    "unreadable",
)


@dataclass(frozen=True)
class DropFolder:
    """One kind of dropped file: where it is dropped, how it is read, where it lands."""

    folder: str
    source: str
    entity: str
    event_prefix: str
    event_type: str
    mapping_file: str
    date_column: str
    """Our column holding the business day the row lands under."""


REGISTER = DropFolder(
    folder="payroll_register",
    source=PAYROLL_SOURCE,
    entity="register",
    event_prefix="HP",
    event_type="heartland_payroll.register_line",
    mapping_file="payroll_register_columns.csv",
    date_column="check_date",
)
BANK_STATEMENT = DropFolder(
    folder="bank_statement",
    source=BANK_SOURCE,
    entity="statement_lines",
    event_prefix="BS",
    event_type="bank.statement_line",
    mapping_file="bank_statement_columns.csv",
    date_column="booking_date",
)
DROP_FOLDERS = (REGISTER, BANK_STATEMENT)


@dataclass(frozen=True)
class ReceivedFile:
    """What became of one dropped file: a row of ops.payroll_files."""

    folder: str
    name: str
    sha256: str
    status: str
    rows: int
    partitions: tuple[str, ...]
    unknown_columns: tuple[str, ...]
    missing_columns: tuple[str, ...]
    received_at: str
    archived_to: str
    problem: str | None = None

    @property
    def manifest_event_id(self) -> str:
        # A duplicate is its own event each time it is dropped; a landed file's manifest line is
        # the same event however often a crash makes it land again.
        suffix = f"{self.status}_{self.received_at}" if self.status == DUPLICATE else self.status
        return f"PF_{self.sha256[:16]}_{suffix}"

    def manifest_line(self) -> str:
        return envelope(
            self.manifest_event_id,
            "payroll_inbox.file_received",
            {
                "entity": self.folder,
                "name": self.name,
                "sha256": self.sha256,
                "status": self.status,
                "rows": self.rows,
                "partitions": list(self.partitions),
                "unknown_columns": list(self.unknown_columns),
                "missing_columns": list(self.missing_columns),
                "archived_to": self.archived_to,
                "problem": self.problem,
            },
            received_at=self.received_at,
        )


@dataclass
class InboxPass:
    """One look at the inbox: every file handled, and the day their manifest lines landed."""

    manifest_day: str
    files: list[ReceivedFile] = field(default_factory=list)


class PayrollInbox:
    """The inbox and archive locations, each any fsspec URL or a local path."""

    def __init__(self, inbox: str, archive: str) -> None:
        self.fs, self.inbox_root = fsspec.core.url_to_fs(inbox)
        self.archive_fs, self.archive_root = fsspec.core.url_to_fs(archive)

    def waiting(self, drop: DropFolder) -> list[str]:
        """Files waiting in a drop folder, oldest name first (hidden and partial names skipped:
        a transfer still writing should use a dot-name and rename when done)."""
        return sorted(
            path
            for path in self.fs.glob(f"{self.inbox_root.rstrip('/')}/{drop.folder}/*.csv")
            if not _name(path).startswith(".")
        )

    def received_before(self, drop: DropFolder, sha256: str) -> bool:
        return self.archive_fs.exists(self._archive_dir(drop, sha256))

    def archive_path(
        self, drop: DropFolder, path: str, sha256: str, received_at: str, duplicate: bool
    ) -> str:
        """Where the original goes: under its hash, or among that hash's duplicates."""
        if duplicate:
            stamp = received_at.replace(":", "").replace("-", "").replace(".", "")
            return f"{self._archive_dir(drop, sha256, 'duplicates/')}/{stamp}-{_name(path)}"
        return f"{self._archive_dir(drop, sha256)}/{_name(path)}"

    def move(self, path: str, target: str) -> None:
        """Copy the original into the archive, then remove it from the inbox (the two may be
        different file systems)."""
        self.archive_fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        with self.fs.open(path, "rb") as source, self.archive_fs.open(target, "wb") as copy:
            copy.write(source.read())
        self.fs.rm(path)

    def _archive_dir(self, drop: DropFolder, sha256: str, kind: str = "") -> str:
        return f"{self.archive_root.rstrip('/')}/{drop.folder}/{kind}{sha256}"


def receive_files(
    inbox: PayrollInbox,
    zone: LandingZone,
    mappings_dir: Path,
    received_day: date,
    fingerprint_key: bytes | None = None,
) -> InboxPass:
    """Handle every file waiting in the inbox (see the module docstring); ``received_day`` is
    the merchant's date now, the day a file's manifest line lands under; ``fingerprint_key``
    (settings.fingerprint_key) for mappings that fingerprint a column."""
    result = InboxPass(manifest_day=received_day.isoformat())
    for drop in DROP_FOLDERS:
        mapping = ColumnMapping.from_file(mappings_dir / drop.mapping_file, fingerprint_key)
        for path in inbox.waiting(drop):
            result.files.append(_receive(inbox, zone, drop, mapping, path, received_day))
    return result


def _receive(
    inbox: PayrollInbox,
    zone: LandingZone,
    drop: DropFolder,
    mapping: ColumnMapping,
    path: str,
    received_day: date,
) -> ReceivedFile:
    """Land the file's rows, then its manifest line, then move it: each step is durable before
    the next, so a crash repeats work under the same event ids rather than losing any."""
    data = inbox.fs.cat_file(path)
    sha256 = hashlib.sha256(data).hexdigest()
    received_at = utc_now_iso()
    seen = inbox.received_before(drop, sha256)
    target = inbox.archive_path(drop, path, sha256, received_at, duplicate=seen)
    received = ReceivedFile(
        folder=drop.folder,
        name=_masked(_name(path)),
        sha256=sha256,
        status=DUPLICATE,
        rows=0,
        partitions=(),
        unknown_columns=(),
        missing_columns=(),
        received_at=received_at,
        archived_to=_masked(target),
    )
    if not seen:
        try:
            read = read_export(data, mapping)
        except UnreadableFile as error:
            received = replace(received, status=UNREADABLE, problem=str(error))
        else:
            days = _land(zone, drop, read, sha256, received.name, received_at, received_day)
            received = replace(
                received,
                status=MISSING_COLUMNS if read.missing_columns else LANDED,
                rows=days.total(),
                partitions=tuple(sorted(days)),
                unknown_columns=tuple(_masked(h) for h in read.unmapped_headers),
                missing_columns=read.missing_columns,
            )
    with LandingWriter(zone, PRODUCER) as writer:
        writer.append(MANIFEST_SOURCE, MANIFEST_ENTITY, received_day, received.manifest_line())
    inbox.move(path, target)
    return received


def _land(
    zone: LandingZone,
    drop: DropFolder,
    read: ReadFile,
    sha256: str,
    name: str,
    received_at: str,
    received_day: date,
) -> Counter[str]:
    """One envelope per data row, under the row's date; a row whose date cannot be read lands
    under the file's most common date (else the day of receipt) and raw quarantines it. The lines
    are made set-based (:mod:`hl_d365_assets.payroll_landing`)."""
    problem = (
        f"payroll_missing_columns: {', '.join(read.missing_columns)} (required by "
        f"mappings/{drop.mapping_file}) missing from the file's header"
        if read.missing_columns
        else None
    )
    lines = export_line_arrays(
        read,
        ExportLanding(drop.event_prefix, drop.event_type, drop.date_column, problem),
        sha256,
        name,
        received_at,
        received_day,
    )
    landed = land_export(zone, PRODUCER, drop.source, drop.entity, lines)
    del lines
    # Arrow's allocator keeps what a large file's lines freed (~300 MB for a 20,000-employee
    # register) for reuse; the sensor's process (the daemon, or the bench's single process that
    # runs the job next) has better use for it.
    pa.default_memory_pool().release_unused()
    return landed


def _name(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def _masked(text: str) -> str:
    return mask_personal_data(mask_card_numbers(text))


def merchant_today(zone_name: str) -> date:
    """The merchant's date now: the day a file's manifest line lands under."""
    return datetime.now(UTC).astimezone(time_zone(zone_name)).date()
