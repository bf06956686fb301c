"""The human queue: cases waiting for a person at a review gate, kept in the LangGraph `Store`.

A gate puts its case here before it stops (`enqueue`) and takes it out once a person has decided
(`dequeue`). The entries live in the configured database (the store `open_store` opens, which is
also the store a LangGraph server runs with), under the namespace `("baton", "human_queue",
workflow)` keyed by thread, so `baton queue` and any store client (`langgraph_sdk`'s
`client.store.search_items`) list the same cases. Putting a case again keeps its first
`queued_at`: a gate that re-runs (a resume, a crash) does not move it to the back of the queue.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from langgraph.store.base import BaseStore

from schemas.review import QueuedCase

NAMESPACE = ("baton", "human_queue")
PAGE = 200


def _namespace(workflow: str) -> tuple[str, ...]:
    return (*NAMESPACE, workflow)


def enqueue(store: BaseStore, case: dict[str, Any]) -> tuple[QueuedCase, bool]:
    """Put a case on the queue (validated as a `QueuedCase`); returns the entry and whether it is
    new. A case already waiting keeps its `queued_at` (its place in the queue) and takes the new
    reasons (a rollback may have changed them)."""
    namespace = _namespace(str(case.get("workflow")))
    earlier = store.get(namespace, str(case.get("thread_id")))
    queued_at = earlier.value.get("queued_at") if earlier is not None else None
    entry = QueuedCase.model_validate(
        {**case, "queued_at": queued_at or datetime.now(UTC).isoformat()}
    )
    if earlier is None or earlier.value != entry.model_dump(mode="json"):
        store.put(namespace, entry.thread_id, entry.model_dump(mode="json"), index=False)
    return entry, earlier is None


def dequeue(store: BaseStore, workflow: str, thread_id: str) -> None:
    """Take a thread's case off the queue (nothing happens when it is not there)."""
    store.delete(_namespace(workflow), thread_id)


async def waiting_cases(store: BaseStore, workflow: str | None = None) -> list[QueuedCase]:
    """Every waiting case (of one workflow, or all), oldest first."""
    prefix = _namespace(workflow) if workflow else NAMESPACE
    cases: list[QueuedCase] = []
    offset = 0
    while True:
        page = await store.asearch(prefix, limit=PAGE, offset=offset)
        cases.extend(QueuedCase.model_validate(item.value) for item in page)
        if len(page) < PAGE:
            break
        offset += PAGE
    return sorted(cases, key=lambda case: (case.queued_at, case.thread_id))
