"""The local trace store's tracer: a langchain-core `BaseTracer`, so it sees exactly the runs
LangSmith would (node runs with their redacted inputs and outputs, model calls, custom events).

It records one `step` per graph node run (agent steps carry status, reason, implementation,
attempts, fallbacks, owner and version, retries, model and tokens), the platform's own events
(`baton.*` custom events: contract violations, fallback hops, review decisions…), and a
`gate_fired` event only when a gate's `interrupt()` really stopped the run.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from langchain_core.tracers.base import BaseTracer
from langchain_core.tracers.context import register_configure_hook
from langchain_core.tracers.schemas import Run
from langgraph.types import Command
from pydantic import BaseModel

from checkpoints.settings import database_url
from checkpoints.trace_carrier import CURRENT_CARRIER, TraceCarrier, task_id_of
from checkpoints.trace_store import TraceStore
from graphs.kit.events import EVENT_PREFIX
from graphs.kit.redaction import redacted_and_bounded, registered_sensitive_fields
from graphs.kit.workflows import all_workflows, get_workflow, workflow_names
from schemas.trace import EventKind, TraceEvent

WORKFLOW_METADATA_KEY = "baton_workflow"


class BatonTracer(BaseTracer):
    """Writes every step of threaded runs to a `TraceStore`.

    A step's events are written together: by Baton's saver, in the transaction that saves the
    step's writes (`checkpoints.trace_carrier`), or, on any other saver, by the tracer when the
    step ends, in one transaction."""

    name: str = "baton"
    raise_error: bool = True
    """A step that cannot be traced fails (and can be resumed) rather than run untraced."""

    def __init__(self, store: TraceStore | None = None) -> None:
        super().__init__(_schema_format="original+chat")
        self._store = store
        self._lock = threading.Lock()
        self._pending_gate: dict[str, dict[str, Any]] = {}
        self._usage: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"prompt_tokens": 0, "completion_tokens": 0, "models": set()}
        )
        self._errors: dict[str, int] = defaultdict(int)
        self._steps: dict[tuple[str, str], list[TraceEvent]] = {}
        """Events of running steps, by (thread, task), where no carrier writes them."""
        self._carriers: dict[str, TraceCarrier] = {}

    @property
    def store(self) -> TraceStore:
        """The trace store given, else the one of the configured database (`BATON_DATABASE_URL`)."""
        if self._store is None:
            self._store = TraceStore(database_url())
        return self._store

    def _persist_run(self, run: Run) -> None:
        """Runs are written as they end, not when the root run ends."""

    # --- root runs: which workflow a thread runs, and where it stands -----------------------------

    def _on_chain_start(self, run: Run) -> None:
        meta = _metadata(run)
        thread_id = meta.get("thread_id")
        if not thread_id:
            return
        if run.parent_run_id is None and run.name in workflow_names():
            field = get_workflow(run.name).subject_field
            subject = run.inputs.get(field) if isinstance(run.inputs, dict) else None
            self.store.register_thread(str(thread_id), run.name, subject)
        elif _is_node_run(run, meta) and (carrier := _carrier_for(str(thread_id))) is not None:
            with self._lock:
                self._carriers[str(thread_id)] = carrier  # the run's end forgets what it held
            carrier.check(str(thread_id))  # no step runs on after one whose trace was lost

    def _on_root_end(self, run: Run, status: str) -> None:
        thread_id = _metadata(run).get("thread_id")
        if run.parent_run_id is not None or not thread_id:
            return
        thread_id = str(thread_id)
        with self._lock:
            carrier = self._carriers.pop(thread_id, None)
            unfinished = [
                event
                for key in list(self._steps)
                if key[0] == thread_id
                for event in self._steps.pop(key)
            ]
        if carrier is not None:
            carrier.discard(thread_id)
        if unfinished:
            self.store.append_many(unfinished)
        if run.name in workflow_names():
            self.store.set_thread_status(thread_id, status)

    # --- node runs ---------------------------------------------------------------------------

    def _on_chain_end(self, run: Run) -> None:
        interrupted = isinstance(run.outputs, dict) and "__interrupt__" in run.outputs
        self._on_root_end(run, "awaiting_review" if interrupted else "completed")
        meta = _metadata(run)
        if not _is_node_run(run, meta):
            return
        with self._lock:
            self._pending_gate.pop(str(run.id), None)
            usage = self._usage.pop(str(run.id), None)
            retries = self._errors.pop(_task_key(meta), 0)
        data: dict[str, Any] = {
            "step": meta.get("langgraph_step"),
            "task": meta.get("langgraph_checkpoint_ns"),
            "input": hide_sensitive(run.inputs),
            "output": hide_sensitive(run.outputs),
            "latency_ms": _latency_ms(run),
            "retries": retries,
        }
        if usage:
            data["model"] = sorted(usage["models"]) or None
            data["tokens"] = {
                "prompt": usage["prompt_tokens"],
                "completion": usage["completion_tokens"],
            }
        agent = _agent_result(run.outputs)
        if agent is not None:
            data.update(
                status=agent.get("status"),
                reason=agent.get("reason"),
                error_kind=agent.get("error_kind"),
                implementation=agent.get("implementation"),
                attempts=agent.get("attempts"),
                fallbacks=agent.get("fallbacks"),
                version=agent.get("version"),
                owner=_owner(meta.get(WORKFLOW_METADATA_KEY), str(agent.get("agent"))),
            )
        self._append(run, meta, EventKind.STEP, data, agent=agent.get("agent") if agent else None)
        self._step_done(meta)

    def _on_chain_error(self, run: Run) -> None:
        self._on_root_end(run, "failed")
        meta = _metadata(run)
        if not _is_node_run(run, meta):
            return
        try:
            self._node_error(run, meta)
        finally:
            self._step_done(meta)

    def _node_error(self, run: Run, meta: dict[str, Any]) -> None:
        with self._lock:
            gate = self._pending_gate.pop(str(run.id), None)
            self._usage.pop(str(run.id), None)
        if gate is not None and (run.error or "").startswith("GraphInterrupt"):
            self._append(run, meta, EventKind.GATE_FIRED, gate)
            # Only the answer this stop refused (the list holds every earlier refusal too).
            last = (gate.get("packet") or {}).get("last_refusal")
            if last:
                self._append(
                    run, meta, EventKind.REVIEW_REFUSED, {"gate": gate.get("gate"), **last}
                )
            return
        if (run.error or "").startswith(("GraphInterrupt", "ParentCommand")):
            return
        with self._lock:
            self._errors[_task_key(meta)] += 1
        first_line = (run.error or "error").split("Traceback (most recent call last)")[0]
        first_line = (first_line.strip().splitlines() or ["error"])[0]
        if first_line.startswith("CancelledError"):
            first_line = (
                "CancelledError: the attempt was cancelled (a node timeout, or the run stopped)"
            )
        self._append(
            run,
            meta,
            EventKind.STEP_ERROR,
            {
                "step": meta.get("langgraph_step"),
                "task": meta.get("langgraph_checkpoint_ns"),
                "error": first_line[:2000],
                "latency_ms": _latency_ms(run),
            },
        )

    # --- model runs --------------------------------------------------------------------------

    def _on_llm_end(self, run: Run) -> None:
        node_run = self._node_ancestor(run)
        if node_run is None:
            return
        usage = _token_usage(run)
        with self._lock:
            entry = self._usage[str(node_run.id)]
            entry["prompt_tokens"] += usage.get("prompt_tokens", 0)
            entry["completion_tokens"] += usage.get("completion_tokens", 0)
            model = _model_name(run)
            if model:
                entry["models"].add(model)

    def _node_ancestor(self, run: Run) -> Run | None:
        parent_id = str(run.parent_run_id) if run.parent_run_id else None
        while parent_id:
            parent = self.run_map.get(parent_id)
            if parent is None:
                return None
            if _is_node_run(parent, _metadata(parent)):
                return parent
            parent_id = str(parent.parent_run_id) if parent.parent_run_id else None
        return None

    # --- platform events ---------------------------------------------------------------------

    def on_custom_event(
        self,
        name: str,
        data: Any,
        *,
        run_id: UUID,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not name.startswith(EVENT_PREFIX):
            return
        kind = EventKind(name[len(EVENT_PREFIX) :])
        meta = metadata or {}
        if kind is EventKind.GATE_FIRED:
            # Recorded only if the gate's interrupt() really stops the run (see _on_chain_error).
            with self._lock:
                self._pending_gate[str(run_id)] = dict(data)
            return
        thread_id = meta.get("thread_id")
        if not thread_id:
            return
        payload = dict(data) if isinstance(data, dict) else {"value": data}
        payload.setdefault("task", meta.get("langgraph_checkpoint_ns"))
        self._record(
            meta,
            TraceEvent(
                thread_id=str(thread_id),
                kind=kind,
                node=str(meta.get("langgraph_node") or "").removeprefix(ERROR_HANDLER_PREFIX)
                or None,
                agent=payload.get("agent"),
                run_id=str(run_id),
                at=datetime.now(UTC),
                data=payload,
            ),
        )

    def _append(
        self,
        run: Run,
        meta: dict[str, Any],
        kind: EventKind,
        data: dict[str, Any],
        agent: str | None = None,
    ) -> None:
        thread_id = meta.get("thread_id")
        if not thread_id:
            return
        self._record(
            meta,
            TraceEvent(
                thread_id=str(thread_id),
                kind=kind,
                node=_node_name(run),
                agent=agent,
                run_id=str(run.id),
                at=run.end_time or datetime.now(UTC),
                data=data,
            ),
        )

    def _record(self, meta: dict[str, Any], event: TraceEvent) -> None:
        """Keep an event of a running step with the step's others; write one outside a step."""
        checkpoint_ns = meta.get("langgraph_checkpoint_ns")
        task = task_id_of(checkpoint_ns)
        if task is None:
            self.store.append(event)
            return
        carrier = _carrier_for(event.thread_id)
        with self._lock:
            if carrier is None:
                self._steps.setdefault((event.thread_id, task), []).append(event)
                return
            self._carriers[event.thread_id] = carrier
        step = meta.get("langgraph_step")
        carrier.hold(str(checkpoint_ns), step if isinstance(step, int) else None, event)

    def _step_done(self, meta: dict[str, Any]) -> None:
        """A step ended: write its events in one transaction, unless the saver carries them
        (then they are written with the step's writes)."""
        task = task_id_of(meta.get("langgraph_checkpoint_ns"))
        thread_id = meta.get("thread_id")
        if task is None or not thread_id:
            return
        with self._lock:
            events = self._steps.pop((str(thread_id), task), [])
        self.store.append_many(events)


