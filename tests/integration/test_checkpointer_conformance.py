"""LangGraph's own checkpointer conformance suite (`langgraph-checkpoint-conformance`) against the
savers Baton's factory configures for SQLite and PostgreSQL, each capability suite on a database of its
own. (`memory://` is LangGraph's own InMemorySaver, unchanged.)"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.conformance import checkpointer_test, validate

from checkpoints.saver import open_saver
from tests.conftest import fresh_postgres_database


def _conformance(url_for_run: AsyncIterator[str], name: str) -> dict[str, object]:
    """Run the suite; each capability suite gets a fresh saver on a fresh database."""

    async def fresh_saver() -> AsyncIterator[BaseCheckpointSaver]:
        url = await anext(url_for_run)
        async with open_saver(url) as saver:
            yield saver

    registered = checkpointer_test(name=name)(fresh_saver)

    async def run() -> dict[str, object]:
        report = await validate(registered)
        report.print_report()
        return report.to_dict()

    return asyncio.run(run())


def _assert_conformant(report: dict[str, object]) -> None:
    results = report["results"]
    assert isinstance(results, dict)
    failures = {cap: r["failures"] for cap, r in results.items() if r["passed"] is False}
    assert failures == {}
    for base in ("put", "put_writes", "get_tuple", "list", "delete_thread"):
        assert results[base]["detected"] and results[base]["passed"] is True, base


def test_sqlite_saver_passes_the_conformance_suite(tmp_path: Path) -> None:
    async def urls() -> AsyncIterator[str]:
        while True:
            yield f"sqlite:///{tmp_path / uuid.uuid4().hex / 'baton.db'}"

    _assert_conformant(_conformance(urls(), "Baton sqlite"))


@pytest.mark.slow
def test_postgres_saver_passes_the_conformance_suite() -> None:
    with ExitStack() as databases:

        async def urls() -> AsyncIterator[str]:
            while True:
                yield databases.enter_context(fresh_postgres_database("baton_conformance"))

        _assert_conformant(_conformance(urls(), "Baton postgres"))
