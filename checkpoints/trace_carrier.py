"""Trace events that ride the saver's own transactions.

A step's trace events are held in memory while the step runs (`TraceCarrier.hold`) and written by
the saver in the same transaction as the step's writes (`aput_writes`): one commit for both, so a
crash leaves both or neither. A killed step whose writes were not saved runs again on resume and
is traced once, by that run; a step whose writes were saved is not run again and its events are
there. The steps of a subgraph that saves nothing of its own go with the writes of the task that
ran it. Events still held when a checkpoint is saved (a step whose writes are saved after it, or
could not be saved) go in the checkpoint's transaction, so a checkpoint is not saved without the
events of the steps it holds; one that cannot take them is not saved, and under
`durability="sync"` the run stops there. A write that fails marks the thread, and its next step
refuses to start until a checkpoint has taken the events again.

A side effect recorded in the ledger first waits until the checkpoint its step runs from is saved
(`wait_until_durable`): with LangGraph's async durability (the servers' default) the next steps
run while checkpoints are being saved, and a crash would otherwise re-run, from an earlier
checkpoint, a step whose effect is already recorded (under another task id, so another key).

With async durability a step's writes may also be saved before the checkpoint they attach to. If
the process dies before that checkpoint is saved, LangGraph runs the step again from an earlier
checkpoint, and the first run's events stay in the trace, as its writes stay in the saver: the
step shows twice, under two task ids. With `durability="sync"` (what `baton` and `WorkflowRun`
use) a checkpoint is saved before the next step starts, so this cannot happen.

The savers stay LangGraph's official ones (`carry_traces` binds the trace-carrying methods on the
instance); a run on one finds the carrier through `CURRENT_CARRIER`, set when the run reads its
thread's checkpoint, and uses it for that thread only."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
)
from langgraph.checkpoint.memory import InMemorySaver

from checkpoints.database import parse_database_url
from checkpoints.trace_store import TraceStore, trace_insert_params, trace_insert_sql
from schemas.trace import TraceEvent


@dataclass(frozen=True)
class _Held:
    order: int
    namespace: str
    """The checkpoint namespace of the graph the task ran in ("" for the top graph)."""
    step: int | None
    task_id: str
    event: TraceEvent


class TraceNotWritten(RuntimeError):
    """An earlier step's trace could not be written, so later steps must not run untraced."""


