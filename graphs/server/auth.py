"""The LangGraph server's authentication and authorisation (`langgraph_sdk.Auth`, named in
`langgraph.json`): API keys in the `x-api-key` header, mapped by `graphs.kit.access` to identities and
roles. Secure by default: with no keys file every request is refused, unless `BATON_AUTH=off`.

- submitter: starts runs on threads it creates, and sees only those threads;
- reviewer: answers review gates (runs that resume an interrupt), sees threads waiting for review;
- operator: everything (history, forks and rollbacks through `update_state`, deletes, the store).

Keys are never logged. The graph checks roles again itself (`graphs.kit.access`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from langgraph_sdk import Auth

from graphs.kit.access import (
    BINDING_HEADER,
    DEVELOPER,
    AccessMisconfigured,
    Binding,
    access_settings,
    holder_of,
    user_field,
    user_for,
)

logger = logging.getLogger("baton.auth")
auth = Auth()
OWNER = "owner"
"""Thread metadata key holding the identity that created the thread."""


def _header(headers: Mapping[Any, Any], name: str) -> str | None:
    for key in (name, name.encode()):
        value = headers.get(key)
        if value is not None:
            return value.decode() if isinstance(value, bytes) else str(value)
    return None


@auth.authenticate
async def authenticate(headers: Mapping[Any, Any]) -> dict[str, Any]:
    """The principal for the request's `x-api-key`, sealed for what the request may do (the
    binding the request boundary, `graphs.server.boundary`, put in its headers); 401 without a known
    key."""
    try:
        if access_settings().auth == "off":
            return user_for(DEVELOPER, "operator", sealed=False)
        holder = holder_of(_header(headers, "x-api-key"))
    except AccessMisconfigured as error:
        logger.error("refusing every request: %s", error)
        raise Auth.exceptions.HTTPException(
            status_code=401, detail="the server's API keys are not configured; see its log"
        ) from None
    if holder is None:
        raise Auth.exceptions.HTTPException(
            status_code=401, detail="a valid API key is required in the x-api-key header"
        )
    binding = Binding.parse(_header(headers, BINDING_HEADER))
    return user_for(holder.identity, holder.role, binding=binding)


def _role(ctx: Auth.types.AuthContext) -> str:
    return str(user_field(ctx.user, "role") or "")


def _forbidden(message: str) -> Auth.exceptions.HTTPException:
    return Auth.exceptions.HTTPException(status_code=403, detail=message)


@auth.on.threads.create
async def create_thread(
    ctx: Auth.types.AuthContext, value: Auth.types.ThreadsCreate
) -> Auth.types.HandlerResult:
    if _role(ctx) not in ("submitter", "operator"):
        raise _forbidden("only submitters and operators start cases")
    if value.get("metadata") is None:
        value["metadata"] = {}
    value["metadata"][OWNER] = ctx.user.identity  # in place: the server keeps this dict
    # Asking to create a thread that exists returns it: only when it is the caller's own.
    return True if _role(ctx) == "operator" else {OWNER: ctx.user.identity}


@auth.on.threads.read
async def read_thread(
    ctx: Auth.types.AuthContext, value: Auth.types.ThreadsRead
) -> Auth.types.HandlerResult:
    role = _role(ctx)
    if role in ("operator", "reviewer"):
        return True  # a reviewer must read the case it reviews
    return {OWNER: ctx.user.identity}


@auth.on.threads.search
async def search_threads(
    ctx: Auth.types.AuthContext, value: Auth.types.ThreadsSearch
) -> Auth.types.HandlerResult:
    role = _role(ctx)
    if role == "operator":
        return True
    if role == "reviewer":
        value["status"] = "interrupted"  # the cases waiting for review
        return True
    return {OWNER: ctx.user.identity}


@auth.on.threads.create_run
async def run_on_thread(
    ctx: Auth.types.AuthContext, value: Auth.types.RunsCreate
) -> Auth.types.HandlerResult:
    """Submitters start runs with an input on threads they own; reviewers only answer review
    gates (a command that is exactly `{"resume": …}`); a command that writes state or jumps to a
    node (`update`, `goto`), a run from an earlier checkpoint, and a run that would create its
    thread are for operators."""
    role = _role(ctx)
    if role == "operator":
        return True
    kwargs: Mapping[str, Any] = value.get("kwargs") or {}
    command = kwargs.get("command") or {}
    used = (
        {key for key, item in command.items() if item is not None}
        if isinstance(command, Mapping)
        else {"?"}
    )
    configurable = (kwargs.get("config") or {}).get("configurable") or {}
    if value.get("thread_id") is None or value.get("if_not_exists") == "create":
        raise _forbidden("create the thread first (threads.create): runs cannot create threads")
    if configurable.get("checkpoint_id") or kwargs.get("checkpoint_id"):
        raise _forbidden("only operators run from an earlier checkpoint")
    if used - {"resume"}:
        raise _forbidden(
            f"only operators send commands that {' or '.join(sorted(used - {'resume'}))}"
        )
    if role == "reviewer":
        if used != {"resume"} or kwargs.get("input") is not None:
            raise _forbidden("reviewers may only answer review gates (a run with a resume command)")
        return True
    if used:
        raise _forbidden("only reviewers and operators answer review gates")
    return {OWNER: ctx.user.identity}


@auth.on.threads.update
async def update_thread(ctx: Auth.types.AuthContext, value: Auth.types.ThreadsUpdate) -> None:
    if _role(ctx) != "operator":
        raise _forbidden("only operators change a thread's state (forks, rollbacks)")


@auth.on.threads.delete
async def delete_thread(ctx: Auth.types.AuthContext, value: Auth.types.ThreadsDelete) -> None:
    if _role(ctx) != "operator":
        raise _forbidden("only operators delete threads")


@auth.on.assistants.read
async def read_assistant(ctx: Auth.types.AuthContext, value: Auth.types.AssistantsRead) -> bool:
    return True


@auth.on.assistants.search
async def search_assistants(
    ctx: Auth.types.AuthContext, value: Auth.types.AssistantsSearch
) -> bool:
    return True


@auth.on
async def operators_only(ctx: Auth.types.AuthContext, value: Any) -> bool:
    """Everything not named above (assistant changes, crons, the store): operators only."""
    if _role(ctx) != "operator":
        raise _forbidden(f"{ctx.resource}.{ctx.action} is for operators")
    return True
