"""History and rollback over LangGraph's own checkpoints (`get_state_history`, `update_state`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.pregel import Pregel
from langgraph.types import StateSnapshot


@dataclass(frozen=True)
class NodeStep:
    """One node run on a thread's current branch."""

    node: str
    step: int
    """LangGraph's superstep number."""
    checkpoint_id: str
    """The checkpoint just before the node ran (the point to rewind to)."""
    finished_at: datetime | None
    """When the checkpoint holding its result was written (None if it has not finished)."""
    writes: dict[str, Any] | None
    """What the node wrote (None if it has not finished)."""


def node_steps(graph: Pregel, config: RunnableConfig) -> list[NodeStep]:
    """Every node run on the thread's current branch, oldest first."""
    history = list(graph.get_state_history(config))
    history.reverse()
    steps: list[NodeStep] = []
    for index, snapshot in enumerate(history):
        following = history[index + 1] if index + 1 < len(history) else None
        for task in snapshot.tasks:
            if task.name.startswith("__"):
                continue
            finished = following is not None and task.result is not None
            steps.append(
                NodeStep(
                    node=task.name,
                    step=int(snapshot.metadata.get("step", -1)) if snapshot.metadata else -1,
                    checkpoint_id=snapshot.config["configurable"]["checkpoint_id"],
                    finished_at=_created(following) if finished and following else None,
                    writes=dict(task.result)
                    if finished and isinstance(task.result, dict)
                    else None,
                )
            )
    return steps


def _created(snapshot: StateSnapshot) -> datetime | None:
    return datetime.fromisoformat(snapshot.created_at) if snapshot.created_at else None


class RollbackError(ValueError):
    """A rollback that cannot be done (the node never finished on this thread, …)."""


def rewind_to_node(
    graph: Pregel,
    config: RunnableConfig,
    *,
    node: str,
    router: str,
    values: dict[str, Any],
) -> RunnableConfig:
    """Fork the thread so that `node` runs again, and everything after it, but nothing before it.

    The fork is taken from the checkpoint written right after the node's last run, so results of
    nodes that ran before it, or beside it in the same superstep, are kept. `values` is applied
    there as if `router` (the node that dispatches to `node`) had just run: it must clear the node's
    output so the router sends work to it again, and may carry a corrected input. Returns the
    config of the new checkpoint; invoke the graph with `None` and that config to run from it.
    """
    history = list(graph.get_state_history(config))  # newest first
    for index, snapshot in enumerate(history):
        ran = [t for t in snapshot.tasks if t.name == node and t.result is not None]
        if ran and index > 0:
            after = history[index - 1]
            return graph.update_state(after.config, values, as_node=router)
    raise RollbackError(f"{node!r} has not finished on this thread, so there is nothing to rewind")