class TraceCarrier:
    """The trace events of running steps, by thread and task, until a saver writes them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[tuple[str, str], list[_Held]] = {}
        self._order = itertools.count()
        self._failures: dict[str, BaseException] = {}
        self._saved: OrderedDict[tuple[str, str], str] = OrderedDict()
        """The latest checkpoint id known saved, by (thread, namespace): a graph's checkpoints
        are saved in order, so every id up to it is saved too (least recently used first)."""
        self._unsaved: dict[tuple[str, str], tuple[str, BaseException]] = {}
        """The checkpoint whose save failed, with the error, by (thread, namespace)."""
        self._serving: set[str] = set()
        """Threads a run on this carrier's saver has read (their steps' events are held)."""
        self._saved_changed = threading.Condition(self._lock)

    def hold(self, checkpoint_ns: str, step: int | None, event: TraceEvent) -> None:
        """Keep `event` of the task at the end of `checkpoint_ns` (a node run's
        `langgraph_checkpoint_ns`), run at `step`, until the saver writes that task's writes or
        the checkpoint that holds them."""
        namespace, _, last = checkpoint_ns.rpartition("|")
        task_id = last.rpartition(":")[2]
        with self._lock:
            held = _Held(next(self._order), namespace, step, task_id, event)
            self._held.setdefault((event.thread_id, task_id), []).append(held)

    def holds(self, thread_id: str, task_id: str) -> bool:
        """Whether events of this task are held."""
        with self._lock:
            return (thread_id, task_id) in self._held

    def take(self, thread_id: str, task_id: str) -> list[_Held]:
        """The events held for one task, and for the steps of a graph it ran as a subgraph that
        its graph did not save (a subgraph without a checkpointer of its own), no longer held:
        the task's writes are saved after all of them ended."""
        suffix = f":{task_id}"
        with self._lock:
            taken = self._held.pop((thread_id, task_id), [])
            for key in [key for key in self._held if key[0] == thread_id]:
                inside = self._held[key][0].namespace.split("|")
                if any(part.endswith(suffix) for part in inside):
                    taken += self._held.pop(key)
        return sorted(taken, key=lambda held: held.order)

    def take_until(self, thread_id: str, namespace: str, step: int) -> list[_Held]:
        """The events held for the tasks of one graph (its checkpoint namespace) that ran at or
        before `step`, the step of the checkpoint being saved (which holds their writes). The
        tasks of the next step, running while it is saved under LangGraph's async durability,
        stay held."""
        with self._lock:
            taken: list[_Held] = []
            for key in [key for key in self._held if key[0] == thread_id]:
                entries = self._held[key]
                mine = [
                    held
                    for held in entries
                    if held.namespace == namespace and (held.step is None or held.step <= step)
                ]
                if mine:
                    rest = [held for held in entries if held not in mine]
                    if rest:
                        self._held[key] = rest
                    else:
                        del self._held[key]
                    taken += mine
        return sorted(taken, key=lambda held: held.order)

    def give_back(self, taken: Sequence[_Held]) -> None:
        """Hold again events whose write failed, in their first order."""
        with self._lock:
            for held in taken:
                self._held.setdefault((held.event.thread_id, held.task_id), []).append(held)
            for entries in self._held.values():
                entries.sort(key=lambda held: held.order)

    def failed(self, thread_id: str, error: BaseException) -> None:
        """Mark the thread untraced: its next step refuses to run (`check`)."""
        with self._lock:
            self._failures[thread_id] = error

    def written(self, thread_id: str) -> None:
        """Everything held for the thread is written (with a checkpoint): it may run on."""
        with self._lock:
            self._failures.pop(thread_id, None)

    def check(self, thread_id: str) -> None:
        """TraceNotWritten when an earlier step's trace of this thread could not be written and
        has not been written since."""
        with self._lock:
            error = self._failures.get(thread_id)
        if error is not None:
            raise TraceNotWritten(
                f"the trace of an earlier step of thread {thread_id!r} could not be written "
                f"({type(error).__name__}: {error}); the run stops rather than go on untraced"
            ) from error

    def serve(self, thread_id: str) -> None:
        """A run on this carrier's saver reads the thread: hold its steps' events."""
        with self._lock:
            self._serving.add(thread_id)

    def serves(self, thread_id: str) -> bool:
        with self._lock:
            return thread_id in self._serving

    def checkpoint_saved(
        self,
        thread_id: str,
        namespace: str,
        checkpoint_id: str,
        error: BaseException | None = None,
    ) -> None:
        """Note that a checkpoint of a thread's graph is saved (or, with `error`, failed to)."""
        key = (thread_id, namespace)
        with self._saved_changed:
            if error is not None:
                self._unsaved[key] = (checkpoint_id, error)
            elif checkpoint_id > self._saved.get(key, ""):
                self._saved[key] = checkpoint_id
                self._saved.move_to_end(key)
                self._unsaved.pop(key, None)
                while len(self._saved) > KEPT_GRAPHS:
                    self._saved.popitem(last=False)
            self._saved_changed.notify_all()

    def wait_saved(
        self, thread_id: str, namespace: str, checkpoint_id: str, timeout: float
    ) -> None:
        """Block until the checkpoint `checkpoint_id` of a thread's graph is saved: a side effect
        must not happen before the step it follows is durable (with LangGraph's async durability
        the next steps run while the checkpoint is being saved). Raises TraceNotWritten when
        that checkpoint failed to save or is not saved within `timeout` seconds."""
        key = (thread_id, namespace)

        def settled() -> bool:
            failed = self._unsaved.get(key)
            return self._saved.get(key, "") >= checkpoint_id or (
                failed is not None and failed[0] <= checkpoint_id
            )

        with self._saved_changed:
            done = self._saved_changed.wait_for(settled, timeout)
            saved = self._saved.get(key, "") >= checkpoint_id
            failed = self._unsaved.get(key)
        if not saved:
            error = failed[1] if done and failed is not None else None
            why = f"{type(error).__name__}: {error}" if error else f"not within {timeout:.0f} s"
            raise TraceNotWritten(
                f"checkpoint {checkpoint_id} of thread {thread_id!r} was not saved ({why}): "
                "the step after it records no side effect"
            ) from error

    def discard(self, thread_id: str) -> None:
        """Forget a thread's held events and failure when its run ends: what is still held
        belongs to steps whose writes were not saved, which run (and are traced) again."""
        with self._lock:
            for key in [key for key in self._held if key[0] == thread_id]:
                del self._held[key]
            self._failures.pop(thread_id, None)
            self._serving.discard(thread_id)
            for key in [key for key in self._unsaved if key[0] == thread_id]:
                del self._unsaved[key]


CARRIER_ATTRIBUTE = "_baton_trace_carrier"
"""The attribute a carrying saver keeps its carrier in."""

CURRENT_CARRIER: ContextVar[TraceCarrier | None] = ContextVar("baton_trace_carrier", default=None)
"""The carrier of the saver the current graph run checkpoints with (None: the saver is not one
`carry_traces` made, so the tracer writes each step's events itself)."""

_RIDING: ContextVar[Sequence[TraceEvent] | None] = ContextVar("baton_riding_events", default=None)
"""The events the saver call in progress (in this task) writes in its own transaction."""


