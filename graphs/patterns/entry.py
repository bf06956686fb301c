"""The entry node the patterns share: checks the workflow input and who may run the thread."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.graph import START, StateGraph
from langgraph.types import TracePolicy
from pydantic import BaseModel

from graphs.access import OWNER_KEY, principal_of, require_starter
from graphs.contracts import validate_contract

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
    def receive(state: Mapping[str, Any], config: RunnableConfig) -> dict[str, Any]:
        principal = principal_of(config)
        require_starter(principal, state.get(OWNER_KEY))
        if input_contract is not None:
            fields = {k: state[k] for k in input_contract.model_fields if k in state}
            validate_contract(input_contract, fields, where="workflow input")
        if principal is not None and state.get(OWNER_KEY) is None:
            return {OWNER_KEY: principal.identity}
        return {}

    return receive