TRACE_ALL_RUNS_ENV = "BATON_TRACE_ALL_RUNS"
_tracer_hook: ContextVar[BatonTracer | None] = ContextVar("baton_tracer", default=None)
_hook_registered = False


def trace_all_runs() -> None:
    """Record every run of this process in the local trace store when `BATON_TRACE_ALL_RUNS` is
    set: the LangGraph server and Studio call the graphs without Baton's runner, so langchain's
    configure hook adds the tracer there (never twice: a run that has one keeps it). Idempotent."""
    global _hook_registered
    redact_langsmith_runs()
    if not _hook_registered:
        register_configure_hook(_tracer_hook, True, BatonTracer, TRACE_ALL_RUNS_ENV)
        _hook_registered = True


def hide_sensitive(data: Any) -> Any:
    """`data` with every field marked sensitive in a registered contract redacted, and the text of
    model calls (prompts, answers, quoted evidence) masked: they are built from the documents; a
    long list (a data set's rows) is kept as its length and first items (`bounded`)."""
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    keys = registered_sensitive_fields()
    if isinstance(data, dict) and MODEL_RUN_KEYS & data.keys():
        keys = keys | MODEL_TEXT_KEYS
    return redacted_and_bounded(data, keys)


MODEL_RUN_KEYS = frozenset({"messages", "generations", "raw", "parsed"})
"""Keys that mark the input or output of a model call (or of a structured-output chain)."""
MODEL_TEXT_KEYS = frozenset({"content", "text", "quote", "arguments", "evidence"})
"""What is masked in them: prompts and answers quote the documents."""


