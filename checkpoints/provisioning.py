"""Throw-away databases to run Baton on: memory, a fresh SQLite file, or a fresh PostgreSQL database
created on the server of an administrator URL and dropped afterwards. The benchmarks and the test
suite provision theirs here (each names its own server: `BATON_BENCH_POSTGRES_ADMIN_URL`,
`BATON_TEST_POSTGRES_ADMIN_URL`)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from checkpoints.database import engine_for

DEFAULT_POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
"""The local server's `postgres` database, as its superuser."""


def postgres_admin_url(variable: str) -> str:
    """The administrator URL in the environment variable `variable` (the default when unset)."""
    return os.environ.get(variable, DEFAULT_POSTGRES_ADMIN_URL)


def postgres_missing(admin_url: str) -> str | None:
    """Why the PostgreSQL server of `admin_url` cannot be reached (None when it can)."""
    try:
        with psycopg.connect(admin_url, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"{type(error).__name__}: {str(error).strip().splitlines()[0]}"


def postgres_available(admin_url: str) -> bool:
    return postgres_missing(admin_url) is None


def kinds(admin_url: str) -> list[str]:
    """The database kinds that can be provisioned here (PostgreSQL only when its server answers)."""
    return ["memory", "sqlite", *(["postgres"] if postgres_available(admin_url) else [])]


@contextmanager
def fresh_database(kind: str, admin_url: str, prefix: str) -> Iterator[str]:
    """A fresh database URL of `kind` (`memory`, `sqlite`, `postgres`), removed afterwards; a
    PostgreSQL database is created on the server of `admin_url`, named `prefix` and a random tail."""
    if kind == "memory":
        yield "memory://"
        return
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix=f"{prefix.replace('_', '-')}-"))
        try:
            yield f"sqlite:///{folder / 'baton.db'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    with fresh_postgres_database(admin_url, prefix) as url:
        yield url


@contextmanager
def fresh_postgres_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A new PostgreSQL database on the server of `admin_url`, dropped (connections and all)
    afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{admin_url.rsplit('/', 1)[0]}/{name}"
    try:
        yield url
    finally:
        engine_for(url).dispose()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
