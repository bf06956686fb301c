"""The server's request boundary: what a caller of the LangGraph server protocol may ask, by role.

A caller chooses the case, never the infrastructure. Servers differ in what their auth handlers
cover (Aegra calls none on runs, and passes a client's own `langgraph_auth_user` on), so Baton
checks every request itself, as ASGI middleware in the server's custom app (`http.app` in
`langgraph.json`, which both `langgraph dev` and Aegra load), before the server sees it:

- **Routes.** Each route of the protocol is open to the roles in `ROUTES`, and to nobody else;
  a route not listed is for operators. The table is `docs/deploy.md`'s authorisation matrix.
- **Bodies.** A run's `context`, `config`, `metadata`, checkpoints, webhooks, interrupts and
  durability are refused for every role that may not set them (`refused_fields`), with a 4xx naming
  the field; nothing is silently dropped. Strings in an input may not hold control characters or
  lone surrogates, and bodies are bounded in size and depth.
- **Bindings.** Each request's principal is sealed for that request alone: the boundary tells the
  auth layer, in the `x-baton-binding` header (a client's own is replaced), the thread, the action
  (`run`, `resume`) and a one-time nonce, so a seal read out of a case cannot act on another.

Thread ids are checked at the edge (`THREAD_ID`), here and on the command line alike.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import anyio

from checkpoints.human_queue import HumanQueue
from checkpoints.ledger import SideEffectLedger
from checkpoints.settings import database_url
from checkpoints.trace_store import TraceStore
from graphs.kit.access import (
    ANY_THREAD,
    BINDING_HEADER,
    DEVELOPER,
    OWNER_KEY,
    AccessMisconfigured,
    AccessRefused,
    Binding,
    Principal,
    access_settings,
    holder_of,
)
from graphs.kit.context import refused_model_choice
from graphs.kit.contracts import ContractViolation, validate_contract
from graphs.kit.inputs import InputRejected, check_json_text, check_thread_id
from graphs.kit.redaction import redact, sensitive_keys
from graphs.kit.review_gate import (
    ANSWER_KIND,
    FIRST_REVIEW_KIND,
    REVIEW_DECISION_KIND,
    SEAL_KIND,
    stale_packet_message,
)
from graphs.kit.workflows import get_workflow, workflow_names
from schemas.review import PACKET_REF, QueuedCase, ReviewDecision, names_packet
from schemas.trace import EventKind, TraceEvent

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 8 * 1024 * 1024
"""The largest request body the boundary reads (a contract, as JSON, with room to spare)."""

ALL = frozenset({"submitter", "reviewer", "operator"})
SUBMITTERS = frozenset({"submitter", "operator"})
OPERATORS = frozenset({"operator"})
_T = r"(?P<thread>[^/]+)"


@dataclass(frozen=True)
class Route:
    """One route of the server protocol and who may call it."""

    name: str
    method: str
    pattern: str
    roles: frozenset[str]

    def matches(self, method: str, path: str) -> re.Match[str] | None:
        if method != self.method:
            return None
        return re.fullmatch(self.pattern, path)


ROUTES: tuple[Route, ...] = (
    Route("assistants.search", "POST", r"/assistants/search", ALL),
    Route("assistants.count", "POST", r"/assistants/count", ALL),
    Route("assistants.read", "GET", r"/assistants/[^/]+(/graph|/schemas|/subgraphs(/.*)?)?", ALL),
    Route("assistants.create", "POST", r"/assistants", OPERATORS),
    Route("assistants.update", "PATCH", r"/assistants/[^/]+", OPERATORS),
    Route("assistants.delete", "DELETE", r"/assistants/[^/]+", OPERATORS),
    Route("threads.create", "POST", r"/threads", SUBMITTERS),
    Route("threads.search", "POST", r"/threads/search", ALL),
    Route("threads.count", "POST", r"/threads/count", ALL),
    Route("threads.read", "GET", rf"/threads/{_T}", ALL),
    Route("threads.state", "GET", rf"/threads/{_T}/state(/[^/]+)?", ALL),
    Route("threads.state.at", "POST", rf"/threads/{_T}/state/checkpoint", ALL),
    Route("threads.history", "GET", rf"/threads/{_T}/history", ALL),
    Route("threads.history.search", "POST", rf"/threads/{_T}/history", ALL),
    Route("threads.update_state", "POST", rf"/threads/{_T}/state", OPERATORS),
    Route("threads.update", "PATCH", rf"/threads/{_T}", OPERATORS),
    Route("threads.delete", "DELETE", rf"/threads/{_T}", OPERATORS),
    Route("threads.copy", "POST", rf"/threads/{_T}/copy", OPERATORS),
    Route("runs.create", "POST", rf"/threads/{_T}/runs(/stream|/wait)?", ALL),
    Route("runs.read", "GET", rf"/threads/{_T}/runs(/[^/]+(/join|/stream)?)?", ALL),
    Route("runs.cancel", "POST", rf"/threads/{_T}/runs/[^/]+/cancel", SUBMITTERS),
    Route("runs.delete", "DELETE", rf"/threads/{_T}/runs/[^/]+", OPERATORS),
    Route("runs.stateless", "POST", r"/runs(/stream|/wait|/batch)?", OPERATORS),
    Route("crons", "POST", r"(/threads/[^/]+)?/runs/crons(/search|/count)?", OPERATORS),
    Route("store", "PUT", r"/store/items", OPERATORS),
)
"""Every route of the protocol that a non-operator may call, and the operators-only ones named
for the matrix. Anything else (the rest of the store, crons, …) is for operators."""

INBOX = "/inbox"
"""Where the reviewer inbox (`graphs.inbox`) is mounted in the server's custom app."""
PUBLIC = re.compile(r"/(ok|health|info|docs|redoc|openapi\.json|metrics)(/.*)?|/")
"""Routes the server answers without a key (health and documentation)."""

