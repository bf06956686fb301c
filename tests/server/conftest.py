"""Real server processes for the server suite, each on a free port with its own PostgreSQL
database: `langgraph dev` (the LangGraph server, in-memory edition, checkpointing through Baton's
saver) and Aegra (the open-source LangGraph server on PostgreSQL). Both load the repository's
`langgraph.json` and the API keys below."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import pytest
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient

from agents.contract_review.clause_model import train as train_clause_model
from graphs.server.dev import config_in
from tests.conftest import ROOT, free_port, fresh_postgres_database

BIN = Path(sys.executable).parent
KEYS = {
    "alice": ("alice-key-0001", "submitter"),
    "bob": ("bob-key-0002", "submitter"),
    "rita": ("rita-key-0003", "reviewer"),
    "otto": ("otto-key-0004", "operator"),
}
"""Identity → (API key, role) for the suite's users."""


@dataclass(frozen=True)
class Server:
    name: str
    url: str
    database_url: str
    """The PostgreSQL database the server's checkpoints are in (Baton reads it too)."""
    log: Path

    def client(self, user: str | None) -> SyncLangGraphClient:
        """A client with `user`'s API key (None: no key at all)."""
        key = KEYS[user][0] if user else None
        return get_sync_client(url=self.url, api_key=key)


def _write_keys(folder: Path) -> Path:
    path = folder / "api-keys.json"
    entries = {
        hashlib.sha256(key.encode()).hexdigest(): {"identity": identity, "role": role}
        for identity, (key, role) in KEYS.items()
    }
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def _environment(database_url: str, keys: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGGRAPH_NO_VERSION_CHECK": "true",
        "LANGSMITH_TRACING": "false",
        "BATON_DATABASE_URL": database_url,
        "BATON_API_KEYS_FILE": str(keys),
        "BATON_TRACE_ALL_RUNS": "true",
        # The server runs in a folder of its own: the trained models are the checkout's.
        "BATON_SUPPORT_TRIAGE_MODELS_DIR": str(ROOT / ".baton" / "models"),
        "BATON_CONTRACT_REVIEW_MODELS_DIR": str(ROOT / ".baton" / "models"),
    }
    for name in ("LANGSMITH_API_KEY", "LANGCHAIN_API_KEY", "BATON_AUTH", "BATON_MODEL"):
        env.pop(name, None)
    return env


def _wait_until_up(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start:\n{log.read_text()[-4000:]}")
        time.sleep(0.3)


@pytest.fixture(scope="session", params=["langgraph-dev", "aegra"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """Each server in turn, started once for the session."""
    name: str = request.param
    folder = tmp_path_factory.mktemp(name)
    keys = _write_keys(folder)
    port = free_port()
    log = folder / "server.log"
    # "langgraph-dev-sqlite": the LangGraph server on the embedded default, a SQLite file (asked
    # for by the tests that must hold on both databases; the rest run on PostgreSQL).
    on_sqlite = name.endswith("-sqlite")
    database = (
        nullcontext(f"sqlite:///{folder / 'baton.db'}")
        if on_sqlite
        else fresh_postgres_database(f"baton_{name.replace('-', '_')}")
    )
    # Contract review's clause model, trained here once (seconds) rather than by the server
    # inside the first contract's run.
    train_clause_model(models_dir=ROOT / ".baton" / "models")
    with database as database_url:
        env = _environment(database_url, keys)
        if name.startswith("langgraph-dev"):
            command = [
                str(BIN / "langgraph"),
                "dev",
                "--config",
                str(config_in(folder)),
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
                "--no-browser",
                "--no-reload",
            ]
            health = f"http://127.0.0.1:{port}/ok"
            workdir = folder  # it keeps its own state in its working directory
        else:
            env |= {"DATABASE_URL": database_url, "AEGRA_CONFIG": str(ROOT / "langgraph.json")}
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "aegra_api.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
            ]
            health = f"http://127.0.0.1:{port}/health"
            workdir = folder  # Aegra resolves paths from the config file's folder
        with log.open("wb") as output:
            process = subprocess.Popen(
                command, cwd=workdir, env=env, stdout=output, stderr=subprocess.STDOUT
            )
            try:
                _wait_until_up(process, health, log)
                yield Server(name, f"http://127.0.0.1:{port}", database_url, log)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
