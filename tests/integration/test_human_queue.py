"""The human queue table on SQLite and PostgreSQL: a case queued again keeps its place and takes
its new reasons, cases list oldest first by workflow, many gates queue at once, each gate of a
thread (departments of a hierarchy) waits on its own, and a database with the old one-row-per-
thread table keeps its waiting cases."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, Text, insert, text

from checkpoints.database import engine_for
from checkpoints.human_queue import LEGACY_TABLE, HumanQueue


def _case(thread: str, workflow: str = "support_triage", reason: str = "weak") -> dict[str, Any]:
    return {
        "workflow": workflow,
        "thread_id": thread,
        "gate": "review_gate",
        "subject": f"case {thread}",
        "reasons": [reason],
        "recommendation": "approve",
    }


def test_a_case_queued_again_keeps_its_place_and_takes_its_new_reasons(database_url: str) -> None:
    queue = HumanQueue(database_url)
    first, new = queue.enqueue(_case("a"))
    assert new
    queue.enqueue(_case("b", workflow="underwriting"))
    again, new = queue.enqueue(_case("a", reason="rolled back"))

    assert not new and again.queued_at == first.queued_at
    assert [case.thread_id for case in queue.waiting()] == ["a", "b"]
    assert queue.waiting("support_triage")[0].reasons == ["rolled back"]
    assert [case.thread_id for case in queue.waiting("underwriting")] == ["b"]

    queue.dequeue("a")
    queue.dequeue("a")  # nothing happens: it is gone
    assert [case.thread_id for case in queue.waiting()] == ["b"]


def test_many_gates_queue_and_dequeue_at_once(database_url: str) -> None:
    queue = HumanQueue(database_url)

    def one(index: int) -> None:
        queue.enqueue(_case(f"t{index:02d}"))
        queue.enqueue(_case(f"t{index:02d}", reason="again"))
        if index % 2:
            queue.dequeue(f"t{index:02d}")

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, range(32)))

    waiting = queue.waiting()
    assert sorted(case.thread_id for case in waiting) == [f"t{i:02d}" for i in range(0, 32, 2)]
    assert all(case.reasons == ["again"] for case in waiting)
    assert [case.queued_at for case in waiting] == sorted(case.queued_at for case in waiting)


def test_each_gate_of_a_thread_waits_on_its_own(database_url: str) -> None:
    queue = HumanQueue(database_url)
    queue.enqueue({**_case("h"), "department": "sales"})
    queue.enqueue({**_case("h"), "department": "legal"})
    queue.enqueue(_case("h"))  # the workflow's own gate, of the same name
    _, new = queue.enqueue({**_case("h", reason="again"), "department": "sales"})
    assert not new

    assert sorted((c.department or "", c.reasons[0]) for c in queue.of_thread("h")) == [
        ("", "weak"),
        ("legal", "weak"),
        ("sales", "again"),
    ]
    queue.dequeue("h", "review_gate", department="sales")
    assert sorted(c.department or "" for c in queue.waiting()) == ["", "legal"]
    queue.dequeue("h", "review_gate")
    assert [c.department for c in queue.waiting()] == ["legal"] and queue.is_waiting("h")
    queue.dequeue("h", "review_gate", department="legal")
    assert not queue.is_waiting("h")
    queue.enqueue({**_case("h"), "department": "sales"})
    queue.enqueue(_case("h"))
    queue.dequeue("h")  # no gate named: the whole thread
    assert queue.waiting() == []


def _legacy_queue(database_url: str, threads: list[str]) -> None:
    """The queue's table as Baton made it before gates were queued one by one (one row per
    thread), holding a waiting case for each of `threads`."""
    old = MetaData()
    table = Table(
        LEGACY_TABLE,
        old,
        Column("thread_id", String(200), primary_key=True),
        Column("workflow", String(100), nullable=False, index=True),
        Column("queued_at", String(40), nullable=False, index=True),
        Column("entry", Text, nullable=False),
    )
    engine = engine_for(database_url)
    old.create_all(engine)
    with engine.begin() as conn:
        for index, thread in enumerate(threads):
            at = f"2024-01-01T00:00:{index:02d}+00:00"
            entry = {**_case(thread, reason="kept"), "queued_at": at}
            conn.execute(
                insert(table).values(
                    thread_id=thread,
                    workflow=entry["workflow"],
                    queued_at=at,
                    entry=json.dumps(entry),
                )
            )


def test_the_old_one_row_per_thread_table_is_taken_over_without_losing_a_case(
    database_url: str,
) -> None:
    _legacy_queue(database_url, ["old"])
    queue = HumanQueue(database_url)

    [case] = queue.waiting()
    assert (case.thread_id, case.gate, case.department, case.reasons) == (
        "old",
        "review_gate",
        None,
        ["kept"],
    )
    assert case.queued_at == "2024-01-01T00:00:00+00:00" and queue.is_waiting("old")
    again, new = queue.enqueue(_case("old", reason="asked again"))  # the gate re-runs
    assert not new and again.queued_at == case.queued_at
    with engine_for(database_url).connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {LEGACY_TABLE}")).scalar() == 0
    HumanQueue(database_url)  # opened again: nothing moves twice
    assert [c.reasons for c in queue.waiting()] == [["asked again"]]
    queue.dequeue("old", "review_gate")
    assert not queue.is_waiting("old")


def test_processes_opening_an_old_queue_at_once_take_each_case_over_once(
    database_url: str,
) -> None:
    threads = [f"t{index:02d}" for index in range(20)]
    _legacy_queue(database_url, threads)

    def open_and_list(_: int) -> list[str]:
        return [case.thread_id for case in HumanQueue(database_url).waiting()]

    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(open_and_list, range(8)))

    assert all(listed == threads for listed in seen)  # each opener finds every case, once
