"""Asking a chat model for an answer in a pydantic schema, with one retry on a broken answer."""

from __future__ import annotations

from typing import Any, TypeVar

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from pydantic import BaseModel, ValidationError

from agents.models import Role
from agents.spec import AgentContext
from schemas.result import ErrorKind, Outcome

MAX_TRIES = 2
"""The first answer and one retry with the validation errors fed back."""

A = TypeVar("A", bound=BaseModel)


async def ask_structured(
    context: AgentContext, role: Role, schema: type[A], messages: list[BaseMessage]
) -> A | Outcome:
    """The model's answer in `schema`, with one retry on a broken answer (the errors fed back);
    a failed `Outcome` after that. API errors are not caught (the node's retry policy decides)."""
    # Function calling with the raw answer kept: a schema violation comes back as a parsing error
    # (not an exception), so the model run ends normally and its tokens are counted.
    model = context.chat_model(role).with_structured_output(
        schema, method="function_calling", include_raw=True
    )
    problem = ""
    for _ in range(MAX_TRIES):
        answer: dict[str, Any] = await model.ainvoke(messages)  # type: ignore[assignment]
        parsed = answer.get("parsed")
        if isinstance(parsed, schema):
            return parsed
        error = answer.get("parsing_error")
        problem = (
            validation_errors(error) if isinstance(error, ValidationError) else str(error or "")
        )
        problem = problem or "no structured answer"
        messages = [*messages, *_retry_messages(answer.get("raw"), problem)]
    return Outcome.failed(
        f"the model's answer broke the schema {MAX_TRIES} times: {problem}",
        ErrorKind.CONTRACT_VIOLATION,
    )


def _retry_messages(raw: Any, problem: str) -> list[BaseMessage]:
    """The rejected answer and why (a tool call is answered with a tool message, as the API
    requires)."""
    text = f"Your answer breaks the schema: {problem}. Answer again, following the schema."
    if isinstance(raw, AIMessage) and raw.tool_calls:
        return [
            raw,
            *(ToolMessage(text, tool_call_id=call["id"] or "call") for call in raw.tool_calls),
        ]
    if isinstance(raw, AIMessage):
        return [raw, HumanMessage(text)]
    return [HumanMessage(text)]


def validation_errors(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors(include_url=False)
    )