def redact_langsmith_runs() -> bool:
    """When LangSmith tracing is switched on (`LANGSMITH_TRACING`), make the process's LangSmith
    client hide the fields marked sensitive in everything it sends: every run, including the root
    run and anything a node's trace policy does not reach, whoever starts it (`baton`, Python, the
    server, Studio). Returns whether it did; it does nothing while tracing is off."""
    import langsmith
    from langsmith.utils import tracing_is_enabled

    if not tracing_is_enabled():
        return False
    langsmith.configure(
        client=langsmith.Client(hide_inputs=hide_sensitive, hide_outputs=hide_sensitive)
    )
    return True


def _carrier_for(thread_id: str) -> TraceCarrier | None:
    """The carrier of the saver this run checkpoints with, if it is one Baton opened: the one
    the run's context names, provided its saver read this thread (a context can outlive a run:
    a later run in the same task, on another saver or none, is not carried)."""
    carrier = CURRENT_CARRIER.get()
    return carrier if carrier is not None and carrier.serves(thread_id) else None


def _metadata(run: Run) -> dict[str, Any]:
    return dict((run.extra or {}).get("metadata") or {})


ERROR_HANDLER_PREFIX = "__error_handler__"


def _is_node_run(run: Run, meta: dict[str, Any]) -> bool:
    node = str(meta.get("langgraph_node") or "")
    if not node or run.name != node:
        return False
    return not node.startswith("__") or node.startswith(ERROR_HANDLER_PREFIX)


def _task_key(meta: dict[str, Any]) -> str:
    """The node task a run belongs to (its error handler's run counts as the node's)."""
    return str(meta.get("langgraph_checkpoint_ns") or "").split("|")[0]


def _node_name(run: Run) -> str:
    """The node a run belongs to (a node's error handler counts as the node)."""
    return run.name.removeprefix(ERROR_HANDLER_PREFIX)


def _latency_ms(run: Run) -> float | None:
    if run.start_time and run.end_time:
        return round((run.end_time - run.start_time).total_seconds() * 1000, 3)
    return None


def _agent_result(outputs: Any) -> dict[str, Any] | None:
    """The `AgentResult` a node wrote, from its output (a state update, or a Command's update)."""
    if isinstance(outputs, Command):
        return _agent_result(outputs.update)
    if not isinstance(outputs, dict):
        return None
    for value in outputs.values():
        if isinstance(value, dict) and {"status", "agent", "version"} <= value.keys():
            return value
        if isinstance(value, Command):
            return _agent_result(value.update)
    return None


def _owner(workflow: str | None, agent: str) -> dict[str, str] | None:
    for declared in all_workflows():
        if workflow not in (None, declared.name):
            continue
        for spec in declared.agents:
            if spec.name == agent:
                return {"team": spec.owner.team, "contact": spec.owner.contact}
    return None


def _token_usage(run: Run) -> dict[str, int]:
    llm_output = (run.outputs or {}).get("llm_output") or {}
    usage = llm_output.get("token_usage") or llm_output.get("usage") or {}
    if not usage:
        for generations in (run.outputs or {}).get("generations") or []:
            for generation in generations:
                message = (generation or {}).get("message") or {}
                meta = (message.get("kwargs") or message).get("usage_metadata") or {}
                usage = {
                    "prompt_tokens": meta.get("input_tokens", 0),
                    "completion_tokens": meta.get("output_tokens", 0),
                }
    return {
        "prompt_tokens": int(usage.get("prompt_tokens", 0) or 0),
        "completion_tokens": int(usage.get("completion_tokens", 0) or 0),
    }


def _model_name(run: Run) -> str | None:
    params = (run.extra or {}).get("invocation_params") or {}
    meta = _metadata(run)
    return params.get("model") or params.get("model_name") or meta.get("ls_model_name")
