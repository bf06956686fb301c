"""History and rollback over LangGraph's own checkpoints (`get_state_history`, `update_state`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


def lineage(graph: Pregel, config: RunnableConfig) -> list[StateSnapshot]:
    """The checkpoints of the thread's current branch, oldest first.

    `get_state_history` lists every checkpoint of a thread, forks included; following the parents
    from the latest checkpoint gives only the branch the thread is on now.
    """
    by_id = {
        snapshot.config["configurable"]["checkpoint_id"]: snapshot
        for snapshot in graph.get_state_history(config)
    }
    latest = graph.get_state(config)
    branch: list[StateSnapshot] = []
    checkpoint_id = (latest.config.get("configurable") or {}).get("checkpoint_id")
    while checkpoint_id and checkpoint_id in by_id:
        snapshot = by_id[checkpoint_id]
        branch.append(snapshot)
        parent = snapshot.parent_config
        checkpoint_id = (parent.get("configurable") or {}).get("checkpoint_id") if parent else None
    branch.reverse()
    return branch


def node_steps(graph: Pregel, config: RunnableConfig) -> list[NodeStep]:
    """Every node run on the thread's current branch, oldest first."""
    history = lineage(graph, config)
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
    values: Callable[[dict[str, Any]], dict[str, Any]],
) -> RunnableConfig:
    """Fork the thread so that `node` runs again, and everything after it, but nothing before it.

    The fork is taken, on the thread's current branch, from the checkpoint written right after the
    node's last run, so the results of nodes that ran before it or beside it in the same superstep
    are kept. `values` is given the state at that fork point and returns the update to apply there
    as the node's own write: it must clear the node's output (so that whatever routes to it sends
    work to it again) and may carry a corrected input.
    Returns the config of the new checkpoint; invoke the graph with `None` and that config.
    """
    later: StateSnapshot | None = None
    for snapshot in _back_along_branch(graph, config):
        if later is not None and any(
            task.name == node and task.result is not None for task in snapshot.tasks
        ):
            return graph.update_state(later.config, values(dict(later.values)), as_node=node)
        later = snapshot
    raise RollbackError(f"{node!r} has not finished on this thread, so there is nothing to rewind")


def _back_along_branch(graph: Pregel, config: RunnableConfig) -> Iterator[StateSnapshot]:
    """The current branch from its latest checkpoint backwards, one lookup per checkpoint, so a
    rollback costs what it walks back over, not the length of the thread's history."""
    snapshot: StateSnapshot | None = graph.get_state(config)
    while snapshot is not None and snapshot.config.get("configurable", {}).get("checkpoint_id"):
        yield snapshot
        parent = snapshot.parent_config
        snapshot = graph.get_state(parent) if parent else None
