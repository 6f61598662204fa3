"""A real PostgreSQL server on loopback for the tests of the Dagster instance on PostgreSQL.

``make test`` installs Debian's ``postgresql`` package when no server binaries are found
(``initdb``, ``pg_ctl``); this module finds them on ``PATH`` or where Debian puts them,
``/usr/lib/postgresql/<version>/bin``, newest version first.

PostgreSQL refuses to run as root, and the suite runs as root on CI. So, as root, the server runs as
an unprivileged user: ``postgres``, which Debian's package creates (created here, without a home
or a login shell, when missing). Its data directory lives under the test's own temporary
folder, and it opens no unix socket (TCP on loopback only); that user is given the right to pass through (not to list) the temporary folders
above it, up to the temporary root, so it can reach them. The server listens on 127.0.0.1 on a
free port, with ``fsync`` off (no test asks about a power cut; see conftest.py on disk commits),
password (SCRAM) authentication over TCP, and is stopped and its folder removed on exit.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from hl_d365_assets.webhook.process import free_port

SERVER_USER = "postgres"
SUPERUSER = "hl_d365"
DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    username: str
    password: str

    def connect(self, db_name: str = "postgres"):
        return psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.username,
            password=self.password,
            dbname=db_name,
        )

    def create_database(self, db_name: str) -> str:
        """A fresh, empty database: one per test, so no test sees another's runs."""
        conn = self.connect()
        try:
            conn.autocommit = True  # CREATE DATABASE cannot run inside a transaction
            with conn.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{db_name}"')
        finally:
            conn.close()
        return db_name

    def dagster_env(self, db_name: str) -> dict[str, str]:
        """The variables deploy/dagster-postgres.yaml reads its connection from."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USERNAME": self.username,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": db_name,
        }


def server_binaries() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``: PATH first, then Debian's folders."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    candidates = sorted(
        (Path(folder) for folder in glob.glob(DEBIAN_BIN_GLOB)),
        key=lambda folder: _version_key(folder.parent.name),
        reverse=True,
    )
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise RuntimeError(
        "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in "
        f"{DEBIAN_BIN_GLOB}: `make test` installs Debian's postgresql package when they are "
        "missing; by hand: apt-get install -y postgresql"
    )


@contextmanager
def postgres_server(base: Path) -> Iterator[PostgresServer]:
    """A running server whose files are all under ``base``; stopped and removed on exit."""
    binaries = server_binaries()
    base.mkdir(parents=True, exist_ok=True)
    data, log = base / "data", base / "postgres.log"
    password = secrets.token_urlsafe(16)
    password_file = base / "superuser-password"
    password_file.write_text(password)
    as_user = _as_server_user(base)
    data.mkdir(mode=0o700)
    if as_user:
        user = pwd.getpwnam(SERVER_USER)
        for path in (base, data, password_file):
            os.chown(path, user.pw_uid, user.pw_gid)
        log.touch()
        os.chown(log, user.pw_uid, user.pw_gid)
    port = free_port()
    _run(
        [
            *as_user,
            str(binaries / "initdb"),
            "--pgdata",
            str(data),
            "--username",
            SUPERUSER,
            "--pwfile",
            str(password_file),
            "--auth-local",
            "trust",
            "--auth-host",
            "scram-sha-256",
            "--encoding",
            "UTF8",
            "--no-sync",
        ]
    )
    password_file.unlink()
    # TCP on loopback only, no unix socket: a socket's path under pytest's folders passes the
    # 107-character limit of socket paths, and the clients here all connect over TCP.
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories='' "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
    )
    _run(
        [
            *as_user,
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(log),
            "-w",
            "-t",
            "60",
            "start",
        ],
        log=log,
    )
    try:
        yield PostgresServer(host="127.0.0.1", port=port, username=SUPERUSER, password=password)
    finally:
        subprocess.run(
            [*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


def _as_server_user(base: Path) -> list[str]:
    """The command prefix that runs a server binary as :data:`SERVER_USER` when we are root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        _run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVER_USER,
            ]
        )
    _let_pass_through(base)
    return ["runuser", "-u", SERVER_USER, "--"]


def _let_pass_through(base: Path) -> None:
    """Others may pass through (search, not list) the temporary folders from ``base`` up to the
    temporary root: pytest makes them 0700, and the server's user must reach its own folder."""
    top = Path(tempfile.gettempdir()).resolve()
    base = base.resolve()
    if not base.is_relative_to(top):
        raise RuntimeError(
            f"{base} is not under the temporary folder {top}: the PostgreSQL server's user could "
            "not be let through the folders above it; run pytest without a --basetemp elsewhere"
        )
    for folder in (base, *base.parents):
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            os.chmod(folder, stat.S_IMODE(mode) | stat.S_IXOTH)
        if folder == top:
            break


def _run(command: list[str], log: Path | None = None) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        server_log = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
        raise RuntimeError(
            f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}\n"
            f"{server_log}"
        )


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())
