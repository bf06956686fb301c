"""Running a workflow with the configured checkpointer, tracer and trace store.

`open_workflow(name)` compiles the workflow's graph with the saver for `BATON_DATABASE_URL` (or an
explicit URL) and gives a `WorkflowRun` helper that starts, resumes and reports on threads.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal, cast, get_type_hints

from anyio.from_thread import BlockingPortal, start_blocking_portal
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from agents.spec import AgentSpec
from checkpoints.human_queue import HumanQueue
from checkpoints.ledger import SideEffectLedger
from checkpoints.retention import pruned_at
from checkpoints.rollback import node_steps, replay_node, rewind_to_node
from checkpoints.saver import open_saver, open_store
from checkpoints.settings import database_url as configured_database_url
from checkpoints.thread_lock import ThreadBusy, running
from checkpoints.trace_store import TraceStore
from graphs.kit.context import BatonContext
from graphs.kit.contracts import validate_contract
from graphs.kit.declaration import Workflow
from graphs.kit.errors import (
    RequestError,
    ReviewConflict,
    ReviewRefused,
    StaleReviewPacket,
    ThreadRunning,
    UnknownThread,
)
from graphs.kit.governed import OVERRIDES_KEY, RERUNS_KEY
from graphs.kit.inputs import check_json_text, check_thread_id
from graphs.kit.redaction import redact, sensitive_keys
from graphs.kit.review_gate import department_review_record, stale_packet_message
from graphs.kit.tracing import WORKFLOW_METADATA_KEY, BatonTracer, redact_langsmith_runs
from graphs.kit.workflows import get_workflow
from schemas.review import QueuedCase, ReviewDecision, names_packet
from schemas.trace import EventKind, TraceEvent

RunStatus = Literal["completed", "awaiting_review", "incomplete", "not_started", "inconsistent"]
"""`inconsistent`: the thread's state holds a decision the side-effect ledger did not record (its
state was changed behind the workflow's back, for example through a server's state endpoint)."""


@dataclass(frozen=True)
class WaitingGate:
    """A review gate a thread waits at: one pending interrupt."""

    interrupt_id: str
    """What answers this gate alone: `Command(resume={interrupt_id: decision})`."""
    department: str | None
    """The department (of a hierarchy) whose gate it is; None for the workflow's own gate."""
    gate: str
    packet: dict[str, Any]
    """The review packet the gate asked with."""

    def describe(self) -> str:
        """The gate in words: `department sales, gate review_gate (interrupt 1f2e…)`."""
        where = f"department {self.department}, " if self.department else ""
        return f"{where}gate {self.gate} (interrupt {self.interrupt_id})"

    def as_json(self) -> dict[str, Any]:
        return {
            "interrupt_id": self.interrupt_id,
            "department": self.department,
            "gate": self.gate,
            "packet": self.packet,
        }


@dataclass
class RunReport:
    """Where a thread stands."""

    thread_id: str
    workflow: str
    status: RunStatus
    packet: dict[str, Any] | None = None
    """The review packet, when awaiting review (the first gate's, when several wait)."""
    waiting: list[WaitingGate] = field(default_factory=list)
    """Every gate the thread waits at (departments of a hierarchy may wait at once)."""
    decision: dict[str, Any] | None = None
    """The recorded decision, when completed."""
    next: list[str] = field(default_factory=list)
    """Nodes that would run next (for an incomplete run)."""
    problem: str | None = None
    """What is wrong, when inconsistent."""
    summary: dict[str, str] = field(default_factory=dict)
    """What the workflow shows of the case (its `summary`): parties, risk, quote, route…"""

    def as_json(self) -> dict[str, Any]:
        report: dict[str, Any] = {
            "thread_id": self.thread_id,
            "workflow": self.workflow,
            "status": self.status,
        }
        if self.packet is not None:
            report["review"] = self.packet
            report["reasons"] = self.packet.get("reasons", [])
        if self.waiting:
            report["waiting"] = [gate.as_json() for gate in self.waiting]
        if self.decision is not None:
            report["decision"] = self.decision
            report["outcome"] = self.decision.get("outcome")
        if self.next:
            report["next"] = self.next
        if self.problem:
            report["problem"] = self.problem
        if self.summary:
            report["summary"] = self.summary
        return report


