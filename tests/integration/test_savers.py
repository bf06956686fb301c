"""The same thread tests against every saver the factory gives: memory, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from checkpoints.database import parse_database_url
from checkpoints.saver import open_saver
from graphs.kit.runtime import open_workflow
from schemas.trace import EventKind
from tests.conftest import load_sample

SAVER_TYPES = {"memory": InMemorySaver, "sqlite": AsyncSqliteSaver, "postgres": AsyncPostgresSaver}


def test_factory_gives_the_official_saver_for_each_url(saver_url: str) -> None:
    async def opened() -> type:
        async with open_saver(saver_url) as saver:
            return type(saver)

    assert asyncio.run(opened()) is SAVER_TYPES[parse_database_url(saver_url).kind]


def test_interrupt_resume_and_rollback_on_every_saver(saver_url: str) -> None:
    thread = f"saver-{uuid.uuid4().hex[:8]}"
    with open_workflow("underwriting", saver_url) as flow:
        stopped = flow.start(load_sample("07_missing_loss_run"), thread_id=thread)
        assert stopped.status == "awaiting_review"
    # A new process-like handle on the same database sees the same thread.
    with open_workflow("underwriting", saver_url) as flow:
        assert flow.report(thread).status == "awaiting_review"
        done = flow.resume(thread, {"action": "approve", "reviewer": "Kim"})
        assert done.status == "completed" and done.decision is not None
        assert done.decision["outcome"] == "approved"
        again = flow.rollback(thread, "compliance")
        assert (
            again.status == "awaiting_review"
        )  # compliance re-ran, so its findings stop the case again
        steps = Counter(e.node for e in flow.traces.events(thread, EventKind.STEP))
        assert steps["intake"] == 1 and steps["risk"] == 1 and steps["compliance"] == 2


def test_unknown_url_scheme_is_refused() -> None:
    async def opened() -> None:
        async with open_saver("redis://localhost"):
            pass

    with pytest.raises(ValueError, match="not understood"):
        asyncio.run(opened())