RUN_FIELDS: Mapping[str, frozenset[str]] = {
    "submitter": frozenset(
        {
            "assistant_id",
            "input",
            "stream_mode",
            "stream_subgraphs",
            "stream_resumable",
            "on_disconnect",
            "multitask_strategy",
            "if_not_exists",
            "stream",
        }
    ),
    "reviewer": frozenset(
        {
            "assistant_id",
            "command",
            "stream_mode",
            "stream_subgraphs",
            "stream_resumable",
            "on_disconnect",
            "multitask_strategy",
            "if_not_exists",
            "stream",
        }
    ),
}
"""Fields of a run request each role may set (a null or empty value counts as unset); operators
may set every field but those in `NEVER`."""
RESERVED_CONFIGURABLE = re.compile(
    r"langgraph_auth_.*|user_id|thread_id|run_id|database_url|__.*|x-.*|langsmith.*"
)
"""Configurable keys no caller sets: the server's own, and infrastructure."""
NEVER = frozenset({"context.database_url"})
"""What no caller may choose, operators included: the deployment's infrastructure."""
THREAD_FIELDS: Mapping[str, frozenset[str]] = {
    "submitter": frozenset({"thread_id", "metadata", "if_exists", "graph_id"}),
}


@dataclass(frozen=True)
class Refusal(Exception):
    """A request the boundary refuses: the HTTP status, the field (or route) and why."""

    status: int
    field: str
    detail: str


def route_for(method: str, path: str) -> tuple[Route | None, str | None]:
    """The route a request is for (None when unlisted: operators only) and its thread id."""
    for route in ROUTES:
        found = route.matches(method, path)
        if found is not None:
            return route, found.groupdict().get("thread")
    return None, None


def _set(value: Any) -> bool:
    return value is not None and value != {} and value != [] and value != ""


def refused_fields(role: str, route: str, body: Any, identity: str = "") -> None:
    """Refusal unless `role` may send `body` to `route` (a route's name in `ROUTES`)."""
    if route not in (
        "runs.create",
        "threads.create",
        "runs.stateless",
        "threads.search",
        "threads.count",
        "assistants.create",
        "assistants.update",
        "crons",
    ):
        return
    if not isinstance(body, dict):
        raise Refusal(422, "(body)", "the request body must be a JSON object")
    if route in ("assistants.create", "assistants.update"):
        # An assistant's config and context become every run's that uses it, whoever runs it:
        # no model choice there (operators choose per run), and no infrastructure.
        _check_configurable(body)
        for source in ("context", "config.configurable"):
            values = body.get("context") if source == "context" else _configurable(body)
            if isinstance(values, dict) and "models" in values:
                raise Refusal(
                    403,
                    f"{source}.models",
                    "an assistant chooses no model: operators choose per run",
                )
        _check_operator_context(role, body, identity)
        return
    if route in ("threads.search", "threads.count"):
        return
    if route == "threads.create":
        allowed = THREAD_FIELDS.get(role)
        if allowed is not None:
            for name in sorted(k for k, v in body.items() if _set(v) and k not in allowed):
                raise Refusal(403, name, f"a {role} may not set {name} when creating a thread")
            metadata = body.get("metadata") or {}
            if not isinstance(metadata, dict):
                raise Refusal(422, "metadata", "metadata must be a JSON object")
            if "owner" in metadata:
                raise Refusal(403, "metadata.owner", "the owner is set by the server")
        if _set(body.get("thread_id")):
            _thread_field(body["thread_id"], "thread_id")
        return
    allowed = RUN_FIELDS.get(role)
    if allowed is not None:
        for name in sorted(k for k, v in body.items() if _set(v) and k not in allowed):
            raise Refusal(403, name, f"a {role} may not set {name} on a run (operators may)")
        if role == "submitter" and body.get("input") is None:
            raise Refusal(
                403,
                "input",
                "a submitter's run starts a case: send its input (operators continue stopped runs)",
            )
        if body.get("if_not_exists") not in (None, "reject"):
            raise Refusal(403, "if_not_exists", "runs cannot create threads (operators may)")
        if body.get("multitask_strategy") not in (None, "reject"):
            raise Refusal(
                403,
                "multitask_strategy",
                "only operators interrupt, roll back or queue behind someone's run ('reject')",
            )
    _check_operator_context(role, body, identity)
    _check_configurable(body)
    command = body.get("command")
    if command is not None and not isinstance(command, dict):
        raise Refusal(422, "command", "must be a JSON object")
    used = {k for k, v in (command or {}).items() if v is not None}
    if role == "reviewer" and used != {"resume"}:
        raise Refusal(403, "command", 'a reviewer\'s run only answers a review gate: {"resume": …}')
    if role == "submitter" and used:
        raise Refusal(403, "command", "only reviewers and operators answer review gates")
    for name in ("input", "command"):
        if body.get(name) is not None:
            try:
                check_json_text(body[name], where=name)
            except InputRejected as error:
                raise Refusal(422, error.field or name, str(error)) from None
    if body.get("input") is not None:
        _check_workflow_input(body.get("assistant_id"), body["input"])
    if _resumes(body):
        where, decision = _resume_decision(body["command"]["resume"])
        try:
            validate_contract(ReviewDecision, decision, where=where)
        except ContractViolation as error:
            field = error.errors[0].split(":", 1)[0] if error.errors else "(whole object)"
            raise Refusal(422, f"{where}.{field}", str(error)) from None


INTERRUPT_ID = re.compile(r"[0-9a-f]{32}")
"""An interrupt's id. LangGraph reads a resume whose keys are all such ids as a map from
interrupt to answer: how one of several gates waiting in a thread (departments of a hierarchy)
is answered on its own."""


def _resume_decision(resume: Any) -> tuple[str, Any]:
    """The review decision a resume carries, and where it is in the body: the resume itself, or
    the one answer of a map `{interrupt_id: decision}`. A request answers one gate: with
    several answers a refusal of one could not be told apart from a success of another (and a
    request's seal answers once)."""
    if not (isinstance(resume, dict) and all(INTERRUPT_ID.fullmatch(str(k)) for k in resume)):
        return "command.resume", resume
    if len(resume) != 1:
        raise Refusal(
            422,
            "command.resume",
            "answer one review gate per request: a decision, or {interrupt_id: decision} "
            f"naming one interrupt (this names {len(resume)})",
        )
    ((interrupt_id, decision),) = resume.items()
    return f"command.resume.{interrupt_id}", decision


ASSISTANT_NAMESPACE = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")
"""The namespace both servers derive a graph's default assistant id from (uuid5 of its name)."""


def _check_workflow_input(assistant_id: Any, given: Any) -> None:
    """A run's input, when it is for a shipped workflow's default assistant, must keep that
    workflow's input contract (unknown fields included: servers drop them silently, so the
    boundary refuses them as the command line does)."""
    workflow = next(
        (
            get_workflow(name)
            for name in workflow_names()
            if str(assistant_id).lower() in (name, str(uuid.uuid5(ASSISTANT_NAMESPACE, name)))
        ),
        None,
    )
    if workflow is None:
        return
    try:
        validate_contract(workflow.input_model(), given, where="input")
    except ContractViolation as error:
        field = error.errors[0].split(":", 1)[0] if error.errors else "(whole object)"
        raise Refusal(422, f"input.{field}", str(error)) from None


def _refuse_query(query: bytes) -> None:
    """Query parameters that act on someone's runs are for operators: cancelling a run when the
    caller disconnects (`cancel_on_disconnect`), or an `action` on a run."""
    for name in ("cancel_on_disconnect", "action"):
        if name.encode() in query:
            raise Refusal(403, name, f"{name} is for operators")


def _check_configurable(body: Mapping[str, Any]) -> None:
    config = body.get("config") or {}
    if not isinstance(config, dict):
        raise Refusal(422, "config", "must be a JSON object")
    configurable = config.get("configurable") or {}
    if not isinstance(configurable, dict):
        raise Refusal(422, "config.configurable", "must be a JSON object")
    for key in sorted(configurable):
        if RESERVED_CONFIGURABLE.fullmatch(key):
            raise Refusal(403, f"config.configurable.{key}", "is set by the server, never a caller")


def _configurable(body: Mapping[str, Any]) -> Any:
    config = body.get("config") or {}
    return config.get("configurable") or {} if isinstance(config, dict) else {}


def _check_operator_context(role: str, body: Mapping[str, Any], identity: str) -> None:
    context = body.get("context") or {}
    configurable = _configurable(body)
    for source, values in (("context", context), ("config.configurable", configurable)):
        if not isinstance(values, dict):
            raise Refusal(422, source, "must be a JSON object")
        if "database_url" in values:
            raise Refusal(
                403,
                f"{source}.database_url",
                "the database is the deployment's setting (BATON_DATABASE_URL), never a caller's",
            )
        unknown = sorted(set(values) - {"models"}) if source == "context" else []
        if unknown:
            raise Refusal(422, f"context.{unknown[0]}", "is not a Baton run setting (models)")
        if "models" in values:
            models = values["models"]
            if not isinstance(models, dict):
                raise Refusal(422, f"{source}.models", "must map model roles to model names")
            try:
                refused_model_choice(models, Principal(identity or role, role))  # type: ignore[arg-type]
            except AccessRefused as error:
                raise Refusal(403, f"{source}.models", str(error)) from None


def _thread_field(value: Any, field: str) -> None:
    try:
        check_thread_id(str(value))
    except InputRejected as error:
        raise Refusal(422, field, str(error)) from None


REVIEWER_READS = frozenset(
    {
        "threads.read",
        "threads.state",
        "threads.state.at",
        "threads.history",
        "threads.history.search",
        "runs.read",
        "runs.create",
    }
)


def _resumes(body: Any) -> bool:
    """Whether a run request answers a review gate."""
    command = body.get("command") if isinstance(body, dict) else None
    return isinstance(command, dict) and command.get("resume") is not None


def _answers_and_decisions(thread: str) -> tuple[int, int]:
    """How many answers the thread's review gates received, and how many decisions they
    recorded, a first reviewer's awaiting a second one included (the ledger is the deployment's,
    whatever server ran the gate)."""
    ledger = SideEffectLedger(database_url())
    return (
        len(ledger.for_thread(thread, ANSWER_KIND)),
        len(ledger.for_thread(thread, REVIEW_DECISION_KIND))
        + len(ledger.for_thread(thread, FIRST_REVIEW_KIND)),
    )


async def _recorded(nonce: str) -> bool:
    """Whether a review gate recorded the answer of the request sealed with `nonce`: the gate
    spent the seal on an answer, and that answer is this request's (two runs of one thread at
    once, as Aegra allows, may both reach the gate, which keeps the first answer)."""

    def recorded() -> bool:
        ledger = SideEffectLedger(database_url())
        seal = ledger.get(f"{SEAL_KIND}:{nonce}")
        answer = ledger.get(str(seal.get("answer"))) if seal is not None else None
        return answer is not None and answer.get("nonce") == nonce

    return bool(await anyio.to_thread.run_sync(recorded))


def _latest_refusal(thread: str) -> str:
    """Why the gate last refused an answer, from the trace (the packet it asked again with)."""
    for event in reversed(TraceStore(database_url()).events(thread, EventKind.GATE_FIRED)):
        refused = (event.data.get("packet") or {}).get("refused") or []
        if refused:
            return str(refused[-1])
    return "see the case's review packet (it is still waiting)"


REASON_HEADER = "x-baton-reason"
"""Why an operator changes a thread's history (optional): kept in the trace event."""


def _history_change(name: str, body: Any) -> dict[str, Any] | None:
    """What an operator's request changes in a thread's history, for its trace event (None when
    it changes nothing: only operators get this far with such a request)."""
    if not isinstance(body, dict):
        return None
    checkpoint = body.get("checkpoint")
    checkpoint_id = body.get("checkpoint_id") or (
        checkpoint.get("checkpoint_id") if isinstance(checkpoint, dict) else None
    )
    if name == "threads.update_state":
        return {
            "via": "a state update",
            "as_node": body.get("as_node"),
            "checkpoint_id": checkpoint_id,
            "values": body.get("values"),
        }
    command: dict[str, Any] = body["command"] if isinstance(body.get("command"), dict) else {}
    if name == "runs.create" and (checkpoint_id or command.get("goto") or command.get("update")):
        return {
            "via": "a run from an earlier checkpoint" if checkpoint_id else "a command",
            "checkpoint_id": checkpoint_id,
            "goto": command.get("goto"),
            "values": command.get("update"),
        }
    return None


def _recording_on_success(send: Send, record: Callable[[], None]) -> Send:
    """`send`, calling `record` when the response starts with a success, before any of its body
    goes out (a client may stop reading once it has the body's length): a caller who reads the
    trace after the response finds the event there."""

    async def recording(message: Message) -> None:
        if message["type"] == "http.response.start" and 200 <= int(message["status"]) < 300:
            await anyio.to_thread.run_sync(record)
        await send(message)

    return recording


def _record_history_change(
    thread: str, identity: str, change: dict[str, Any], reason: bytes | None
) -> None:
    """The trace event of an operator's change to a thread's history, as the CLI's rollback
    writes one: who (from the key), when, how, why, and the values (sensitive fields redacted)."""
    TraceStore(database_url()).append(
        TraceEvent(
            thread_id=thread,
            kind=EventKind.STATE_CHANGE,
            node=change.get("as_node"),
            at=datetime.now(UTC),
            data={
                **redact(change, sensitive_keys()),
                "by": identity,
                "identified_by": "development mode" if identity == DEVELOPER else "api key",
                "reason": reason.decode("utf-8", "replace")[:2000] if reason else None,
            },
        )
    )


def _has_input(body: Any) -> bool:
    return isinstance(body, dict) and body.get("input") is not None


def _queue() -> HumanQueue:
    """The deployment's human queue. Opening it touches the database (its tables are made when
    missing): call it in a worker thread, never on the event loop (`_waiting_at`)."""
    return HumanQueue(database_url())


async def _waiting_at(thread: str) -> list[QueuedCase]:
    """The gates of `thread` waiting for review, read off the event loop."""
    return await anyio.to_thread.run_sync(lambda: _queue().of_thread(thread))


async def _is_waiting(thread: str) -> bool:
    return bool(await anyio.to_thread.run_sync(lambda: _queue().is_waiting(thread)))


async def _waiting_for_review(thread: str) -> None:
    """An answer goes only to a case waiting for review: the second of two reviewers, or an
    answer retried after it was recorded, is told so (409), never sent a success that changed
    nothing."""
    if not await _is_waiting(thread):
        raise Refusal(
            409,
            "command.resume",
            f"thread {thread!r} is not waiting for review: it was decided already, or never "
            "stopped (its state and decision: GET /threads/{thread_id}/state)",
        )


async def _one_gate_named(thread: str, resume: Any) -> None:
    """Where several gates of a thread wait (departments of a hierarchy), a resume names the one
    it answers by its interrupt id; a bare decision is refused (422) with the gates listed,
    before any run starts."""
    where, _ = _resume_decision(resume)
    if where != "command.resume":
        return
    waiting = await _waiting_at(thread)
    if len(waiting) > 1:
        places = ", ".join(
            f"{case.department}/{case.gate}" if case.department else case.gate for case in waiting
        )
        raise Refusal(
            422,
            "command.resume",
            f"{len(waiting)} review gates of thread {thread!r} wait ({places}): answer one with "
            '{"resume": {interrupt_id: decision}} (the ids: GET /threads/{thread_id}/state, '
            "`interrupts`)",
        )


async def _packet_still_shown(thread: str, resume: Any) -> None:
    """A decision naming the packet it answers goes only to a gate that still shows that packet:
    a case that changed since (a rollback, a corrected input) is refused (409) with the packet
    it shows now, before any run starts. The gate checks again, for a change in between."""
    where, decision = _resume_decision(resume)
    named = decision.get("packet") if isinstance(decision, dict) else None
    if named is None:
        return
    if not isinstance(named, str) or re.fullmatch(PACKET_REF, named) is None:
        raise Refusal(
            422,
            f"{where}.packet",
            "a packet is named by its packet_hash: 12 to 64 lowercase hex characters",
        )
    shown = [case.packet_hash for case in await _waiting_at(thread)]
    current = [h for h in shown if h]
    if not current or any(names_packet(named, h) for h in current):
        return
    raise Refusal(
        409,
        f"{where}.packet",
        stale_packet_message(named, current[0])
        + " (GET /threads/{thread_id}/state: its interrupts show the packet)",
    )


async def _reviewer_may_see(route: Route | None, thread: str) -> None:
    """A reviewer reaches a thread only while its case waits for review (the human queue)."""
    if route is None or route.name not in REVIEWER_READS or await _is_waiting(thread):
        return
    if route.name == "runs.create":
        await _waiting_for_review(thread)
    raise Refusal(404, "thread_id", f"no case waiting for review on thread {thread!r}")


def search_body(role: str, body: Any) -> Any:
    """A reviewer's thread search lists the cases waiting for review, and nothing else."""
    if role == "reviewer" and isinstance(body, dict):
        return {**body, "status": "interrupted"}
    return body


class RequestBoundary:
    """ASGI middleware enforcing the boundary on every request (see the module's docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = [
            (k, v) for k, v in scope.get("headers", []) if k.lower() != BINDING_HEADER.encode()
        ]
        scope = {**scope, "headers": headers}
        keys = [v for k, v in headers if k.lower() == b"x-api-key"]
        if scope["type"] == "websocket":
            # Event streams over a socket carry no body to check: operators only.
            holder = self._holder(keys)
            if holder is None or holder[1] != "operator":
                await receive()  # the connect
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope.get("path", "")
        if path == INBOX or path.startswith(INBOX + "/"):
            # The reviewer inbox checks its callers itself (its pages sign in with a cookie) and
            # decides through this server's own API, so through this boundary.
            await self.app(scope, receive, send)
            return
        if method == "OPTIONS" or PUBLIC.fullmatch(path):  # CORS preflight, health, docs
            await self.app(scope, receive, send)
            return
        if len(keys) > 1:  # servers read the last, a check might read the first: refuse both
            await _refuse(send, Refusal(400, "x-api-key", "send exactly one x-api-key header"))
            return
        holder = self._holder(keys)
        if holder is None:  # no key, or a wrong one: the server's auth answers 401
            await self.app(scope, receive, send)
            return
        if method == "HEAD":  # answered like a GET by the server: checked like one
            method = "GET"
        identity, role = holder
        if role != "operator":
            send = _masking_seals(send)
        route, thread = route_for(method, path)
        try:
            if route is None and role != "operator":
                raise Refusal(403, f"{method} {path}", f"this route is for operators, not a {role}")
            if route is not None and role not in route.roles:
                raise Refusal(403, route.name, f"{route.name} is not open to a {role}")
            if thread is not None:
                _thread_field(thread, "thread_id")
            if role != "operator":
                _refuse_query(scope.get("query_string", b""))
            body: Any = None
            raw = b""
            if method in ("POST", "PUT", "PATCH"):
                raw = await _read_body(receive)
                body = _parse(raw) if raw.strip() else {}
            name = route.name if route is not None else ""
            refused_fields(role, name, body, identity)
            if thread is not None and role == "reviewer":
                await _reviewer_may_see(route, thread)
            if thread is not None and role == "submitter" and name != "threads.read":
                await self._submitter_may_reach(scope, thread)
            if name == "runs.create" and thread is not None and _resumes(body):
                await _waiting_for_review(thread)
                await _one_gate_named(thread, body["command"]["resume"])
                await _packet_still_shown(thread, body["command"]["resume"])
                await self._not_own_case(scope, thread, identity)
            if name == "runs.create" and thread is not None and _has_input(body):
                await self._holds_no_case(scope, thread)
        except Refusal as refusal:
            await _refuse(send, refusal)
            return
        if name in ("threads.search", "threads.count"):
            new = search_body(role, body)
            if new is not body:
                raw = json.dumps(new).encode()
        if name in ("runs.create", "runs.stateless"):
            action = "resume" if _resumes(body) else "run"
            binding = Binding(thread or ANY_THREAD, action, secrets.token_hex(16))  # type: ignore[arg-type]
            headers.append((BINDING_HEADER.encode(), binding.header().encode()))
        change = _history_change(name, body) if thread is not None else None
        if change is not None and thread is not None:
            reason = next((v for k, v in headers if k.lower() == REASON_HEADER.encode()), None)
            send = _recording_on_success(
                send, partial(_record_history_change, thread, identity, change, reason)
            )
        if method in ("POST", "PUT", "PATCH"):
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(raw)).encode()))
            scope["headers"] = headers
            if name == "runs.create" and thread and _resumes(body) and path.endswith("/wait"):
                sealed = binding.nonce if identity != DEVELOPER else None
                await self._answer_or_refusal(scope, _replay(raw, receive), send, thread, sealed)
                return
            await self.app(scope, _replay(raw, receive), send)
            return
        await self.app(scope, receive, send)

    async def _submitter_may_reach(self, scope: Scope, thread: str) -> None:
        """A submitter reaches a thread only when the server lets it read the thread (its own):
        asked of the server itself, since not every server checks ownership on every route
        (Aegra runs on any thread)."""
        status, _ = await self._ask(scope, f"/threads/{thread}")
        if status != 200:
            raise Refusal(404, "thread_id", f"thread {thread!r} not found")

    async def _holds_no_case(self, scope: Scope, thread: str) -> None:
        """An input goes only to a thread that holds no case yet: a second input on a started or
        completed thread would replace its submission under the agents' results."""
        status, state = await self._ask(scope, f"/threads/{thread}/state")
        values = state.get("values") if isinstance(state, dict) else None
        if status == 200 and values:
            raise Refusal(
                409,
                "input",
                f"thread {thread!r} already holds a case: a new input goes to a new thread "
                "(a stopped run is continued by an operator, a waiting one answered by a reviewer)",
            )

    async def _answer_or_refusal(
        self, scope: Scope, receive: Receive, send: Send, thread: str, nonce: str | None
    ) -> None:
        """Run an answer to a review gate and wait: when the gate refused it (a workflow's own
        rule, such as an approval without the results it needs) and stays open, the caller gets
        a 422 with the reason; when another reviewer's answer, racing this one past the waiting
        check, decided the case first, a 409, whether the server ran this one to no gate or to a
        gate that kept the other answer (no answer recorded under its seal, `nonce`), or refused
        it in words of its own (Aegra's 400, while the other answer's run is underway or after);
        never a 200 that changed nothing."""
        before = await anyio.to_thread.run_sync(_answers_and_decisions, thread)
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        after = await anyio.to_thread.run_sync(_answers_and_decisions, thread)
        status = next((m["status"] for m in held if m["type"] == "http.response.start"), 500)
        if 200 <= status < 300 and after[0] > before[0] and after[1] == before[1]:
            reason = await anyio.to_thread.run_sync(_latest_refusal, thread)
            await _refuse(
                send,
                Refusal(422, "command.resume", f"the review gate refused the answer: {reason}"),
            )
            return
        decided_meanwhile = after[1] > before[1]  # not a crashed run's decision carried on
        lost = decided_meanwhile and nonce is not None and not await _recorded(nonce)
        if (200 <= status < 300 and lost) or (
            status == 400 and not await self._interrupted(scope, thread)
        ):
            await _refuse(
                send,
                Refusal(
                    409,
                    "command.resume",
                    f"thread {thread!r} was decided by another answer while this one waited to "
                    "run: nothing of it was recorded (the decision: GET "
                    "/threads/{thread_id}/state)",
                ),
            )
            return
        for message in held:
            await send(message)

    async def _interrupted(self, scope: Scope, thread: str) -> bool:
        """Whether the server holds `thread` as interrupted (waiting for an answer); not while
        another answer's run is underway on it (Aegra then refuses a resume with a 400, "not in
        interrupted state"), nor once it is decided."""
        status, found = await self._ask(scope, f"/threads/{thread}")
        return status == 200 and isinstance(found, dict) and found.get("status") == "interrupted"

    async def _not_own_case(self, scope: Scope, thread: str, identity: str) -> None:
        """No one answers the review of a case they started: refused here, visibly (403), rather
        than by the gate, which would leave the case open under a 200."""
        if identity == DEVELOPER:
            return
        status, state = await self._ask(scope, f"/threads/{thread}/state")
        values = state.get("values") if status == 200 and isinstance(state, dict) else None
        if isinstance(values, dict) and values.get(OWNER_KEY) == identity:
            raise Refusal(
                403, "command.resume", f"{identity!r} started this case and may not review it"
            )

    async def _ask(self, scope: Scope, path: str) -> tuple[int, Any]:
        """GET `path` from the server itself, as the caller (its key alone)."""
        status = 0
        chunks: list[bytes] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        keep = (b"x-api-key", b"host")
        probe = {
            **scope,
            "method": "GET",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(k, v) for k, v in scope["headers"] if k.lower() in keep],
        }
        await self.app(probe, receive, send)
        try:
            return status, json.loads(b"".join(chunks) or b"null")
        except ValueError:
            return status, None

    @staticmethod
    def _holder(keys: list[bytes]) -> tuple[str, str] | None:
        """Who the request's one key stands for (the local developer with BATON_AUTH=off)."""
        try:
            if access_settings().auth == "off":
                return DEVELOPER, "operator"
            key = keys[0].decode("utf-8") if len(keys) == 1 else None
            holder = holder_of(key)
        except (AccessMisconfigured, UnicodeDecodeError):
            return None
        return (holder.identity, holder.role) if holder is not None else None


