"""The governed node: an agent spec made into a LangGraph node that keeps the promises.

The node sees only the state slice its spec declares (per-node `input_schema`), validates its input
contract, runs the implementation chain in order (the next one runs when one raises, returns
`failed`, or returns output that breaks the output contract), validates the output, and writes an
`AgentResult` to its state key. A contract violation becomes `failed` with the field path and the
rule broken; it never crashes the run and never passes through coerced. Every attempt and every
fallback hop is a trace event.

The node is async: model-backed implementations are awaited, so LangGraph's node `timeout` can
cancel a hung model call; deterministic ones run in a worker thread, off the event loop. A node
with a model-backed implementation gets LangGraph's timeout, retry policy and an error handler.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping
from functools import cache
from typing import Any, TypedDict, cast, get_type_hints

from langchain_core.runnables import RunnableConfig
from langgraph.errors import GraphBubbleUp, NodeError, NodeTimeoutError
from langgraph.graph import StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, RetryPolicy, TimeoutPolicy
from pydantic import BaseModel, ValidationError

from agents.models import model_settings
from agents.spec import AgentContext, AgentSpec, Implementation
from graphs.kit.context import BatonContext, resolved_database_url, resolved_models
from graphs.kit.contracts import ContractViolation, describe_errors, validate_contract
from graphs.kit.events import aemit, listened
from graphs.kit.policy import POLICY_DIR, raw_settings
from graphs.kit.redaction import redact, redacting_trace_policy, sensitive_keys
from schemas.result import AgentResult, ErrorKind, Outcome, Status
from schemas.trace import EventKind

OVERRIDES_KEY = "overrides"
"""State key holding operator-corrected inputs, by agent name (set by rollback)."""
RERUNS_KEY = "department_reruns"
"""A hierarchy's state key: per department, the results of its specialists a rollback into it
keeps (`{department: {"resume_at": agent, "seed": {key: AgentResult}}}`), set by rollback."""


def slice_schema(state_schema: type, spec: AgentSpec) -> type:
    """The TypedDict of the state keys an agent reads (its scoped context)."""
    hints = get_type_hints(state_schema)
    unknown = [key for key in spec.reads if key not in hints]
    if unknown:
        raise ValueError(
            f"agent {spec.name!r} reads {unknown}, which are not keys of {state_schema.__name__}"
        )
    fields = {key: hints[key] for key in spec.reads}
    if OVERRIDES_KEY in hints:
        fields[OVERRIDES_KEY] = hints[OVERRIDES_KEY]
    return TypedDict(f"{spec.name.title().replace('_', '')}Slice", fields, total=False)  # type: ignore[operator]


def add_governed_agent(builder: StateGraph, spec: AgentSpec, *, then: str) -> None:
    """Add `spec` to `builder` as a governed node named after the agent, followed by `then`."""
    hints = get_type_hints(builder.state_schema)
    if spec.writes not in hints:
        raise ValueError(
            f"agent {spec.name!r} writes {spec.writes!r}, which is not a key of "
            f"{builder.state_schema.__name__}"
        )
    uses_models = any(impl.model_role is not None for impl in spec.implementations)
    settings = model_settings()
    in_flight: dict[str, str] = {}
    builder.add_node(
        spec.name,
        governed_node(spec, in_flight),
        input_schema=slice_schema(builder.state_schema, spec),
        trace_policy=redacting_trace_policy([spec.input_contract, spec.output_contract]),
        # A model-backed agent's attempt is cancelled by LangGraph when it shows no progress for
        # BATON_MODEL_TIMEOUT seconds; that and transient model errors (429, 5xx, connection) are
        # retried by LangGraph; when the retries run out, the error handler carries on down the
        # chain from the next implementation.
        timeout=TimeoutPolicy(idle_timeout=settings.model_timeout) if uses_models else None,
        retry_policy=RetryPolicy(
            max_attempts=settings.model_retry_attempts,
            initial_interval=settings.model_retry_interval,
            retry_on=is_retried,
        )
        if uses_models
        else None,
        error_handler=_after_retries(spec, then, in_flight) if uses_models else None,
    )
    builder.add_edge(spec.name, then)


class TransientModelFailure(Exception):
    """A model call of an LLM implementation failed in a way worth retrying."""

    def __init__(self, implementation: str, error: BaseException) -> None:
        self.implementation = implementation
        self.error = error
        super().__init__(f"{implementation}: {type(error).__name__}: {error}")


def is_retried(error: BaseException) -> bool:
    """What the node's retry policy retries: transient model failures and node timeouts."""
    return isinstance(error, (TransientModelFailure, NodeTimeoutError))


