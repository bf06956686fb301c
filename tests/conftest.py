"""Shared fixtures: database URLs (SQLite file, real PostgreSQL), samples, and a clean environment."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from checkpoints import provisioning

ROOT = Path(__file__).resolve().parents[1]

# Support triage reads messages with the same encoders in the same precision on every machine
# (`auto` depends on the CPU), in this process and the servers and commands it starts: the
# figures the tests pin are the same everywhere, and training stays short.
os.environ["BATON_SUPPORT_TRIAGE_ENCODERS"] = "minilm"
os.environ["BATON_SUPPORT_TRIAGE_ENCODER_PRECISION"] = "float32"
SAMPLES = ROOT / "data" / "samples" / "underwriting"
POSTGRES_ADMIN_URL = provisioning.postgres_admin_url("BATON_TEST_POSTGRES_ADMIN_URL")


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
    with provisioning.fresh_postgres_database(POSTGRES_ADMIN_URL, prefix) as url:
        yield url


def postgres_missing() -> str | None:
    """Why PostgreSQL cannot be reached at POSTGRES_ADMIN_URL (None when it can)."""
    return provisioning.postgres_missing(POSTGRES_ADMIN_URL)


POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)
"""The PostgreSQL case of a saver fixture: marked, so `-m "not postgres"` leaves it out."""


def _saver_url(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "memory":
        yield "memory://"
    elif kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'baton.db'}"
    else:
        missing = postgres_missing()
        if missing is not None:
            pytest.skip(f"PostgreSQL is missing at {POSTGRES_ADMIN_URL} ({missing})")
        with fresh_postgres_database() as url:
            yield url


@pytest.fixture(params=["sqlite", POSTGRES])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each persistence test twice: on a SQLite file and on a PostgreSQL database of its own."""
    yield from _saver_url(request.param, tmp_path)


@pytest.fixture(params=["memory", "sqlite", POSTGRES])
def saver_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each saver test three times: in memory, on a SQLite file, on a PostgreSQL database."""
    yield from _saver_url(request.param, tmp_path)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    with fresh_postgres_database() as url:
        yield url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def python_module(module: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """`python -m MODULE ARGS` in the repository, as a user runs a benchmark: its exit code and
    output (tests never import `bench`)."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )
