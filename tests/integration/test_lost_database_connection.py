"""An agent's read of business data on PostgreSQL survives a lost connection (the server
restarting, a failover, a killed backend): it is tried again for BATON_DATABASE_RETRY_SECONDS,
and only a database that stays away fails the agent, as `unavailable`. A lasting refusal (no such
database) fails at once. The connections are killed for real, with pg_terminate_backend."""

from __future__ import annotations

import logging
import socket
import sqlite3
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from agents.invoice_review.ap_db import ap_engine, find_vendor
from agents.spec import AgentContext
from agents.underwriting.policy_db import policy_engine
from agents.underwriting.policy_lookup import lookup_prior_policy
from checkpoints.database import DatabaseURL, is_transient_database_error, parse_database_url
from schemas.result import ErrorKind, Outcome, Status
from schemas.underwriting import PolicyLookupInput, PriorPolicy
from tests.conftest import fresh_postgres_database

pytestmark = pytest.mark.postgres

ON_FILE = PolicyLookupInput(
    policy_number="BTN-2021-004512", applicant_name="Harbor Light Bakery LLC"
)


@pytest.fixture
def database() -> Iterator[str]:
    with fresh_postgres_database("baton_lost_conn") as url:
        yield url


def _kill_the_backend_once_it_runs(engine: Any, url: DatabaseURL, table: str) -> list[int]:
    """Before the first statement on `table` runs, terminate the backend that is about to run it
    (as a restart would): the statement then meets a dead connection. Returns the pids killed."""
    killed: list[int] = []

    @event.listens_for(engine, "before_cursor_execute")
    def kill(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if killed or table not in statement:
            return
        pid = conn.connection.dbapi_connection.info.backend_pid
        with psycopg.connect(url.libpq_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
        killed.append(pid)

    return killed


def test_a_policy_read_whose_connection_is_killed_mid_query_is_tried_again_and_finds_the_policy(
    database: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = policy_engine(database)  # created and seeded before the connection is killed
    killed = _kill_the_backend_once_it_runs(engine, parse_database_url(database), "uw_policies")

    with caplog.at_level(logging.WARNING, logger="checkpoints.database"):
        found = lookup_prior_policy(ON_FILE, AgentContext(database_url=database))

    assert len(killed) == 1, "the backend running the read was not killed"
    assert isinstance(found, PriorPolicy), found
    assert found.policy_number == "BTN-2021-004512" and found.insured_matches_applicant
    assert any("find_policy" in record.getMessage() for record in caplog.records)


def test_a_vendor_read_whose_connection_is_killed_is_tried_again(database: str) -> None:
    engine = ap_engine(database)
    killed = _kill_the_backend_once_it_runs(engine, parse_database_url(database), "ap_vendors")
    vendor = find_vendor(database, "V-1001")
    assert len(killed) == 1
    assert vendor is not None and vendor["vendor_id"] == "V-1001"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_database_that_stays_away_fails_the_lookup_as_unavailable_once_the_retries_run_out(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("BATON_DATABASE_RETRY_SECONDS", "1")
    away = f"postgresql://root@127.0.0.1:{_closed_port()}/test"

    with caplog.at_level(logging.WARNING, logger="checkpoints.database"):
        outcome = lookup_prior_policy(ON_FILE, AgentContext(database_url=away))

    assert isinstance(outcome, Outcome) and outcome.status is Status.FAILED
    assert outcome.error_kind is ErrorKind.UNAVAILABLE
    assert "policy table unavailable" in outcome.reason and "OperationalError" in outcome.reason
    retries = [r for r in caplog.records if "find_policy" in r.getMessage()]
    assert len(retries) >= 2, "the lookup was not tried again while the database was away"


def test_a_database_that_does_not_exist_fails_the_lookup_at_once_without_retrying(
    database: str, caplog: pytest.LogCaptureFixture
) -> None:
    missing = database.rsplit("/", 1)[0] + "/baton_no_such_database"
    with caplog.at_level(logging.WARNING, logger="checkpoints.database"):
        outcome = lookup_prior_policy(ON_FILE, AgentContext(database_url=missing))
    assert isinstance(outcome, Outcome) and outcome.status is Status.FAILED
    assert "does not exist" in outcome.reason
    assert not [r for r in caplog.records if "find_policy" in r.getMessage()]


def test_sqlite_errors_are_never_taken_for_a_lost_connection() -> None:
    locked = OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))
    assert not is_transient_database_error(locked)
    assert not is_transient_database_error(ValueError("not a database error"))