def is_transient(error: BaseException) -> bool:
    """429, 5xx, connection errors and timeouts of a model API."""
    status = getattr(error, "status_code", None)
    if isinstance(status, int) and (status == 429 or status >= 500):
        return True
    try:
        import openai
    except ImportError:  # pragma: no cover - openai comes with langchain-openai
        return False
    return isinstance(error, openai.APIConnectionError)  # includes APITimeoutError


def _after_retries(spec: AgentSpec, then: str, in_flight: dict[str, str]) -> Any:
    """The node's error handler: after LangGraph's retries of a transient model failure or a
    timeout, the rest of the chain runs (a visible fallback hop). Any other error is not handled
    here. `in_flight` says which implementation a timed-out attempt was running, by thread."""
    settings = workflow_settings(spec.workflow)

    async def carry_on(
        state: Mapping[str, Any],
        error: NodeError,
        config: RunnableConfig,
        runtime: Runtime[BatonContext],
    ) -> Command[str]:
        failure = error.error
        running = in_flight.pop(_thread_of(config), None)
        if isinstance(failure, TransientModelFailure):
            failed, cause = failure.implementation, failure.error
        elif isinstance(failure, NodeTimeoutError):
            first_model = next(i.name for i in spec.implementations if i.kind == "llm")
            failed, cause = running or first_model, failure
        else:
            raise failure
        context = AgentContext(
            database_url=resolved_database_url(runtime),
            models=resolved_models(runtime),
            settings=settings,
            thread_id=_thread_of(config),
        )
        reason = f"{type(cause).__name__}: {cause} (retries exhausted)"
        result = await _run_chain(spec, state, context, config, failed=(failed, reason))
        return Command(update={spec.writes: result.model_dump(mode="json")}, goto=then)

    carry_on.__name__ = f"{spec.name}_after_retries"
    return carry_on


def workflow_settings(workflow: str) -> dict[str, Any]:
    """The owner's settings for `workflow` (`settings:` in its policy file), read when the graph
    is built, as its review rules are."""
    return raw_settings(POLICY_DIR / f"{workflow}.yaml")


def _thread_of(config: RunnableConfig) -> str:
    return str(config.get("configurable", {}).get("thread_id", ""))


def governed_node(spec: AgentSpec, in_flight: dict[str, str] | None = None) -> Any:
    """The node function for an agent spec (see the module docstring for what it guarantees).
    The implementation a model-backed attempt is running is kept in `in_flight` (by thread), for
    the error handler to name when the attempt times out."""
    settings = workflow_settings(spec.workflow)

    uses_models = any(impl.model_role is not None for impl in spec.implementations)

    async def run_agent(
        state: Mapping[str, Any], config: RunnableConfig, runtime: Runtime[BatonContext]
    ) -> dict[str, Any]:
        context = AgentContext(
            database_url=resolved_database_url(runtime),
            models=resolved_models(runtime) if uses_models else {},
            settings=settings,
            thread_id=_thread_of(config),
        )
        first_attempt = (
            runtime is None
            or runtime.execution_info is None
            or (runtime.execution_info.node_attempt == 1)
        )
        result = await _run_chain(
            spec,
            state,
            context,
            config,
            retrying=True,
            announce=first_attempt,
            in_flight=in_flight,
            heartbeat=runtime.heartbeat if runtime is not None else lambda: None,
        )
        return {spec.writes: result.model_dump(mode="json")}

    run_agent.__name__ = spec.name
    return run_agent


