"""The entry node the patterns share: checks the workflow input and who may run the thread."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.graph import START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import TracePolicy
from pydantic import BaseModel

from checkpoints.ledger import SideEffectLedger
from graphs.kit.access import OWNER_KEY, principal_of, require_starter
from graphs.kit.context import BatonContext, resolved_database_url
from graphs.kit.contracts import validate_contract
from graphs.kit.errors import RequestError

RECEIVE = "receive"
"""The pattern's entry node: checks the workflow input and who may run it."""


def add_receive(builder: StateGraph, input_contract: type[BaseModel] | None) -> None:
    """Add START → `receive`: the input contract (when given) is validated when a run starts (a
    run whose input breaks it is refused, every broken field named), and the thread's owner is
    enforced and recorded."""
    builder.add_node(
        RECEIVE,
        cast(Any, _receive(input_contract)),
        trace_policy=TracePolicy(process_inputs=lambda _: {}),  # the input is traced at the root
    )
    builder.add_edge(START, RECEIVE)


def _receive(input_contract: type[BaseModel] | None) -> Callable[..., dict[str, Any]]:
    inputs = set(input_contract.model_fields) if input_contract is not None else set()

    def receive(
        state: Mapping[str, Any], config: RunnableConfig, runtime: Runtime[BatonContext]
    ) -> dict[str, Any]:
        principal = principal_of(config)
        require_starter(principal, state.get(OWNER_KEY))
        update: dict[str, Any] = {}
        if input_contract is not None:
            fields = {k: state[k] for k in inputs if k in state}
            require_same_case(fields, config, runtime)
            case = validate_contract(input_contract, fields, where="workflow input")
            # Defaults the caller left out (a date that is today unless given) are written once,
            # here, so every agent and every later run reads the same value.
            given = case.model_dump(mode="json")
            update = {k: v for k, v in given.items() if k not in fields and v is not None}
        if principal is not None and state.get(OWNER_KEY) is None:
            update[OWNER_KEY] = principal.identity
        return update

    return receive


CASE_INPUT_KIND = "case_input"
"""Ledger kind of the digest of the input a thread's case started from."""


def require_same_case(
    fields: Mapping[str, Any], config: RunnableConfig, runtime: Runtime[BatonContext]
) -> None:
    """RequestError when a thread that holds a case is given another input: LangGraph would
    write it over the submission, under the agents' results, and the workflow would decide on a
    case its agents never read. The first input's digest is kept in the ledger."""
    thread_id = (config.get("configurable") or {}).get("thread_id")
    if thread_id is None:
        return
    digest = hashlib.sha256(
        json.dumps(fields, sort_keys=True, default=str).encode("utf-8", "surrogatepass")
    ).hexdigest()
    kept = SideEffectLedger(resolved_database_url(runtime)).record_once(
        f"{CASE_INPUT_KIND}:{thread_id}",
        thread_id=str(thread_id),
        kind=CASE_INPUT_KIND,
        payload={"digest": digest},
    )
    if kept.payload.get("digest") != digest:
        raise RequestError(
            f"thread {thread_id!r} already holds another case: a new input goes to a new "
            "thread; no agent ran on it"
        )
