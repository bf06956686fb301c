"""Shared fixtures: database URLs (SQLite file, real PostgreSQL), samples, and a clean environment."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bench import databases

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples" / "underwriting"
POSTGRES_ADMIN_URL = os.environ.get(
    "BATON_TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(autouse=True)
def _offline_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's settings or talks to LangSmith."""
    for name in ("BATON_DATABASE_URL", "LANGSMITH_API_KEY", "LANGCHAIN_API_KEY", "BATON_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANGSMITH_TRACING", "false")
    monkeypatch.setenv("LANGCHAIN_TRACING_V2", "false")


def load_sample(name: str) -> dict[str, Any]:
    """A shipped underwriting sample by file stem."""
    data: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'baton.db'}"


@contextmanager
def fresh_postgres_database(prefix: str = "baton_test") -> Iterator[str]:
    """A new PostgreSQL database's URL, dropped (connections and all) afterwards."""
    with databases.fresh_postgres_database(POSTGRES_ADMIN_URL, prefix) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each persistence test twice: on a SQLite file and on a PostgreSQL database of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'baton.db'}"
        return
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    with fresh_postgres_database() as url:
        yield url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
