"""The agent spec: who owns an agent, what it reads and writes, and how it can be done."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import UnionType
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    Literal,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
)

from pydantic import BaseModel

from agents.models import Role, check_role_name, load_chat_model
from schemas.result import AgentResult, Outcome, Status

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Owner:
    """The team accountable for an agent, and how to reach them."""

    team: str
    contact: str


@dataclass(frozen=True)
class AgentContext:
    """What an implementation may use besides its input contract."""

    database_url: str
    """Where the workflow's business data lives (the same URL as the checkpointer by default)."""
    models: Mapping[str, str | None] = field(default_factory=dict)
    """The chat model (`provider:model`) for each role for this run; None where none is set."""
    settings: Mapping[str, Any] = field(default_factory=dict)
    """The business owner's settings for the workflow (`settings:` in its policy file), as
    written: an agent checks them with the workflow's settings model."""
    thread_id: str = ""
    """The case's thread, for a side effect an agent keys on the case."""

    def chat_model(self, role: str) -> BaseChatModel:
        """The chat model for `role` (only called by implementations that declared the role)."""
        name = self.models.get(role)
        if name is None:
            raise LookupError(f"no model is configured for role {role!r} (set BATON_MODEL)")
        return load_chat_model(name)


In = TypeVar("In", bound=BaseModel)
"""An agent's input contract."""
Out = TypeVar("Out", bound=BaseModel)
"""An agent's output contract."""

ImplementationFn = Callable[[In, AgentContext], Out | Outcome | Awaitable[Out | Outcome]]
"""Takes the validated input contract; returns the output contract (meaning ok) or an Outcome.
Model-backed implementations are coroutine functions (so a node timeout can cancel them); plain
functions run in a worker thread, off the event loop, unless marked `runs_inline`."""


@dataclass(frozen=True)
class Implementation(Generic[In, Out]):
    """One way of doing an agent's job; a spec holds an ordered chain of them. Generic in the
    agent's contracts, so mypy checks `run` against the spec's input and output."""

    name: str
    kind: Literal["deterministic", "llm"]
    run: ImplementationFn[In, Out]
    description: str = ""
    model_role: Role | None = None
    """For an LLM implementation: the model role it uses. It is skipped (not tried, not a
    fallback) when no model is configured for that role."""
    runs_inline: bool = False
    """A plain function that does no I/O (no files, databases or network) may run on the event
    loop itself; any other runs in a worker thread."""

    def __post_init__(self) -> None:
        if self.model_role is not None:
            check_role_name(self.model_role)


def _identity(state_slice: Mapping[str, Any]) -> dict[str, Any]:
    return dict(state_slice)


@dataclass(frozen=True)
class AgentSpec(Generic[In, Out]):
    """A specialist agent: identity, ownership, contracts and its implementation chain.

    `reads` names the state keys the agent may see (its scoped slice); `select_input` builds the
    input contract from that slice (by default the slice itself); the validated output is written,
    wrapped in an `AgentResult`, to the state key `writes` (by default the agent's name).
    """

    name: str
    workflow: str
    owner: Owner
    version: str
    description: str
    reads: tuple[str, ...]
    input_contract: type[In]
    output_contract: type[Out]
    implementations: tuple[Implementation[In, Out], ...]
    select_input: Callable[[Mapping[str, Any]], dict[str, Any]] = field(default=_identity)
    writes: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"agent name {self.name!r} must be snake_case")
        if not self.implementations:
            raise ValueError(f"agent {self.name!r} needs at least one implementation")
        names = [impl.name for impl in self.implementations]
        if len(set(names)) != len(names):
            raise ValueError(f"agent {self.name!r} has duplicate implementation names: {names}")
        if not self.reads:
            raise ValueError(f"agent {self.name!r} must declare the state keys it reads")
        if not self.writes:
            object.__setattr__(self, "writes", self.name)


def rules_agent(
    run: Callable[[In, AgentContext], Out | Outcome],
    name: str,
    workflow: str,
    owner: Owner,
    *,
    version: str = "1.0.0",
    reads: tuple[str, ...] | None = None,
    select_input: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None,
    does_io: bool = False,
) -> AgentSpec[In, Out]:
    """An agent done by one deterministic function: its contracts are read from `run`'s
    annotations (the first parameter and the return, `Outcome` aside), its description from
    `run`'s docstring, and it reads its input contract's fields from the state unless `reads`
    (the keys) and `select_input` (the input made from them) say otherwise. A function that
    does no I/O runs on the event loop; one that reads a database or files says `does_io` and
    runs in a worker thread. ValueError when the annotations do not name two contracts.

    Example:
        LIMIT = rules_agent(check_limit, "limit", "expense_claims", FINANCE)
    """
    hints = get_type_hints(run)
    parameters = [hint for key, hint in hints.items() if key != "return"]
    returned = hints.get("return")
    union = get_origin(returned) in (Union, UnionType)
    outputs = [t for t in (get_args(returned) if union else [returned]) if t is not Outcome]
    contracts = [parameters[0] if parameters else None, outputs[0] if len(outputs) == 1 else None]
    if not all(isinstance(c, type) and issubclass(c, BaseModel) for c in contracts):
        raise ValueError(
            f"agent {name!r}: {getattr(run, '__name__', run)} must take an input contract and "
            "return an output contract (pydantic models; `| Outcome` allowed)"
        )
    input_contract, output_contract = cast(type[In], contracts[0]), cast(type[Out], contracts[1])
    return AgentSpec(
        name=name,
        workflow=workflow,
        owner=owner,
        version=version,
        description=" ".join((run.__doc__ or name).split()),
        reads=reads or tuple(input_contract.model_fields),
        input_contract=input_contract,
        output_contract=output_contract,
        implementations=(Implementation("rules", "deterministic", run, runs_inline=not does_io),),
        select_input=select_input or _identity,
    )


def result_of(state: Mapping[str, Any], spec: AgentSpec[Any, Out]) -> AgentResult[Out] | None:
    """The result `spec`'s agent wrote into `state` (JSON there), validated against its output
    contract on the way out; None when the agent has not run."""
    raw = state.get(spec.writes)
    if raw is None:
        return None
    return AgentResult[spec.output_contract].model_validate(raw)  # type: ignore[name-defined]


def ok_value(state: Mapping[str, Any], spec: AgentSpec[Any, Out]) -> Out | None:
    """The value of `spec`'s agent when it answered `ok` (validated), else None."""
    result = result_of(state, spec)
    return result.value if result is not None and result.status is Status.OK else None


def value_or_why(state: Mapping[str, Any], key: str) -> tuple[dict[str, Any] | None, str | None]:
    """An agent's value (JSON) when its result under `key` is ok; else None and why there is
    none (`did not run`, or its status and reason): for what `baton status` shows."""
    result = state.get(key)
    if not isinstance(result, dict):
        return None, "did not run"
    if result.get("status") != "ok":
        return None, f"{result.get('status')}: {result.get('reason')}"
    value = result.get("value")
    return (value if isinstance(value, dict) else None), None
