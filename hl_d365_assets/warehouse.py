"""The DuckDB warehouse: one writer at a time, SQL from files, and a published copy for analysts.

DuckDB lets one process write a database file or many processes read it, never both. A
pipeline that kept the file open would lock analysts out, and an analyst's open session would
make runs fail. So:

- pipeline steps open the warehouse only for the span of one write transaction, under an
  exclusive file lock (``<warehouse>.lock``) that queues writers from any process instead of
  failing them;
- a writer that finds the file held by someone else (an analyst's DuckDB session on the live
  file) waits for them, bounded by ``reader_timeout_seconds``, and says in the run's log and the
  step's metadata which process it waits for and what to do; only then does it fail, with
  :class:`WarehouseBusy`, and the assets' :data:`WAREHOUSE_RETRY` policy retries the step;
- at the end of every run that opened a writer, the resource publishes a checkpointed copy of
  the file with an atomic rename (``teardown_after_execution``: once per run, after the last
  step, whichever job it was). Analysts open that copy read-only; a session that is open during a
  publication keeps reading the snapshot it opened (same inode), and the next session sees the
  new one. Nobody ever sees a half-written table.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field, PrivateAttr

from hl_d365_assets.package_files import package_folder
from hl_d365_assets.settings import Settings
from hl_d365_assets.tenants import RunTenantScoped
from hl_d365_assets.warehouse_holder import LockHolder

SQL_DIR = package_folder("hl_d365_assets.sql")
"""The top-level ``sql/`` folder, shipped in the package as ``hl_d365_assets.sql``."""
# Schemas are created in dependency order; each layer's create_*.sql files run in name order.
LAYERS = ("ops", "ref", "raw", "canonical", "mdm", "risk", "recon", "gl")


def sql_file(relative: str, **identifiers: str | tuple[str, ...]) -> str:
    """Read ``sql/<relative>``; ``identifiers`` fill ``{name}`` placeholders (table or column
    names only, never values: values are bound as ``$parameters``); a tuple of names fills its
    placeholder as a comma-separated list."""
    text = (SQL_DIR / relative).read_text()
    for name, value in identifiers.items():
        names = value if isinstance(value, tuple) else (value,)
        if not names or not all(part.isidentifier() for part in names):
            raise ValueError(f"{name}={value!r} is not a plain SQL identifier")
        text = text.replace(f"{{{name}}}", ", ".join(names))
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


@functools.cache
def _schema_digest() -> str:
    """The DDL's digest, once per process: every writer open compares it with the warehouse's."""
    return hashlib.sha256(
        "".join(name + text for name, text in _schema_scripts()).encode()
    ).hexdigest()


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create every schema, table, view and macro the pipeline needs.

    Runs on every writer open but only does work when the DDL files changed: their digest is
    kept in ops.schema_state, so a step does not rewrite the catalog each time it connects.
    A new, empty database gets the catalog copied from :func:`schema_template` instead of
    running the DDL: the same catalog (``test_warehouse_template.py`` compares them) for a
    tenth of the CPU.
    """
    digest = _schema_digest()
    try:
        current = conn.execute("SELECT ddl_sha256 FROM ops.schema_state").fetchall()
    except duckdb.CatalogException:
        current = []
    if current == [(digest,)]:
        return
    if not current and _catalog_is_empty(conn):
        _copy_catalog_from(conn, schema_template())
        return
    _run_ddl(conn)


def _run_ddl(conn: duckdb.DuckDBPyConnection) -> None:
    """The DDL files themselves, idempotent: a new database, or one made by older DDL."""
    digest = _schema_digest()
    for layer in LAYERS:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {layer}").fetchall()
    for _, text in _schema_scripts():
        run_script(conn, text)
    conn.execute("DELETE FROM ops.schema_state").fetchall()
    conn.execute("INSERT INTO ops.schema_state VALUES ($digest)", {"digest": digest}).fetchall()


def schema_template() -> Path:
    """An empty warehouse made by the current DDL, once per machine, DDL and DuckDB version.

    Why: the DDL is some 1,750 statements (1,457 of them column comments, 80 macros) and costs
    about a second of CPU on a new database; copying a finished catalog costs a tenth of that.
    Every new warehouse pays it: a tenant's first run, each test's warehouse (a few hundred a
    suite). The template lives in the temporary folder under a name that carries the DDL
    digest and DuckDB's version, so a changed DDL or DuckDB makes a new one; it is written
    under a private name and renamed into place, so a process never attaches half a template."""
    path = Path(tempfile.gettempdir()) / (
        f"hl_d365_assets-schema-{_schema_digest()[:16]}-duckdb-{duckdb.__version__}.duckdb"
    )
    if not path.exists():
        scratch = path.with_name(f"{path.stem}.{os.getpid()}.{threading.get_ident()}.partial")
        with duckdb.connect(str(scratch)) as conn:
            _run_ddl(conn)
        os.replace(scratch, path)
    return path


