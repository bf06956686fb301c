"""History and rollback over LangGraph's own checkpoints (`get_state_history`, `update_state`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.pregel import Pregel
from langgraph.types import Command, StateSnapshot


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
        if following is not None and (following.metadata or {}).get("source") == "update":
            continue  # a fork replaced what ran from here: those runs are not on this branch
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
    for snapshot in back_along_branch(graph, config):
        if later is not None and any(
            task.name == node and task.result is not None for task in snapshot.tasks
        ):
            return graph.update_state(later.config, values(dict(later.values)), as_node=node)
        later = snapshot
    raise RollbackError(f"{node!r} has not finished on this thread, so there is nothing to rewind")


def replay_node(
    graph: Pregel,
    config: RunnableConfig,
    *,
    node: str,
    values: Callable[[dict[str, Any]], dict[str, Any]],
) -> RunnableConfig:
    """Fork the thread at the checkpoint from which `node` last ran, so that it runs again, and
    everything after it, but nothing before it: for graphs whose nodes follow one another by
    static edges and `Command(goto=…)` (a chain, a vote), where nothing would route back to a node
    whose output is cleared. Nodes that ran in the same superstep as `node` run again with it.

    The fork is written as the node that led to `node` (its predecessor in the superstep before):
    through a static edge when it has one to `node`, else with `Command(goto=node)`. `values` is
    given the state at the fork point and returns the update to write there (a corrected input).
    Returns the config of the new checkpoint; invoke the graph with `None` and that config.
    """
    before: StateSnapshot | None = None
    for snapshot in back_along_branch(graph, config):
        if before is not None:
            return _fork_towards(graph, before, snapshot, node, values(dict(before.values)))
        if any(task.name == node and task.result is not None for task in snapshot.tasks):
            before = snapshot
    raise RollbackError(f"{node!r} has not finished on this thread, so there is nothing to rewind")


def _fork_towards(
    graph: Pregel,
    before: StateSnapshot,
    earlier: StateSnapshot,
    node: str,
    update: dict[str, Any],
) -> RunnableConfig:
    ran = [task.name for task in earlier.tasks if not task.name.startswith("__")]
    builder = getattr(graph, "builder", None)
    edges: set[tuple[str, str]] = getattr(builder, "edges", set())
    static = [name for name in ran if (name, node) in edges]
    if static:
        return graph.update_state(before.config, update, as_node=static[0])
    if not ran:
        raise RollbackError(f"nothing ran before {node!r}, so there is no point to fork from")
    return graph.update_state(before.config, Command(goto=node, update=update), as_node=ran[0])


def back_along_branch(graph: Pregel, config: RunnableConfig) -> Iterator[StateSnapshot]:
    """The current branch from its latest checkpoint backwards, one lookup per checkpoint, so a
    rollback costs what it walks back over, not the length of the thread's history."""
    snapshot: StateSnapshot | None = graph.get_state(config)
    while snapshot is not None and snapshot.config.get("configurable", {}).get("checkpoint_id"):
        yield snapshot
        parent = snapshot.parent_config
        snapshot = graph.get_state(parent) if parent else None
