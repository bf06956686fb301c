"""The human queue table on SQLite and PostgreSQL: a case queued again keeps its place and takes
its new reasons, cases list oldest first by workflow, and many gates queue at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from checkpoints.human_queue import HumanQueue


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