_SEAL = re.compile(rb'("baton_seal"\s*:\s*")([0-9a-f]{64})(")')


def _masking_seals(send: Send) -> Send:
    """`send`, with every principal's seal in a response masked (to the same length, so a
    declared content length still holds): only operators see seals, and a seal is good for one
    request on one thread anyway."""

    async def masked(message: Message) -> None:
        if message["type"] == "http.response.body" and b"baton_seal" in message.get("body", b""):
            body = _SEAL.sub(lambda m: m.group(1) + b"0" * 64 + m.group(3), message["body"])
            message = {**message, "body": body}
        await send(message)

    return masked


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Refusal(413, "(body)", f"the request body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _parse(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Refusal(
            400, "(body)", f"the request body is not UTF-8 (byte {error.start})"
        ) from None
    try:
        return check_json_text(text, where="", parse=True)
    except InputRejected as error:
        raise Refusal(422 if error.field else 400, error.field or "(body)", str(error)) from None


def _replay(raw: bytes, receive: Receive) -> Receive:
    """The body read once, then the client's own messages (a disconnect, for streams)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replayed


async def _refuse(send: Send, refusal: Refusal) -> None:
    body = json.dumps(
        {"detail": f"{refusal.field}: {refusal.detail}", "field": refusal.field}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": refusal.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def boundary_app() -> Any:
    """The custom app a server loads (`http.app`): the reviewer inbox at `/inbox`, the boundary
    as its middleware. Aegra wants a FastAPI app (it comes with Aegra); the LangGraph server takes any
    Starlette app."""
    try:
        from fastapi import FastAPI

        app: Any = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    except ImportError:  # the LangGraph server's image has Starlette alone
        from starlette.applications import Starlette

        app = Starlette()
    from starlette.responses import RedirectResponse
    from starlette.routing import Route

    from graphs.inbox.web import inbox_app

    async def to_inbox(request: Any) -> RedirectResponse:
        return RedirectResponse(INBOX + "/", status_code=307)

    app.router.routes.append(Route(INBOX, to_inbox))  # /inbox → /inbox/ (the mount's root)
    app.mount(INBOX, inbox_app())
    app.add_middleware(RequestBoundary)
    return app
