"""The DuckDB warehouse: one writer at a time, SQL from files, and a published copy for analysts.

DuckDB lets one process write a database file or many processes read it, never both. A
pipeline that kept the file open would lock analysts out, and an analyst's open session would
make runs fail. So:

- pipeline steps open the warehouse only for the span of one write transaction, under an
  exclusive file lock (``<warehouse>.lock``) that queues writers from any process instead of
  failing them;
- after a run, the ``analyst_read_copy`` asset publishes a checkpointed copy of the file with an
  atomic rename. Analysts open that copy read-only; a session that is open during a
  publication keeps reading the snapshot it opened (same inode), and the next session sees the
  new one. Nobody ever sees a half-written table.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field

from hl_d365_assets.package_files import package_folder

SQL_DIR = package_folder("hl_d365_assets.sql")
"""The top-level ``sql/`` folder, shipped in the package as ``hl_d365_assets.sql``."""
# Schemas are created in dependency order; each layer's create_*.sql files run in name order.
LAYERS = ("ops", "ref", "raw", "canonical", "recon", "gl")


def sql_file(relative: str, **identifiers: str) -> str:
    """Read ``sql/<relative>``; ``identifiers`` fill ``{name}`` placeholders (table names only,
    never values: values are bound as ``$parameters``)."""
    text = (SQL_DIR / relative).read_text()
    for name, value in identifiers.items():
        if not value.isidentifier():
            raise ValueError(f"{name}={value!r} is not a plain SQL identifier")
        text = text.replace(f"{{{name}}}", value)
    return text


def run_script(conn: duckdb.DuckDBPyConnection, script: str, params: dict | None = None) -> None:
    """Run a multi-statement SQL file, binding only the parameters each statement uses."""
    for statement in _statements(script):
        used = {k: v for k, v in (params or {}).items() if f"${k}" in statement}
        conn.execute(statement, used or None).fetchall()


def _statements(script: str) -> list[str]:
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";\n") if s.strip().rstrip(";").strip()]


@functools.cache
def _schema_scripts() -> tuple[tuple[str, str], ...]:
    """Every DDL file in run order: macros, each layer's tables, then cross-layer views."""
    paths = sorted((SQL_DIR / "macros").glob("*.sql"))
    for layer in LAYERS:
        paths += sorted((SQL_DIR / layer).glob("create_*.sql"))
    paths += sorted((SQL_DIR / "views").glob("create_*.sql"))
    return tuple((str(p.relative_to(SQL_DIR)), p.read_text()) for p in paths)


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create every schema, table, view and macro the pipeline needs.

    Runs on every writer open but only does work when the DDL files changed: their digest is
    kept in ops.schema_state, so a step does not rewrite the catalog each time it connects.
    """
    scripts = _schema_scripts()
    digest = hashlib.sha256("".join(name + text for name, text in scripts).encode()).hexdigest()
    try:
        current = conn.execute("SELECT ddl_sha256 FROM ops.schema_state").fetchall()
    except duckdb.CatalogException:
        current = []
    if current == [(digest,)]:
        return
    for layer in LAYERS:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {layer}").fetchall()
    for _, text in scripts:
        run_script(conn, text)
    conn.execute("DELETE FROM ops.schema_state").fetchall()
    conn.execute("INSERT INTO ops.schema_state VALUES ($digest)", {"digest": digest}).fetchall()


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One unit of work: a partition's rows move together or not at all."""
    conn.execute("BEGIN TRANSACTION").fetchall()
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK").fetchall()
        raise
    conn.execute("COMMIT").fetchall()


class WarehouseBusy(RuntimeError):
    pass


class WarehouseResource(DuckDBResource):
    """The warehouse file, its writer lock and the analysts' read copy."""

    read_copy: str = Field(description="Path of the copy analysts open read-only.")
    lock_timeout_seconds: float = Field(
        default=600.0, description="How long a writer waits for another."
    )
    threads: int = Field(default=0, description="DuckDB threads; 0 lets DuckDB use every core.")

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """An exclusive connection for one unit of work; callers wrap writes in a transaction."""
        with self._lock():
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)
            # Order of rows inside a table carries no meaning here; letting DuckDB write out of
            # order makes large inserts parallel. (The line splitter switches it back on.)
            config = {"preserve_insertion_order": False, **self.connection_config}
            if self.threads:
                config["threads"] = self.threads
            conn = duckdb.connect(self.database, config=config)
            try:
                ensure_schema(conn)
                yield conn
            finally:
                conn.close()

    def publish_read_copy(self) -> Path:
        """Checkpoint and copy the warehouse, then swap the copy into place atomically."""
        target = Path(self.read_copy)
        target.parent.mkdir(parents=True, exist_ok=True)
        with self.writer() as conn:
            conn.execute("CHECKPOINT").fetchall()
            conn.close()
            tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            shutil.copyfile(self.database, tmp)
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        return target

    @contextmanager
    def _lock(self) -> Iterator[None]:
        lock_path = Path(f"{self.database}.lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a+") as handle:
            deadline = time.monotonic() + self.lock_timeout_seconds
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise WarehouseBusy(
                            f"The warehouse {self.database} is held by another writer for more than "
                            f"{self.lock_timeout_seconds:.0f}s; wait for the running materialisation "
                            "to finish or raise lock_timeout_seconds."
                        ) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def open_for_analysis(path: str | Path) -> duckdb.DuckDBPyConnection:
    """Open a warehouse file read-only, or say plainly why not and what to do."""
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise WarehouseBusy(
                f"{path} is open for writing by a running materialisation. Query the published "
                "read copy instead (data/warehouse_read.duckdb, refreshed after every run), or "
                "retry when the run has finished."
            ) from error
        raise