def _catalog_is_empty(conn: duckdb.DuckDBPyConnection) -> bool:
    """No table, view or macro of its own: a database nothing has been created in yet."""
    (count,) = conn.execute(sql_file("ops/count_catalog_entries.sql")).fetchone()
    return count == 0


def _copy_catalog_from(conn: duckdb.DuckDBPyConnection, template: Path) -> None:
    """Every schema, table, view, macro and comment of ``template`` (and its one
    ops.schema_state row) into the connection's current database, in one transaction."""
    (database,) = conn.execute("SELECT current_database()").fetchone()
    conn.execute(f"ATTACH {_literal(str(template))} AS schema_template (READ_ONLY)").fetchall()
    try:
        with transaction(conn):
            conn.execute(f"COPY FROM DATABASE schema_template TO {_quoted(database)}").fetchall()
    finally:
        conn.execute("DETACH schema_template").fetchall()


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
    """The warehouse stayed held by another process longer than this writer was allowed to wait."""


WAREHOUSE_RETRY = dg.RetryPolicy(max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL)
"""The retry policy of every step that opens the warehouse (assets and checks alike). The writer
has already waited for readers (``reader_timeout_seconds``) before a step fails, so the retry is
a second and third chance for a session that outlasted the wait, not the waiting itself: it
comes soon (after 2 s, then 6 s) so a partition is retried rather than left red, and a real
fault still fails within seconds. No jitter: one run per tenant at a time means no crowd of writers of one file to spread."""

# How often a waiting writer tries the file again, and how often it repeats who it waits for.
READER_POLL_SECONDS = 0.5
READER_NOTICE_EVERY_SECONDS = 30.0