async def _run_chain(
    spec: AgentSpec,
    state: Mapping[str, Any],
    context: AgentContext,
    config: RunnableConfig,
    *,
    retrying: bool = False,
    failed: tuple[str, str] | None = None,
    announce: bool = True,
    in_flight: dict[str, str] | None = None,
    heartbeat: Callable[[], None] = lambda: None,
) -> AgentResult[Any]:
    """Run the chain. With `retrying`, a transient model failure is raised for the node's retry
    policy; `failed` = (implementation, reason) resumes after an implementation whose retries ran
    out."""
    override = (state.get(OVERRIDES_KEY) or {}).get(spec.name)
    if override is not None and announce and failed is None:  # once per node, not per retry
        hidden = redact(override, sensitive_keys(spec.input_contract))
        await aemit(EventKind.INPUT_OVERRIDE, {"agent": spec.name, "input": hidden}, config)
    where = f"{spec.name} input"
    try:
        try:
            visible = (
                {key: value for key, value in state.items() if key != OVERRIDES_KEY}
                if OVERRIDES_KEY in state
                else state
            )
            raw = override if override is not None else spec.select_input(visible)
        except Exception as error:
            problem = f"(slice): cannot build the input: {type(error).__name__}: {error}"
            raise ContractViolation(spec.input_contract, [problem], where) from error
        payload = validate_contract(spec.input_contract, raw, where=where)
    except ContractViolation as violation:
        await aemit(
            EventKind.CONTRACT_VIOLATION, _violation_event(spec, "input", None, violation), config
        )
        return _result(
            spec,
            Status.FAILED,
            reason=str(violation),
            kind=ErrorKind.CONTRACT_VIOLATION,
            attempts=0,
        )

    chain = tuple(
        impl
        for impl in spec.implementations
        if impl.model_role is None or context.models.get(impl.model_role) is not None
    )
    if not chain:
        roles = sorted({str(impl.model_role) for impl in spec.implementations})
        missing = f"no implementation can run: no model is configured for {', '.join(roles)}"
        return _result(spec, Status.FAILED, reason=missing, kind=ErrorKind.UNAVAILABLE, attempts=0)
    rejected: list[str] = []
    last_reason, last_kind = "", ErrorKind.UNAVAILABLE
    first = 1
    if failed is not None:
        names = [impl.name for impl in chain]
        first = names.index(failed[0]) + 2 if failed[0] in names else 1
        rejected.append(f"{failed[0]}: {failed[1]}")
        last_reason = failed[1]
        next_name = chain[first - 1].name if first <= len(chain) else "human review"
        await aemit(
            EventKind.FALLBACK,
            {
                "agent": spec.name,
                "from": failed[0],
                "to": next_name,
                "model": next(
                    (_model_of(impl, context) for impl in chain if impl.name == failed[0]), None
                ),
                "reason": failed[1],
                "error_kind": ErrorKind.UNAVAILABLE.value,
            },
            config,
        )
    for position, impl in enumerate(chain, start=1):
        if position < first:
            continue
        started = time.perf_counter()
        if in_flight is not None and impl.kind == "llm":
            in_flight[_thread_of(config)] = impl.name
        try:
            verdict, value, reason, kind = await _attempt(
                spec, impl, payload, context, config, retrying, heartbeat
            )
        except asyncio.CancelledError:  # the node timed out (or the run is stopping)
            # The entry stays for the error handler to name the implementation that timed out.
            await _emit_attempt(spec, impl, position, started, "cancelled", None, context, config)
            raise
        except BaseException as failure:
            if in_flight is not None:
                in_flight.pop(_thread_of(config), None)
            if isinstance(failure, TransientModelFailure):
                why = str(failure.error)
                await _emit_attempt(spec, impl, position, started, "retry", why, context, config)
            raise
        if in_flight is not None:
            in_flight.pop(_thread_of(config), None)
        await _emit_attempt(spec, impl, position, started, verdict, reason, context, config)
        if verdict == "rejected":
            assert reason is not None and kind is not None
            rejected.append(f"{impl.name}: {reason}")
            last_reason, last_kind = reason, kind
            following = chain[position] if position < len(chain) else None
            await aemit(
                EventKind.FALLBACK,
                {
                    "agent": spec.name,
                    "from": impl.name,
                    "model": _model_of(impl, context),
                    "to": following.name if following else "human review",
                    "reason": reason,
                    "error_kind": kind.value,
                },
                config,
            )
            continue
        status = Status(verdict)
        return _result(
            spec,
            status,
            value=value,
            reason=reason,
            implementation=impl.name,
            attempts=position,
            fallbacks=rejected,
        )

    if len(rejected) == 1:
        reason, kind = last_reason, last_kind
    else:
        reason = "every implementation failed: " + " | ".join(rejected)
        kind = ErrorKind.ALL_IMPLEMENTATIONS_FAILED
    return _result(
        spec, Status.FAILED, reason=reason, kind=kind, attempts=len(chain), fallbacks=rejected
    )


