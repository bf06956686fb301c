"""PostgreSQL restarted in the middle of a run: the run either carries on (the pools reconnect) or
fails with a clear error; either way the thread then finishes with nothing lost and the decision
recorded once. A restart in the middle of an agent's read of business data (the policy table) is
retried by the agent: the clean case is still approved, not sent to review. Restarts the
machine's real PostgreSQL server, so it needs root and pg_ctlcluster."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from agents.underwriting import RISK
from agents.underwriting.policy_db import policy_engine
from checkpoints.ledger import SideEffectLedger
from checkpoints.trace_store import TraceStore
from graphs.kit.runtime import open_workflow
from graphs.underwriting import DECISION_KIND
from schemas.trace import EventKind
from tests.conftest import fresh_postgres_database, load_sample

# Alone: restarting the shared server would break whatever the other workers of a parallel run
# are doing on it (a test there failed with "the database system is shutting down").
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.alone]


def _restart_postgres() -> None:
    clusters = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True)
    version, name = clusters.stdout.split()[:2]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart"],
        check=True,
        timeout=60,
    )


@contextmanager
def _restart_while_risk_scores(url: str) -> Iterator[None]:
    plain_risk = RISK.implementations[0].run

    def risk_while_the_database_restarts(payload: Any, context: Any) -> Any:
        _restart_postgres()
        return plain_risk(payload, context)

    object.__setattr__(RISK.implementations[0], "run", risk_while_the_database_restarts)
    try:
        yield
    finally:
        object.__setattr__(RISK.implementations[0], "run", plain_risk)


@contextmanager
def _restart_while_the_policy_table_is_read(url: str) -> Iterator[None]:
    engine = policy_engine(url)
    restarted: list[bool] = []

    def restart_before_the_read(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not restarted and "FROM uw_policies" in statement:
            restarted.append(True)
            _restart_postgres()  # the connection the read is about to use dies with the server

    event.listen(engine, "before_cursor_execute", restart_before_the_read)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", restart_before_the_read)
    assert restarted, "the policy table was never read"


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("pg_ctlcluster") is None,
    reason="restarting PostgreSQL needs root and pg_ctlcluster",
)
@pytest.mark.parametrize(
    "restart_during",
    [_restart_while_risk_scores, _restart_while_the_policy_table_is_read],
    ids=["risk", "policy-read"],
)
def test_a_postgres_restart_mid_run_loses_nothing(
    restart_during: Callable[[str], Any],
) -> None:
    thread = "restarted-mid-run"
    with fresh_postgres_database() as url:
        with restart_during(url), open_workflow("underwriting", url) as flow:
            try:
                report = flow.start(load_sample("01_clean_straight_through"), thread_id=thread)
            except Exception as error:  # a clear database error, not a silent loss
                assert "connection" in str(error).lower() or "terminat" in str(error).lower()
                report = None
        with open_workflow("underwriting", url) as flow:
            if report is None or report.status != "completed":
                report = flow.continue_thread(thread)
            assert report.status == "completed" and report.decision is not None
            assert report.decision["outcome"] == "approved"
        steps = Counter(e.node for e in TraceStore(url).events(thread, EventKind.STEP))
        for agent in ("intake", "policy_lookup", "compliance", "quote", "finalize"):
            assert steps[agent] == 1, f"{agent} ran {steps[agent]} times"
        assert len(SideEffectLedger(url).for_thread(thread, DECISION_KIND)) == 1
