"""Who holds the warehouse file: the process DuckDB names when it cannot take the write lock.

DuckDB refuses a writer while any other process has the file open, reader or writer, with
``IO Error: Could not set lock on file "…": Conflicting lock is held in <program> (PID <n>)``.
A run that waits for that process has to tell a person which session to close, so the holder is
parsed from that message and, where ``/proc`` shows it (same host, same PID namespace), named by
its command line: "PID 8852: duckdb -readonly data/warehouse.duckdb" is something an analyst
recognises; "PID 8852" alone often is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_CONFLICT = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")
_SHOWN_CHARACTERS = 160


@dataclass(frozen=True)
class LockHolder:
    """The process holding the warehouse file open, as far as this host can tell."""

    pid: int
    program: str
    command_line: str | None

    @classmethod
    def from_lock_error(cls, message: str) -> LockHolder | None:
        """The holder named by a DuckDB lock conflict, or None for any other I/O error."""
        found = _CONFLICT.search(message)
        if found is None:
            return None
        pid = int(found["pid"])
        return cls(pid=pid, program=found["program"], command_line=_command_line(pid))

    def __str__(self) -> str:
        return f"PID {self.pid}: {self.command_line or self.program}"


def _command_line(pid: int) -> str | None:
    """The process's arguments from /proc, shortened; None where /proc does not show them (another
    host or container, macOS, or the process already gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    words = raw.rstrip(b"\0").decode(errors="replace").split("\0")
    text = " ".join(word for word in words if word)
    if not text:
        return None
    return text if len(text) <= _SHOWN_CHARACTERS else text[: _SHOWN_CHARACTERS - 1] + "…"