class WarehouseResource(RunTenantScoped, DuckDBResource):
    """The warehouse file, its writer lock and the analysts' read copy; a tenant's run gets its
    tenant's file (docs/tenants.md)."""

    read_copy: str = Field(description="Path of the copy analysts open read-only.")
    lock_timeout_seconds: float = Field(
        default=600.0, description="How long a writer waits for another."
    )
    reader_timeout_seconds: float = Field(
        default=300.0,
        description="How long a writer waits for a process that holds the warehouse file open "
        "(an analyst's session on the live file) before the step fails with WarehouseBusy.",
    )
    threads: int = Field(default=0, description="DuckDB threads; 0 lets DuckDB use every core.")
    memory_limit: str = Field(
        default="",
        description="DuckDB's memory_limit per connection (HL_D365_MEMORY_LIMIT); empty leaves "
        "DuckDB's own default, 80% of the machine's memory.",
    )
    temp_directory: str = Field(
        default="",
        description="Where DuckDB spills beyond memory_limit (HL_D365_SPILL_DIR); empty leaves "
        "DuckDB's default, <database>.tmp beside the file.",
    )

    @classmethod
    def fields_for(cls, settings: Settings) -> dict[str, str | int]:
        return {
            "database": str(settings.warehouse_path),
            "read_copy": str(settings.read_copy_path),
            "memory_limit": settings.memory_limit,
            "temp_directory": str(settings.spill_dir),
            "threads": settings.threads,
        }

    # Set by every writer open; the run's teardown publishes the read copy only if it is set.
    _opened_writer: bool = PrivateAttr(default=False)
    # Seconds waited for readers, per step attempt, so a step's metadata shows its total wait.
    _waited: dict[tuple[str, str, int], float] = PrivateAttr(default_factory=dict)
    # The in-memory DuckDB each writer attaches the warehouse file to (see writer()).
    _engine: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)
    _engine_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    # The resource the run's steps got: this one, or its tenant's (create_resource).
    _for_run: WarehouseResource | None = PrivateAttr(default=None)

    @contextmanager
    def writer(
        self, log: logging.Logger | dg.DagsterLogManager | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """An exclusive connection for one unit of work; callers wrap writes in a transaction.

        ``log`` is where a wait for a reader is reported; inside a Dagster step, the step's own
        log is used without being passed.

        The file is attached to this resource's in-memory DuckDB for the span of the unit of work
        and detached after it (which checkpoints it and releases DuckDB's file lock, as closing a
        connection does). Starting a DuckDB database costs about three times attaching a file to
        a running one, and a day's run opens the warehouse some ninety times (measured: 0.26 s a
        connect and close against 0.09 s an attach and detach, on a loaded machine)."""
        self._opened_writer = True
        with self._lock(), self._attached(log) as conn:
            yield conn

    @contextmanager
    def _attached(
        self, log: logging.Logger | dg.DagsterLogManager | None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """The warehouse attached, on a connection of its own; the caller holds the lock."""
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        conn = self._connect_when_free(self._attach, log)
        try:
            ensure_schema(conn)
            yield conn
        finally:
            self._detach(conn)

    def _engine_connection(self) -> duckdb.DuckDBPyConnection:
        """This resource's in-memory DuckDB, started on first use with the writer settings."""
        with self._engine_lock:
            if self._engine is None:
                # Order of rows inside a table carries no meaning here; letting DuckDB write out
                # of order makes large inserts parallel. (The line splitter switches it back on.)
                config = {
                    "preserve_insertion_order": False,
                    **self._budget(),
                    **self.connection_config,
                }
                self._engine = duckdb.connect(":memory:", config=config)
            return self._engine.cursor()

    def _attach(self) -> duckdb.DuckDBPyConnection:
        """A new connection with the warehouse file attached under the name a plain connect gives
        it (the file's stem) and made the default catalog, so SQL reads as it would on the file.
        Raises DuckDB's IOException when another process holds the file, as connect does."""
        conn = self._engine_connection()
        name = _quoted(Path(self.database).stem)
        try:
            conn.execute(f"ATTACH {_literal(self.database)} AS {name}").fetchall()
            conn.execute(f"USE {name}").fetchall()
        except BaseException:
            conn.close()
            raise
        return conn

    def _detach(self, conn: duckdb.DuckDBPyConnection) -> None:
        """Close the unit of work's connection (rolling back what it left open, dropping its
        temporary tables), then detach the file, which checkpoints it and releases DuckDB's lock.
        If the file cannot be detached, the whole in-memory DuckDB is closed: a file left attached
        would stay locked for every other process until this one ended."""
        conn.close()
        try:
            detach = self._engine_connection()
            try:
                detach.execute(f"DETACH {_quoted(Path(self.database).stem)}").fetchall()
            finally:
                detach.close()
        except BaseException:
            self.close_engine()
            raise

    def close_engine(self) -> None:
        """Stop this resource's in-memory DuckDB (and with it any file it has attached)."""
        with self._engine_lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None

    @contextmanager
    def reader(
        self, log: logging.Logger | dg.DagsterLogManager | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the live warehouse, with no access outside it (no file
        readers, no ATTACH, no COPY), for SQL written outside the code: business rules' YAML
        expressions (docs/low-code.md). DuckDB refuses every write on it, and external access
        cannot be switched back on while it is open. Taken under the writer lock, so it sees
        committed data and no writer of this project writes meanwhile."""
        with self._lock():
            conn = self._connect_when_free(
                lambda: duckdb.connect(
                    self.database,
                    config={
                        "access_mode": "READ_ONLY",
                        "enable_external_access": False,
                        **self._budget(),
                    },
                ),
                log,
            )
            try:
                yield conn
            finally:
                conn.close()

    def _budget(self) -> dict[str, str | int]:
        """The memory budget every connection works within: what does not fit ``memory_limit``
        (hash tables, sorts, the raw loader's staged lines) spills to ``temp_directory`` instead
        of growing the process, so a step's peak memory stays flat as the day grows
        (docs/warehouse.md, "Memory budget")."""
        config: dict[str, str | int] = {}
        if self.memory_limit:
            config["memory_limit"] = self.memory_limit
        if self.temp_directory:
            Path(self.temp_directory).mkdir(parents=True, exist_ok=True)
            config["temp_directory"] = self.temp_directory
        if self.threads:
            config["threads"] = self.threads
        return config

    def publish_read_copy(self, log: logging.Logger | dg.DagsterLogManager | None = None) -> Path:
        """Checkpoint and copy the warehouse, then swap the copy into place atomically."""
        target = Path(self.read_copy)
        target.parent.mkdir(parents=True, exist_ok=True)
        with self._lock():
            with self._attached(log) as conn:
                conn.execute("CHECKPOINT").fetchall()
            # Detached, so nothing of this process holds the file while it is copied.
            tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            shutil.copyfile(self.database, tmp)
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        return target

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._opened_writer = False
        self._for_run = None

    def create_resource(self, context: dg.InitResourceContext) -> WarehouseResource:
        """The warehouse of the run's tenant (docs/tenants.md), kept so teardown publishes it."""
        self._for_run = super().create_resource(context)
        return self._for_run

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """Publish the read copy once, after the run's last step, if the run opened the warehouse.

        With the in-process executor (defs/resources.py) resources live for the whole run, so
        this is once per run for every job that writes — the daily load, posting, the D365 pull,
        backfills, checks — and never for a run that did not touch the warehouse. A failed run
        publishes too: what its steps committed is in the warehouse and belongs in the copy."""
        if self._for_run is not None and self._for_run is not self:
            self._for_run.teardown_after_execution(context)  # the tenant's warehouse
            return
        try:
            self._publish_after_run(context)
        finally:
            self.close_engine()

    def _publish_after_run(self, context: dg.InitResourceContext) -> None:
        if not self._opened_writer:
            return
        started = time.perf_counter()
        try:
            path = self.publish_read_copy(context.log)
        except (WarehouseBusy, duckdb.Error, OSError) as problem:
            context.log.error(
                f"The analysts' read copy {self.read_copy} was not republished after this run, so "
                f"it shows the previous run's state: {problem}"
            )
            return
        context.log.info(
            f"Published the analysts' read copy {path} ({os.path.getsize(path):,} bytes) in "
            f"{time.perf_counter() - started:.2f}s."
        )

    def _connect_when_free(
        self,
        connect: Callable[[], duckdb.DuckDBPyConnection],
        log: logging.Logger | dg.DagsterLogManager | None,
    ) -> duckdb.DuckDBPyConnection:
        """Connect, waiting while another process (a reader) holds the file."""
        started = time.monotonic()
        next_notice = started
        holder: LockHolder | None = None
        while True:
            try:
                conn = connect()
            except duckdb.IOException as error:
                holder = LockHolder.from_lock_error(str(error))
                if holder is None:
                    raise
                now = time.monotonic()
                if now - started >= self.reader_timeout_seconds:
                    raise WarehouseBusy(
                        f"{self.database} was held open by {holder} for more than "
                        f"{self.reader_timeout_seconds:.0f}s, so this writer gave up. Close that "
                        f"session (or end PID {holder.pid}) and query the read copy "
                        f"{self.read_copy} instead (`hl-d365 sql`); reader_timeout_seconds sets "
                        "how long a writer waits."
                    ) from error
                if now >= next_notice:
                    _step_log(log).warning(
                        f"Waiting for {holder}, which holds {self.database} open (an analyst's "
                        f"DuckDB session?). The step goes on as soon as it is closed, and fails "
                        f"after {self.reader_timeout_seconds:.0f}s. Close your session, or query "
                        f"{self.read_copy} instead (`hl-d365 sql`): it is republished after "
                        "every run and never blocks one."
                    )
                    next_notice = now + READER_NOTICE_EVERY_SECONDS
                time.sleep(READER_POLL_SECONDS)
                continue
            if holder is not None:
                self._record_wait(time.monotonic() - started, holder, log)
            return conn

    def _record_wait(
        self,
        waited: float,
        holder: LockHolder,
        log: logging.Logger | dg.DagsterLogManager | None,
    ) -> None:
        """Say in the log, and in the step's output metadata, how long the step waited for whom."""
        _step_log(log).info(f"{holder} released {self.database} after {waited:.1f}s; writing.")
        step = _current_step()
        if not isinstance(step, dg.AssetExecutionContext):
            return
        attempt = (step.run_id, str(step.op_execution_context.op_handle), step.retry_number)
        self._waited[attempt] = total = self._waited.get(attempt, 0.0) + waited
        metadata = {
            "warehouse_waited_for_reader_seconds": round(total, 1),
            "warehouse_held_by": str(holder),
        }
        for output in step.op_execution_context.selected_output_names:
            # An output already yielded cannot take metadata; the log line still records the wait.
            with suppress(dg.DagsterInvariantViolationError):
                step.add_output_metadata(metadata, output_name=output)

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


def _quoted(identifier: str) -> str:
    """An SQL identifier in double quotes (a warehouse file's stem may hold any character)."""
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    """An SQL string literal (ATTACH takes no bound parameter for its path)."""
    return "'" + text.replace("'", "''") + "'"


def _current_step() -> dg.AssetExecutionContext | dg.AssetCheckExecutionContext | None:
    """The Dagster step this code runs in, if any (Dagster keeps it in a context variable)."""
    for kind in (dg.AssetExecutionContext, dg.AssetCheckExecutionContext):
        try:
            return kind.get()
        except dg.DagsterInvariantViolationError:
            continue
    return None


def _step_log(
    log: logging.Logger | dg.DagsterLogManager | None,
) -> logging.Logger | dg.DagsterLogManager:
    """The log a person running this reads: the one given, the step's, or Dagster's own."""
    if log is not None:
        return log
    step = _current_step()
    return step.log if step is not None else dg.get_dagster_logger()


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