def carry_traces(saver: BaseCheckpointSaver, database_url: str) -> TraceCarrier:
    """Make `saver` (LangGraph's SQLite, PostgreSQL or in-memory saver, opened for
    `database_url`) write held trace events in the transaction of the writes or checkpoint they
    belong to, and return its carrier. The saver's own statements are unchanged: the events ride
    its commit (SQLite) or its cursor's transaction (PostgreSQL)."""
    carrier = TraceCarrier()
    kind = parse_database_url(database_url).kind
    if kind == "sqlite":  # LangGraph's AsyncSqliteSaver
        saver.conn = _SqliteCommitWithTrace(saver.conn)  # type: ignore[attr-defined]
    elif kind == "postgres":  # LangGraph's AsyncPostgresSaver
        _postgres_cursor_with_trace(saver)
    elif isinstance(saver, InMemorySaver):
        _memory_writes_trace_first(saver, TraceStore(database_url))

    # The class's own methods, looked up at each call (not bound now): a patch of the class
    # made after the saver was opened (a test's planted crash) still runs.
    saver_class = type(saver)

    def plain_get_tuple(config: RunnableConfig) -> Awaitable[Any]:
        return saver_class.aget_tuple(saver, config)

    def plain_put_writes(
        config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str
    ) -> Awaitable[None]:
        return saver_class.aput_writes(saver, config, writes, task_id, task_path)

    def plain_put(
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> Awaitable[RunnableConfig]:
        return saver_class.aput(saver, config, checkpoint, metadata, new_versions)

    # LangGraph saves writes and checkpoints in the background, in no fixed order. A checkpoint
    # waits for the writes being saved to the checkpoints before it in its graph (the events of
    # one that failed are then held again), then takes every event still held for the steps it
    # holds, including those whose writes are saved after it.
    writing: dict[str, dict[asyncio.Future[None], tuple[str, str]]] = {}
    """Per thread, the writes being saved, with the namespace and checkpoint each attaches to."""

    async def aget_tuple(config: RunnableConfig) -> Any:
        CURRENT_CARRIER.set(carrier)
        configurable = config["configurable"]
        carrier.serve(str(configurable["thread_id"]))
        found = await plain_get_tuple(config)
        if found is not None:
            carrier.checkpoint_saved(
                str(configurable["thread_id"]),
                str(found.config["configurable"].get("checkpoint_ns") or ""),
                found.config["configurable"]["checkpoint_id"],
            )
        return found

    async def aput_writes(
        config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        configurable = config["configurable"]
        thread_id = str(configurable["thread_id"])
        attached = (
            str(configurable.get("checkpoint_ns") or ""),
            str(configurable["checkpoint_id"]),
        )
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        writing.setdefault(thread_id, {})[done] = attached
        try:
            held = carrier.take(thread_id, task_id)
            await _riding(
                carrier, thread_id, held, plain_put_writes(config, writes, task_id, task_path)
            )
        finally:
            del writing[thread_id][done]
            if not writing[thread_id]:
                del writing[thread_id]
            done.set_result(None)

    async def aput(
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        thread_id = str(config["configurable"]["thread_id"])
        namespace = str(config["configurable"].get("checkpoint_ns") or "")
        # Checkpoint ids grow with time within a thread (LangGraph's savers order by them); the
        # writes of the step running meanwhile attach to this checkpoint or later ones.
        before = [
            write
            for write, (space, parent) in writing.get(thread_id, {}).items()
            if space == namespace and parent < checkpoint["id"]
        ]
        if before:
            await asyncio.wait(before)
        step = metadata.get("step")
        held = carrier.take_until(thread_id, namespace, step if isinstance(step, int) else 0)
        try:
            stored = await _riding(
                carrier, thread_id, held, plain_put(config, checkpoint, metadata, new_versions)
            )
        except BaseException as error:
            carrier.checkpoint_saved(thread_id, namespace, checkpoint["id"], error)
            raise
        carrier.written(thread_id)
        carrier.checkpoint_saved(thread_id, namespace, checkpoint["id"])
        return stored

    setattr(saver, CARRIER_ATTRIBUTE, carrier)
    saver.aget_tuple = aget_tuple  # type: ignore[method-assign]
    saver.aput_writes = aput_writes  # type: ignore[method-assign]
    saver.aput = aput  # type: ignore[method-assign]
    return carrier


T = TypeVar("T")

KEPT_GRAPHS = 10_000
"""How many (thread, graph) latest saved checkpoints a carrier remembers (a side effect waits
for the checkpoint its step runs from, a recent one of a running thread)."""
DURABILITY_KEY = "__pregel_durability"
"""Where LangGraph keeps a run's durability mode in a step's config."""
CHECKPOINTER_KEY = "__pregel_checkpointer"
"""Where LangGraph keeps the saver a step's graph checkpoints with, in the step's config."""
SAVE_WAIT_SECONDS = 120.0
"""How long a side effect waits for the checkpoint its step runs from to be saved."""


def wait_until_durable() -> None:
    """Block, in a node's step, until the checkpoint the step runs from is saved (see
    `TraceCarrier.wait_saved`); a no-op outside a graph run on a carrying saver, with
    `durability="exit"` (nothing is saved before the run ends), and on the event loop's own thread
    (an async node), where blocking would stop the save it waits for."""
    from langchain_core.runnables.config import var_child_runnable_config

    config = var_child_runnable_config.get()
    if not config:
        return
    configurable = config.get("configurable") or {}
    carrier = getattr(configurable.get(CHECKPOINTER_KEY), CARRIER_ATTRIBUTE, None)
    if not isinstance(carrier, TraceCarrier) or configurable.get(DURABILITY_KEY) == "exit":
        return  # not on a carrying saver; or nothing is saved before the run ends
    # A step's config maps each graph's namespace to the checkpoint it runs from; the step's own
    # graph is its namespace without the step's own last part.
    graph_namespace = str(configurable.get("checkpoint_ns") or "").rpartition("|")[0]
    thread_id = configurable.get("thread_id")
    checkpoint_id = (configurable.get("checkpoint_map") or {}).get(graph_namespace)
    if not thread_id or not checkpoint_id:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        carrier.wait_saved(str(thread_id), graph_namespace, str(checkpoint_id), SAVE_WAIT_SECONDS)


async def _riding(
    carrier: TraceCarrier,
    thread_id: str,
    held: list[_Held],
    call: Awaitable[T],
) -> T:
    """Await the saver's `call` with `held` events riding its transaction; on failure they are
    held again and the thread is marked untraced (`TraceCarrier.check`)."""
    token = _RIDING.set([entry.event for entry in held] or None)
    try:
        return await call
    except BaseException as error:
        if held:
            carrier.give_back(held)
            if not isinstance(error, asyncio.CancelledError):
                carrier.failed(thread_id, error)
        raise
    finally:
        _RIDING.reset(token)


class _SqliteCommitWithTrace:
    """The saver's aiosqlite connection, whose `commit` first adds the riding events to the
    transaction it commits (under the saver's lock, which its callers hold); a failure rolls the
    whole transaction back, so the saver's writes are not committed later without them."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    async def commit(self) -> None:
        events = _RIDING.get()
        if not events:
            await self._conn.commit()
            return
        try:
            await self._conn.executemany(
                trace_insert_sql("qmark"), trace_insert_params(events, "sqlite")
            )
            await self._conn.commit()
        except BaseException:
            await self._conn.rollback()
            raise
        _RIDING.set(None)


def _postgres_cursor_with_trace(saver: Any) -> None:
    """The saver's `_cursor` opens a transaction that first records the riding events, so they
    commit with what the saver writes through the cursor (or not at all)."""
    from langgraph.checkpoint.postgres import _ainternal
    from psycopg.rows import dict_row

    plain_cursor = saver._cursor

    @asynccontextmanager
    async def cursor(*, pipeline: bool = False) -> AsyncIterator[Any]:
        events = _RIDING.get()
        if not events:
            async with plain_cursor(pipeline=pipeline) as cur:
                yield cur
            return
        _RIDING.set(None)
        async with (
            saver.lock,
            _ainternal.get_connection(saver.conn) as conn,
            conn.transaction(),
            conn.cursor(binary=True, row_factory=dict_row) as cur,
        ):
            await cur.executemany(
                trace_insert_sql("format"), trace_insert_params(events, "postgresql")
            )
            yield cur

    saver._cursor = cursor


def _memory_writes_trace_first(saver: InMemorySaver, store: TraceStore) -> None:
    """memory:// keeps the trace in the process's scratch SQLite file: the riding events are
    written there just before the in-memory saver takes the writes (nothing survives the process
    anyway). Both the async and the synchronous methods."""

    def first(method: Callable[..., T]) -> Callable[..., T]:
        def write_then(*args: Any, **kwargs: Any) -> T:
            events = _RIDING.get()
            if events:
                store.append_many(events)
                _RIDING.set(None)
            return method(*args, **kwargs)

        return write_then

    saver.put_writes = first(saver.put_writes)  # type: ignore[method-assign]
    saver.put = first(saver.put)  # type: ignore[method-assign]


def task_id_of(checkpoint_ns: str | None) -> str | None:
    """The task id at the end of a node run's `langgraph_checkpoint_ns` ("node:id", nested as
    "outer:id|inner:id"), or None outside a task."""
    if not checkpoint_ns:
        return None
    last = checkpoint_ns.split("|")[-1]
    return last.rpartition(":")[2] or None
