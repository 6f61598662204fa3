"""The simulator's state: one SQLite file (or memory), so journals survive a restart.

Every record is one row: its entity set, its key (case-folded, as D365's keys compare), its
company, the journal it belongs to (for lines, so a journal's lines are one index lookup) and its
fields as exact JSON. Number sequences are counters. A changeset or a single write is one SQLite
transaction, so it is all-or-nothing on disk as in D365, and a crash leaves the last committed
state. SQLite comes with Python; nothing is added to the project.
"""

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from hl_d365_assets.d365.batch import dumps, loads
from hl_d365_assets.sandbox.sql_files import sql_text

# The tables, one file each under sandbox/sql/d365_simulator/.
TABLES = ("records", "counters", "settings")


class DuplicateKey(Exception):
    """A record with this key exists already."""


def key_text(values: tuple) -> str:
    return dumps([str(value).casefold() for value in values]).decode()


class StateStore:
    """Thread-safe; :meth:`transaction` serialises writers."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            str(self.path) if self.path else ":memory:",
            check_same_thread=False,
            isolation_level=None,
        )
        if self.path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        for table in TABLES:
            self._db.executescript(sql_text(f"d365_simulator/create_{table}"))
        self._lock = threading.RLock()
        self._depth = 0
        self._after_commit: dict[object, Callable[[], None]] = {}

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all (nested calls join the outer one)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                self._after_commit.clear()
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0
            callbacks, self._after_commit = list(self._after_commit.values()), {}
        # Outside the lock: what runs after a commit (business events) may take its time.
        for callback in callbacks:
            callback()

    def after_commit(self, key: object, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current transaction commits, never if it rolls back (D365
        sends business events only for committed work). A later callback under the same ``key``
        replaces the earlier one: one notification per record and transaction. Outside a
        transaction it runs at once."""
        with self._lock:
            if self._depth:
                self._after_commit.pop(key, None)
                self._after_commit[key] = callback
                return
        callback()

    def insert(
        self, entity_set: str, key: tuple, company: str, row: dict, journal: str | None = None
    ) -> None:
        with self._lock:
            try:
                self._db.execute(
                    sql_text("d365_simulator/insert_record"),
                    (entity_set, key_text(key), company, journal, dumps(row).decode()),
                )
            except sqlite3.IntegrityError:
                raise DuplicateKey(key) from None

    def replace(self, entity_set: str, key: tuple, row: dict) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE records SET body = ? WHERE entity_set = ? AND record_key = ?",
                (dumps(row).decode(), entity_set, key_text(key)),
            )

    def delete(self, entity_set: str, key: tuple) -> None:
        with self._lock:
            self._db.execute(
                "DELETE FROM records WHERE entity_set = ? AND record_key = ?",
                (entity_set, key_text(key)),
            )

    def get(self, entity_set: str, key: tuple) -> dict | None:
        with self._lock:
            found = self._db.execute(
                "SELECT body FROM records WHERE entity_set = ? AND record_key = ?",
                (entity_set, key_text(key)),
            ).fetchone()
        return loads(found[0]) if found else None

    def rows(
        self, entity_set: str, *, company: str | None = None, journal: str | None = None
    ) -> list[dict]:
        """Records in insertion order, optionally of one company and one journal."""
        sql = "SELECT body FROM records WHERE entity_set = ?"
        params: list = [entity_set]
        if company is not None:
            sql += " AND company = ?"
            params.append(company)
        if journal is not None:
            sql += " AND journal = ?"
            params.append(journal)
        with self._lock:
            bodies = self._db.execute(sql + " ORDER BY seq", params).fetchall()
        return [loads(body) for (body,) in bodies]

    def count(self, entity_set: str, *, company: str, journal: str) -> int:
        with self._lock:
            return self._db.execute(
                "SELECT count(*) FROM records WHERE entity_set = ? AND company = ? AND journal = ?",
                (entity_set, company, journal),
            ).fetchone()[0]

    def next_value(self, counter: str) -> int:
        """The next number of a sequence (1, 2, ...); part of the current transaction."""
        with self._lock:
            self._db.execute(sql_text("d365_simulator/increment_counter"), (counter,))
            return self._db.execute(
                "SELECT value FROM counters WHERE name = ?", (counter,)
            ).fetchone()[0]

    def setting(self, name: str) -> str | None:
        with self._lock:
            found = self._db.execute(
                "SELECT value FROM settings WHERE name = ?", (name,)
            ).fetchone()
        return found[0] if found else None

    def set_setting(self, name: str, value: str) -> None:
        with self._lock:
            self._db.execute(sql_text("d365_simulator/record_setting"), (name, value))

    def clear(self) -> None:
        with self.transaction():
            for table in TABLES:
                self._db.execute(f"DELETE FROM {table}")