class WorkflowRun:
    """A compiled workflow bound to one database: start, resume, inspect and roll back threads.

    Its methods are synchronous; runs go through `portal`, the event loop that owns the saver."""

    def __init__(
        self,
        entry: Workflow,
        graph: CompiledStateGraph[Any, Any, Any, Any],
        database_url: str,
        portal: BlockingPortal,
    ) -> None:
        self.entry = entry
        self.graph = graph
        self.database_url = database_url
        self.portal = portal
        self.traces = TraceStore(database_url)
        self.ledger = SideEffectLedger(database_url)
        self._held: set[tuple[str, int]] = set()
        redact_langsmith_runs()

    def config(self, thread_id: str) -> RunnableConfig:
        callbacks: list[Any] = [BatonTracer(self.traces)]
        return {
            "configurable": {"thread_id": thread_id},
            "callbacks": callbacks,
            "metadata": {WORKFLOW_METADATA_KEY: self.entry.name},
        }

    @contextmanager
    def _exclusive(self, thread_id: str) -> Iterator[None]:
        """Hold the thread's run lock (re-entrant within this object): a second process running
        the same thread at once is refused with ThreadBusy, never interleaved with this one."""
        mine = (thread_id, threading.get_ident())  # re-entrant for this OS thread only
        if mine in self._held:
            yield
            return
        lock = running(self.database_url, thread_id)
        try:
            lock.__enter__()
        except ThreadBusy as error:
            raise ThreadRunning(str(error)) from None
        self._held.add(mine)
        try:
            yield
        finally:
            self._held.discard(mine)
            lock.__exit__(None, None, None)

    def _invoke(self, payload: Any, config: RunnableConfig) -> None:
        run = partial(
            cast(Any, self.graph).ainvoke,
            payload,
            config,
            context=BatonContext(database_url=self.database_url),
            durability="sync",
        )
        self.portal.call(run)

    def start(
        self, submission: dict[str, Any], thread_id: str | None = None, base: Path | None = None
    ) -> RunReport:
        """Validate the input contract, then run a new thread until it finishes or stops at a gate.
        A file field (`Workflow.file_fields`) given as a path is read first, relative to `base`
        (default: the working directory).

        On an existing thread that has not finished, continue it instead (the input is not re-sent);
        on one that is awaiting review or completed, just report it."""
        check_json_text(submission, where="input")
        if self.entry.file_fields:
            submission = self.entry.read_files(submission, base or Path.cwd())
            check_json_text(submission, where="input")  # what the files held, too
        model = validate_contract(self.entry.input_model(), submission, where="input")
        thread_id = check_thread_id(thread_id) if thread_id is not None else str(uuid.uuid4())
        with self._exclusive(thread_id):
            return self._start(model, thread_id)

    def _start(self, model: Any, thread_id: str) -> RunReport:
        known = self.traces.thread(thread_id)
        if known is not None:
            if known["workflow"] != self.entry.name:
                raise UnknownThread(f"thread {thread_id!r} runs workflow {known['workflow']!r}")
            subject = getattr(model, self.entry.subject_field, None)
            if known["subject"] not in (None, subject):
                raise RequestError(
                    f"thread {thread_id!r} holds {known['subject']!r}, not {subject!r}: "
                    "use a new thread id for a different input"
                )
            report = self.report(thread_id)
            if report.status == "incomplete":
                return self.continue_thread(thread_id)
            if report.status != "not_started":
                return report
        self.traces.register_thread(
            thread_id, self.entry.name, getattr(model, self.entry.subject_field, None)
        )
        self._invoke(model.model_dump(mode="json"), self.config(thread_id))
        return self._settle(thread_id)

    def continue_thread(self, thread_id: str) -> RunReport:
        """Resume a thread whose run stopped part-way (a crash): completed steps are not re-run."""
        self._require(thread_id)
        with self._exclusive(thread_id):
            self._invoke(None, self.config(thread_id))
            return self._settle(thread_id)

    def resume(
        self,
        thread_id: str,
        decision: dict[str, Any],
        *,
        interrupt_id: str | None = None,
        department: str | None = None,
    ) -> RunReport:
        """Answer one of a thread's review gates. The decision is validated here first
        (ContractViolation names the field); the gate validates it again, so other clients get
        the same rules.

        With one gate waiting, it is the one answered. Where several wait (departments of a
        hierarchy stopping at once), name one: `department` (the department's name) or
        `interrupt_id` (see `report(thread_id).waiting`); RequestError otherwise, naming each.
        A department answered before is answered again as the workflow's gate is: the same
        decision is a success that changes nothing, another a ReviewConflict."""
        self._require(thread_id)
        check_json_text(decision, where="review decision")
        if isinstance(decision, dict) and not decision.get("identified_by"):
            # The audit trail says how every reviewer was identified: here, by the caller alone.
            decision = {**decision, "identified_by": "Python API caller (not verified)"}
        with self._exclusive(thread_id):
            return self._resume(thread_id, decision, interrupt_id, department)

    def _resume(
        self,
        thread_id: str,
        decision: dict[str, Any],
        interrupt_id: str | None,
        department: str | None,
    ) -> RunReport:
        validate_contract(ReviewDecision, decision, where="review decision")
        report = self.report(thread_id)
        if report.status == "awaiting_review":
            target = _chosen_gate(thread_id, report.waiting, interrupt_id, department)
            if target is not None:
                return self._answer(thread_id, report, target, decision)
        # Here the gate answered is not waiting: the workflow's own gate of a thread that does
        # not wait, or a department that does not (while others may).
        recorded = self._recorded_decision(thread_id, department)
        where = _gate_words(thread_id, department)
        if report.status == "incomplete" and recorded is not None:
            # The decision was recorded, then the run stopped (a crash): the same decision sent
            # again carries the run on; a different one is a conflict.
            _refuse_other_decision(where, recorded, decision)
            return self.continue_thread(thread_id)
        if report.status in ("completed", "awaiting_review") and recorded is not None:
            # Sent again after it was recorded (a retry after a crash that had in fact
            # completed, or a department answered while others still wait): the same decision
            # is a success that changes nothing; another, a conflict.
            _refuse_other_decision(where, recorded, decision)
            return report
        if department is not None:
            waiting = f"; waiting: {_listed(report.waiting)}" if report.waiting else ""
            raise RequestError(
                f"department {department!r} of thread {thread_id!r} is not waiting for review "
                f"and recorded no decision (status: {report.status}){waiting}"
            )
        raise RequestError(f"thread {thread_id!r} is not awaiting review (status: {report.status})")

    def _answer(
        self, thread_id: str, report: RunReport, target: WaitingGate, decision: dict[str, Any]
    ) -> RunReport:
        """Send `decision` to the waiting gate `target` (by its interrupt id, so it reaches that
        gate alone), then check what that gate did with it."""
        named = validate_contract(ReviewDecision, decision, where="review decision").packet
        shown = str(target.packet.get("packet_hash") or "")
        if named is not None and shown and not names_packet(named, shown):
            raise StaleReviewPacket(
                f"{stale_packet_message(named, shown)} ({_gate_words(thread_id, target.department)}"
                " is still open; nothing was recorded)",
                target.packet,
            )
        refused_before = len(target.packet.get("refused", []))
        self._invoke(Command(resume={target.interrupt_id: decision}), self.config(thread_id))
        after = self._settle(thread_id)
        where = _gate_words(thread_id, target.department)
        # A gate that asks again (a refusal, a second reviewer) has a new interrupt id: it is
        # found by its place.
        same = [
            gate
            for gate in after.waiting
            if (gate.department, gate.gate) == (target.department, target.gate)
        ]
        if same:
            refused = same[0].packet.get("refused", [])
            if len(refused) > refused_before:
                if str(refused[-1]).startswith("stale packet"):  # changed while it was sent
                    raise StaleReviewPacket(
                        f"{refused[-1]} ({where} is still open)", same[0].packet
                    )
                raise ReviewRefused(f"{refused[-1]} ({where} is still open)")
            return after  # waiting for a second reviewer: nothing recorded yet
        recorded = self._recorded_decision(thread_id, target.department)
        if recorded is not None:
            _refuse_other_decision(where, recorded, decision)
        return after

    def _recorded_decision(
        self, thread_id: str, department: str | None = None
    ) -> dict[str, Any] | None:
        """The review record of the thread's gate (None when it recorded none): the workflow's
        own gate's from the thread's state, a department's from the ledger."""
        if department is not None:
            return department_review_record(self.ledger, thread_id, department)
        review = self.graph.get_state(self.config(thread_id)).values.get("review") or {}
        record: dict[str, Any] | None = review.get("record")
        return record

    def rollback(
        self,
        thread_id: str,
        agent: str,
        corrected_input: dict[str, Any] | None = None,
        *,
        by: str | None = None,
        identified_by: str = "not given",
        reason: str | None = None,
    ) -> RunReport:
        """Re-run `agent` and what follows it, without re-running the agents before it. A corrected
        input, when given, is validated against the agent's input contract first. The rollback is
        a trace event: who ran it (`by`, and how that was established), why, and the correction."""
        self._require(thread_id)
        spec = next((s for s in self.entry.agents if s.name == agent), None)
        department = self._department_of(agent) if spec is None else None
        if department is not None:
            spec = next(s for s in department.agents if s.name == agent.rpartition("/")[2])
        if spec is None:
            names = ", ".join(s.name for s in self.agent_specs())
            raise RequestError(
                f"no agent {agent!r} in workflow {self.entry.name} (agents: {names})"
            )
        takes_overrides = OVERRIDES_KEY in get_type_hints(self.graph.builder.state_schema)
        if corrected_input is not None and department is not None:
            raise RequestError(
                f"{agent!r} runs inside department {department.name!r}: a corrected input is not "
                "taken there (roll back without one)"
            )
        if corrected_input is not None and not takes_overrides:
            raise RequestError(f"workflow {self.entry.name} does not take corrected inputs")
        if corrected_input is not None:
            where = f"corrected {agent} input"
            check_json_text(corrected_input, where=where)
            validate_contract(spec.input_contract, corrected_input, where=where)

        replay = self.entry.rollback == "replay"
        case_fields = set(self.entry.input_model().model_fields) - {self.entry.subject_field}

        def rewind(fork: dict[str, Any]) -> dict[str, Any]:
            # Rerouting clears the agent's result, so its supervisor sends it work again;
            # replaying forks from where it last ran, so it runs again anyway.
            update: dict[str, Any] = {} if replay else {spec.writes: None}
            if self.entry.departments:
                # A department re-run from its start takes no specialists' results from an
                # earlier rollback into it.
                update[RERUNS_KEY] = {}
            if takes_overrides:
                # Corrections in force at the fork point hold for the agents that do not run
                # again; the agent re-run keeps a correction only when it is given again.
                overrides = dict(fork.get(OVERRIDES_KEY) or {})
                overrides.pop(agent, None)
                if corrected_input is not None:
                    overrides[agent] = corrected_input
                update[OVERRIDES_KEY] = overrides
            if corrected_input is not None:
                # A corrected copy of the case's own input (a contract's text, the documents)
                # holds from this agent on: the agents after it read it too, so they cite the
                # same text (the rollback's trace event says who changed it and why).
                update |= {k: v for k, v in corrected_input.items() if k in case_fields}
            return update

        self._refuse_pruned(thread_id, "the checkpoint to roll back to")
        config = self.config(thread_id)
        fork = replay_node if replay else rewind_to_node
        with self._exclusive(thread_id):
            hidden = sensitive_keys(spec.input_contract)
            self.traces.append(
                TraceEvent(
                    thread_id=thread_id,
                    kind=EventKind.ROLLBACK,
                    node=agent,
                    agent=agent,
                    at=datetime.now(UTC),
                    data={
                        "to": agent,
                        "by": by,
                        "identified_by": identified_by,
                        "reason": reason,
                        "corrected_input": redact(corrected_input, hidden)
                        if corrected_input is not None
                        else None,
                    },
                )
            )
            if department is not None or agent in {d.name for d in self.entry.departments}:
                # A department's own agent clears its result as `rewind` says; a specialist's
                # result is inside its department (the fork clears the department's).
                within = rewind if department is None else (lambda _: {})
                forked = self._rewind_into_department(config, agent, within)
            else:
                forked = fork(self.graph, config, node=agent, values=rewind)
            # The fork drops the gates that were waiting: those that still apply ask again (and
            # queue the case again) when the run reaches them.
            HumanQueue(self.database_url).dequeue(thread_id)
            self._invoke(None, {**config, "configurable": {**forked["configurable"]}})
            return self._settle(thread_id)

    def agent_specs(self) -> list[AgentSpec]:
        """The workflow's agents, and the specialists inside its departments (a hierarchy)."""
        return [*self.entry.agents, *self.entry.specialists()]

    def _department_of(self, agent: str) -> Any:
        """The department whose specialist `agent` is (`sourcing`, or `procurement/sourcing`
        where two departments have one of that name); None when it is none's."""
        if not self.entry.departments:
            return None
        from graphs.patterns.hierarchy import department_with  # only hierarchies need it

        try:
            found = department_with(self.entry.departments, agent)
        except ValueError as error:
            raise RequestError(str(error)) from None
        return found[0] if found else None

    def _rewind_into_department(
        self,
        config: RunnableConfig,
        agent: str,
        values: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> RunnableConfig:
        from graphs.patterns.hierarchy import rewind_into_department

        return rewind_into_department(
            self.graph, config, departments=self.entry.departments, agent=agent, values=values
        )

    def report(self, thread_id: str) -> RunReport:
        """Where the thread stands, from its latest checkpoint."""
        snapshot = self.graph.get_state(self.config(thread_id))
        if not snapshot.values and not snapshot.next:
            return RunReport(thread_id, self.entry.name, "not_started")
        waiting = [
            _waiting_gate(task.name, interrupt.id, interrupt.value)
            for task in snapshot.tasks
            for interrupt in task.interrupts
        ]
        if waiting:
            return RunReport(
                thread_id,
                self.entry.name,
                "awaiting_review",
                packet=waiting[0].packet,
                waiting=waiting,
                summary=self._summary(snapshot.values),
            )
        # A task whose writes were saved before a crash, and not yet applied by a checkpoint, is
        # left out of `next` but still listed among the tasks: the step is not done.
        pending = list(snapshot.next) or [task.name for task in snapshot.tasks]
        if pending:
            return RunReport(thread_id, self.entry.name, "incomplete", next=pending)
        decision = snapshot.values.get("decision")
        problem = self._unrecorded(decision)
        if problem is not None:
            return RunReport(
                thread_id, self.entry.name, "inconsistent", decision=decision, problem=problem
            )
        return RunReport(
            thread_id,
            self.entry.name,
            "completed",
            decision=decision,
            summary=self._summary(snapshot.values),
        )

    def _summary(self, values: dict[str, Any]) -> dict[str, str]:
        try:
            return self.entry.summarise(values)
        except Exception as error:  # a summary is for reading: it never hides the status
            return {"summary": f"(cannot be shown: {type(error).__name__}: {error})"}

    def _unrecorded(self, decision: dict[str, Any] | None) -> str | None:
        """Why a thread's decision is not the one the ledger recorded (None when it is)."""
        if decision is None:
            return None
        key = decision.get("decision_key")
        recorded = self.ledger.get(str(key)) if key else None
        if recorded is None:
            return (
                f"the decision in the thread's state was never recorded in the ledger (key {key!r})"
            )
        if recorded != decision:
            changed = sorted(
                k for k in recorded.keys() | decision.keys() if recorded.get(k) != decision.get(k)
            )
            return f"the decision in the thread's state differs from the ledger's record {key!r} in {changed}"
        return None

    def steps(self, thread_id: str) -> list[Any]:
        self._require(thread_id)
        self._refuse_pruned(thread_id, "its step history")
        return node_steps(self.graph, self.config(thread_id))

    def _refuse_pruned(self, thread_id: str, what: str) -> None:
        at = pruned_at(self.database_url, thread_id)
        if at is not None:
            raise RequestError(
                f"thread {thread_id!r} was pruned at {at}: only its final checkpoint is kept, so "
                f"{what} is gone (its trace is not: baton trace {thread_id})"
            )

    def _settle(self, thread_id: str) -> RunReport:
        report = self.report(thread_id)
        self.traces.set_thread_status(thread_id, report.status)
        return report

    def _require(self, thread_id: str) -> None:
        known = self.traces.thread(thread_id)
        if known is None or known["workflow"] != self.entry.name:
            raise UnknownThread(f"no {self.entry.name} thread {thread_id!r} in this database")


def _waiting_gate(task: str, interrupt_id: str, value: Any) -> WaitingGate:
    """A pending interrupt as a waiting gate. A gate of the workflow's own graph is the task
    itself (the task is named after the gate); a department's gate interrupts inside the
    department's task, which is named after the department."""
    packet: dict[str, Any] = value if isinstance(value, dict) else {"value": value}
    gate = str(packet.get("gate") or task)
    return WaitingGate(interrupt_id, None if gate == task else task, gate, packet)


def _chosen_gate(
    thread_id: str,
    waiting: list[WaitingGate],
    interrupt_id: str | None,
    department: str | None,
) -> WaitingGate | None:
    """The waiting gate a resume names (the only one, when it names none). None when it names a
    department that is not waiting (it may have been answered before); RequestError when the
    choice is missing, ambiguous or names nothing waiting, listing what waits."""
    chosen = [
        gate
        for gate in waiting
        if interrupt_id in (None, gate.interrupt_id) and department in (None, gate.department)
    ]
    if interrupt_id is None and department is None and len(chosen) > 1:
        raise RequestError(
            f"thread {thread_id!r} waits at {len(chosen)} review gates: {_listed(chosen)}. "
            "Answer one at a time, naming it by its department (--department NAME; in Python "
            "department=NAME) or by its interrupt id (--interrupt ID; interrupt_id=ID)"
        )
    if len(chosen) > 1:
        raise RequestError(
            f"department {department!r} of thread {thread_id!r} waits at {len(chosen)} gates: "
            f"{_listed(chosen)}; name one by its interrupt id (--interrupt ID; interrupt_id=ID)"
        )
    if chosen:
        return chosen[0]
    if interrupt_id is None:
        return None  # a department not waiting: the caller looks for its recorded decision
    named = f"interrupt {interrupt_id!r}" + (
        f" of department {department!r}" if department is not None else ""
    )
    raise RequestError(
        f"no review gate of thread {thread_id!r} waits with {named}; waiting: {_listed(waiting)}"
    )


def _listed(waiting: list[WaitingGate]) -> str:
    return "; ".join(gate.describe() for gate in waiting) or "none"


def _gate_words(thread_id: str, department: str | None) -> str:
    if department is None:
        return f"the review gate of {thread_id!r}"
    return f"the review gate of department {department!r} in {thread_id!r}"


def _refuse_other_decision(where: str, record: dict[str, Any], sent: dict[str, Any]) -> None:
    """ReviewConflict unless `sent` is the decision the gate (`where`, in words) recorded (or,
    where a second reviewer confirmed it, their confirmation)."""
    fields = ("action", "reviewer", "note", "corrections")
    answers = [a for a in (record.get("decision"), record.get("confirmed_by")) if a]
    named = sent.get("packet")
    if isinstance(named, str) and answers:
        # A decision naming a packet is the recorded one only if that packet is what was decided.
        answers = [a for a in answers if not a.get("packet") or names_packet(named, a["packet"])]
    if not any(all(given.get(name) == sent.get(name) for name in fields) for given in answers):
        recorded = answers[0] if answers else {}
        raise ReviewConflict(
            f"{where} was already answered by "
            f"{recorded.get('reviewer')} ({recorded.get('action')}); your decision was not recorded"
        )


def queued_cases(workflow: str | None = None, database_url: str | None = None) -> list[QueuedCase]:
    """The cases waiting for a person (of one workflow, or all), oldest first, in the database of
    `database_url` (default: the configured database)."""
    if workflow is not None:
        get_workflow(workflow)  # UnknownWorkflow, naming the known ones
    return HumanQueue(configured_database_url(database_url)).waiting(workflow)


@contextmanager
def open_workflow(
    name: str | Workflow, database_url: str | None = None, *, reading_only: bool = False
) -> Iterator[WorkflowRun]:
    """Compile workflow `name` (or a declaration not in the registry, such as a test's) with the
    saver for `database_url` (default: `BATON_DATABASE_URL`, else `sqlite:///.baton/baton.db`)
    and yield a `WorkflowRun` for it. `reading_only`: only to read threads (their state, report,
    history), so the long-term store, which only running nodes use, is not opened."""
    entry = name if isinstance(name, Workflow) else get_workflow(name)
    url = configured_database_url(database_url)
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(open_saver(url)) as saver,
    ):
        if reading_only:
            graph = entry.builder().compile(checkpointer=saver, name=entry.name)
            yield WorkflowRun(entry, graph, url, portal)
            return
        with portal.wrap_async_context_manager(open_store(url)) as store:
            graph = entry.builder().compile(checkpointer=saver, store=store, name=entry.name)
            yield WorkflowRun(entry, graph, url, portal)