async def _off_the_loop(
    impl: Implementation, payload: BaseModel, context: AgentContext, heartbeat: Callable[[], None]
) -> Any:
    """Run a plain implementation in a worker thread. The node's idle timeout is for model calls:
    while deterministic code runs, the attempt reports progress, so it is not cut off (a thread
    cannot be cancelled anyway)."""
    work = asyncio.ensure_future(asyncio.to_thread(impl.run, payload, context))
    interval = model_settings().model_timeout / 4
    while True:
        done, _ = await asyncio.wait({work}, timeout=interval)
        if done:
            return work.result()
        heartbeat()


async def _attempt(
    spec: AgentSpec,
    impl: Implementation,
    payload: BaseModel,
    context: AgentContext,
    config: RunnableConfig,
    retrying: bool = False,
    heartbeat: Callable[[], None] = lambda: None,
) -> tuple[str, BaseModel | None, str | None, ErrorKind | None]:
    """Run one implementation: (verdict, value, reason, error kind); verdict is a status or
    `rejected` (the next implementation should run)."""
    where = f"{spec.name} output"
    try:
        if _is_coroutine_function(impl.run):
            produced = await cast(Awaitable[Any], impl.run(payload, context))
        elif impl.runs_inline:
            produced = impl.run(payload, context)
        else:  # deterministic code that may read files or databases runs off the event loop
            produced = await _off_the_loop(impl, payload, context, heartbeat)
        if isinstance(produced, Outcome):
            if produced.status is Status.FAILED:
                return "rejected", None, produced.reason, produced.error_kind
            return produced.status.value, None, produced.reason, None
        value = validate_contract(spec.output_contract, produced, where=where)
    except ContractViolation as error:
        violation = error
    except ValidationError as error:
        # The implementation tried to build its output contract with values that break it.
        violation = ContractViolation(spec.output_contract, describe_errors(error), where)
    except GraphBubbleUp:
        raise
    except Exception as error:
        if retrying and impl.kind == "llm" and is_transient(error):
            raise TransientModelFailure(impl.name, error) from error
        reason = f"raised {type(error).__name__}: {error}"
        return "rejected", None, reason, ErrorKind.IMPLEMENTATION_ERROR
    else:
        return Status.OK.value, value, None, None
    await aemit(
        EventKind.CONTRACT_VIOLATION,
        _violation_event(spec, "output", impl.name, violation),
        config,
    )
    return "rejected", None, str(violation), ErrorKind.CONTRACT_VIOLATION


async def _emit_attempt(
    spec: AgentSpec,
    impl: Implementation,
    position: int,
    started: float,
    verdict: str,
    reason: str | None,
    context: AgentContext,
    config: RunnableConfig,
) -> None:
    if not listened(config):  # the event is not even built when no handler would receive it
        return
    await aemit(
        EventKind.ATTEMPT,
        {
            "agent": spec.name,
            "implementation": impl.name,
            "kind": impl.kind,
            "model": _model_of(impl, context),
            "position": position,
            "verdict": verdict,
            "reason": reason,
            "latency_ms": round((time.perf_counter() - started) * 1000, 3),
        },
        config,
    )


def _model_of(impl: Implementation, context: AgentContext) -> str | None:
    return context.models.get(impl.model_role) if impl.model_role else None


def _violation_event(
    spec: AgentSpec, stage: str, implementation: str | None, violation: ContractViolation
) -> dict[str, Any]:
    return {
        "agent": spec.name,
        "stage": stage,
        "implementation": implementation,
        "contract": violation.contract.__name__,
        "errors": violation.errors,
    }


def _result(
    spec: AgentSpec,
    status: Status,
    *,
    value: BaseModel | None = None,
    reason: str | None = None,
    kind: ErrorKind | None = None,
    implementation: str | None = None,
    attempts: int,
    fallbacks: list[str] | None = None,
) -> AgentResult[Any]:
    return _result_type(cast(type[BaseModel], spec.output_contract))(
        status=status,
        value=value,
        reason=reason,
        error_kind=kind,
        agent=spec.name,
        version=spec.version,
        implementation=implementation,
        attempts=attempts,
        fallbacks=fallbacks or [],
    )


@cache
def _is_coroutine_function(run: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(run)


@cache
def _result_type(output_contract: type[BaseModel]) -> type[AgentResult[Any]]:
    """`AgentResult[output_contract]`, made once (pydantic's own cache of parametrised models is
    weak and rebuilding one costs milliseconds)."""
    return AgentResult[output_contract]  # type: ignore[valid-type]
