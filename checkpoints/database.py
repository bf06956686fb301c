"""One database URL for everything Baton keeps: parsing it, and SQLAlchemy engines for it."""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, ParamSpec, TypeVar

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError
from tenacity import (
    RetryCallState,
    before_sleep_log,
    retry,
    retry_if_exception,
    wait_exponential,
)

from checkpoints.settings import database_retry_seconds, pool_size

logger = logging.getLogger(__name__)


class DatabaseURLError(ValueError):
    """A database URL Baton cannot use."""


@dataclass(frozen=True)
class DatabaseURL:
    """A parsed Baton database URL."""

    kind: Literal["memory", "sqlite", "postgres"]
    url: str
    path: Path | None = None
    """The SQLite file, for `sqlite:///…`."""

    @property
    def sqlalchemy_url(self) -> str:
        if self.kind == "memory":
            return "sqlite://"
        if self.kind == "sqlite":
            return f"sqlite:///{self.path}"
        return "postgresql+psycopg://" + self.url.split("://", 1)[1]

    @property
    def libpq_url(self) -> str:
        """The URL as psycopg wants it (`postgresql://…`)."""
        return "postgresql://" + self.url.split("://", 1)[1]


def parse_database_url(url: str) -> DatabaseURL:
    """Parse `memory://`, `sqlite:///relative/or/absolute/path` or `postgresql://…`.

    Raises DatabaseURLError naming the URL and the schemes that are understood.
    """
    text = url.strip()
    if text in ("memory://", "memory:"):
        return DatabaseURL(kind="memory", url=text)
    if text.startswith("sqlite:///"):
        raw = text[len("sqlite:///") :]
        if not raw or raw == ":memory:":
            raise DatabaseURLError(f"database URL {url!r}: use memory:// for an in-memory database")
        return DatabaseURL(kind="sqlite", url=text, path=Path(raw))
    if text.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        return DatabaseURL(kind="postgres", url=text)
    raise DatabaseURLError(
        f"database URL {url!r} is not understood: use memory://, sqlite:///path/to/file.db "
        "or postgresql://user@host:port/dbname"
    )


SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA busy_timeout=30000")
"""Set on every SQLite connection, so the saver, the trace store and the ledger share one file."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


@cache
def _process_scratch_file() -> Path:
    """A SQLite file private to this process, removed at exit: what `memory://` keeps tables in
    (an in-memory SQLite database cannot be shared safely between the threads of parallel nodes)."""
    folder = Path(tempfile.mkdtemp(prefix="baton-memory-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder / "baton.db"


@cache
def engine_for(url: str) -> Engine:
    """The (process-wide, cached) SQLAlchemy engine for a Baton database URL."""
    parsed = parse_database_url(url)
    if parsed.kind in ("memory", "sqlite"):
        path = _process_scratch_file() if parsed.kind == "memory" else parsed.path
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    size = pool_size()
    return create_engine(
        parsed.sqlalchemy_url, pool_pre_ping=True, pool_size=size, max_overflow=size
    )


def create_tables(metadata: MetaData, engine: Engine) -> None:
    """Create `metadata`'s tables that are missing. Safe when several threads or processes start
    on one new database at once: the loser of a race to create a table (PostgreSQL says so with
    a unique violation in its catalogue, SQLite with "already exists") finds it made and goes on."""
    try:
        metadata.create_all(engine, checkfirst=True)
    except (IntegrityError, OperationalError, ProgrammingError):
        metadata.create_all(engine, checkfirst=True)


TRANSIENT_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
"""PostgreSQL's admin shutdown, crash shutdown and "cannot connect now" (starting up): what a
restart or a failover says. Class 08 (connection exception) is transient too."""
_PERMANENT_CONNECT_FAILURES = ("does not exist", "authentication failed", "no pg_hba.conf entry")


def is_transient_database_error(error: BaseException) -> bool:
    """A PostgreSQL error that trying again may get past: the connection was lost (the server
    restarted, failed over, or the backend was killed) or the server is not taking connections
    yet. Not SQLite's errors (its busy timeout already waits for locks), and not a connection
    refused for a reason that lasts (no such database or role, a wrong password)."""
    if not isinstance(error, DBAPIError) or not type(error.orig).__module__.startswith("psycopg"):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate is None:  # failed to connect, or the server closed the connection
        return not any(why in str(error.orig) for why in _PERMANENT_CONNECT_FAILURES)
    return sqlstate.startswith("08") or sqlstate in TRANSIENT_SQLSTATES


def _out_of_time(state: RetryCallState) -> bool:
    return (state.seconds_since_start or 0.0) >= database_retry_seconds()


P = ParamSpec("P")
R = TypeVar("R")


def retried_on_lost_connection(read: Callable[P, R]) -> Callable[P, R]:
    """`read`, tried again (with backoff of up to 2 s) while it meets a transient database error
    (`is_transient_database_error`), for up to `BATON_DATABASE_RETRY_SECONDS`; then the last
    error is raised. Only for work that is safe to repeat: reads, and writes a key makes
    idempotent."""
    return retry(
        retry=retry_if_exception(is_transient_database_error),
        stop=_out_of_time,
        wait=wait_exponential(multiplier=0.1, max=2.0),
        before_sleep=before_sleep_log(logger, logging.WARNING),
        reraise=True,
    )(read)
