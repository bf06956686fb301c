"""The databases a benchmark runs on: memory, a fresh SQLite file, and a fresh PostgreSQL database
(created on the server named by BATON_BENCH_POSTGRES_ADMIN_URL, dropped afterwards)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

POSTGRES_ADMIN_URL = os.environ.get(
    "BATON_BENCH_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def postgres_available() -> bool:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh database URL of `kind` (`memory`, `sqlite`, `postgres`), removed afterwards."""
    if kind == "memory":
        yield "memory://"
        return
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="baton-bench-"))
        try:
            yield f"sqlite:///{folder / 'baton.db'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    with fresh_postgres_database(POSTGRES_ADMIN_URL, "baton_bench") as url:
        yield url


@contextmanager
def fresh_postgres_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A new PostgreSQL database on the server of `admin_url`, dropped (connections and all)
    afterwards. The test suite uses it too."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{admin_url.rsplit('/', 1)[0]}/{name}"
    try:
        yield url
    finally:
        from checkpoints.database import engine_for

        engine_for(url).dispose()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def kinds() -> list[str]:
    """The database kinds to measure on here (PostgreSQL only when its server answers)."""
    return ["memory", "sqlite", *(["postgres"] if postgres_available() else [])]
