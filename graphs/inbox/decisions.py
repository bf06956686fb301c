"""How the inbox decides a case: the decision checked here first (the amendment against the
workflow's amendment contract, field by field), then sent to the server's own API as the
reviewer, so every rule the server and the graph apply to a resume applies to it too (roles,
one's own case, the packet still shown, a second reviewer, the workflow's refusals)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import TypeAdapter, ValidationError

from graphs.kit.inputs import check_json_text
from schemas.review import PACKET_REF, ReviewAction

ACTIONS = tuple(action.value for action in ReviewAction)


@dataclass
class DecisionProblem(Exception):
    """A decision the inbox or the server refused: the HTTP status, a message, and the fields it
    is about (`{field: message}`, shown next to each)."""

    status: int
    message: str
    fields: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"detail": self.message, "fields": self.fields}


def checked_decision(
    given: dict[str, Any], gate: dict[str, Any], contracts: dict[str, type[Any]], reviewer: str
) -> dict[str, Any]:
    """The review decision to send for `given` ({action, note, corrections, packet}) at `gate`
    (a case detail's gate): DecisionProblem (422) naming each field that is wrong."""
    problems: dict[str, str] = {}
    action = given.get("action")
    if action not in ACTIONS:
        problems["action"] = f"choose one of {', '.join(ACTIONS)}"
    packet = given.get("packet")
    if not isinstance(packet, str) or not packet:
        problems["packet"] = "name the packet you decided on (its packet_hash)"
    elif re.fullmatch(PACKET_REF, packet) is None:
        problems["packet"] = "a packet hash is 12 to 64 lowercase hex characters"
    note = given.get("note")
    if note is not None and not isinstance(note, str):
        problems["note"] = "a note is text"
    corrections = _corrections(given.get("corrections"), gate, contracts, problems)
    if (
        action == "amend"
        and not corrections
        and not any(k.startswith("corrections") for k in problems)
    ):
        problems["corrections"] = "an amendment changes at least one field"
    if action != "amend" and corrections:
        problems["corrections"] = "corrections are only taken with amend"
    if problems:
        raise DecisionProblem(422, "the decision is not valid", problems)
    decision: dict[str, Any] = {"action": action, "reviewer": reviewer, "packet": packet}
    if note and note.strip():
        decision["note"] = note.strip()
    if corrections:
        decision["corrections"] = corrections
    try:
        check_json_text(decision, where="decision")
    except ValueError as error:
        raise DecisionProblem(422, str(error)) from None
    return decision


def _corrections(
    given: Any,
    gate: dict[str, Any],
    contracts: dict[str, type[Any]],
    problems: dict[str, str],
) -> dict[str, Any]:
    """The corrections, each validated against its field's type in the amendment contract (text
    from a form is read as the type asks: "900000" for a number); blanks are left out."""
    if given is None:
        return {}
    if not isinstance(given, dict):
        problems["corrections"] = "corrections are an object of field → value"
        return {}
    amendable = {spec["name"]: spec for spec in gate.get("amendment") or []}
    checked: dict[str, Any] = {}
    for name, value in given.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        spec = amendable.get(name)
        if spec is None:
            listed = ", ".join(amendable) or "none"
            problems[f"corrections.{name}"] = f"{name} cannot be amended here (amendable: {listed})"
            continue
        annotation = contracts[spec["agent"]].model_fields[name].annotation
        try:
            checked[name] = TypeAdapter(annotation).validate_python(
                value.strip() if isinstance(value, str) else value
            )
        except ValidationError as error:
            problems[f"corrections.{name}"] = "; ".join(
                str(item["msg"]) for item in error.errors(include_url=False)
            )
            continue
        allowed = spec["schema"].get("enum")
        if allowed is not None and checked[name] not in allowed:
            problems[f"corrections.{name}"] = (
                f"{checked[name]!r} is not one of the {len(allowed)} values offered"
            )
    return TypeAdapter(dict[str, Any]).dump_python(checked, mode="json")


async def send_decision(
    server: str, api_key: str | None, thread_id: str, workflow: str, interrupt_id: str,
    decision: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """Resume the case on the server at `server` as the key's holder; the run's result, or
    DecisionProblem with the server's status and reason (a stale packet is a 409)."""
    headers = {"x-api-key": api_key} if api_key else {}
    body = {"assistant_id": workflow, "command": {"resume": {interrupt_id: decision}}}
    try:
        # The loopback call goes to this very server's own socket: its certificate (if it serves
        # TLS) names the public host, not 127.0.0.1, so it is not checked here.
        async with httpx.AsyncClient(
            base_url=server, timeout=DECISION_TIMEOUT, verify=False
        ) as client:
            response = await client.post(
                f"/threads/{thread_id}/runs/wait", json=body, headers=headers
            )
    except httpx.HTTPError as error:
        raise DecisionProblem(
            503,
            f"the decision was sent but the run did not answer ({type(error).__name__}): it may "
            "still be running; reload the case in a moment",
        ) from None
    if response.status_code < 300:
        result: Any = response.json() if response.content else {}
        if isinstance(result, dict) and result.get("__error__"):
            failure = result["__error__"]
            raise DecisionProblem(
                409,
                "the decision was taken, but the run stopped after it: "
                f"{failure.get('error') if isinstance(failure, dict) else failure}: "
                f"{failure.get('message') if isinstance(failure, dict) else ''} "
                "(an operator sees it with baton status and continues it)",
            )
        return result if isinstance(result, dict) else {"result": result}
    detail = _readable(_detail(response))
    raise DecisionProblem(response.status_code, detail, _fields_named(detail, decision))


DECISION_TIMEOUT = 300
"""Seconds the inbox waits for the run a decision resumes (a model may take its time)."""


def _readable(detail: str) -> str:
    """The server's refusal as a reviewer reads it: without the protocol's field paths and the
    command line's option names."""
    detail = re.sub(r"^command\.resume(\.[\w-]+)*: ", "", detail)
    detail = detail.removeprefix("the review gate refused the answer: ")
    detail = detail.replace(" (GET /threads/{thread_id}/state: its interrupts show the packet)", "")
    return re.sub(r"--(note|amend|reject|refer|approve)\b", r"\1", detail)


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or f"the server answered {response.status_code}"
    if isinstance(body, dict) and body.get("detail"):
        return str(body["detail"])
    return str(body)[:500]


def _fields_named(detail: str, decision: dict[str, Any]) -> dict[str, str]:
    """The decision's fields a server's refusal is about: the packet when it is stale, a
    correction it names, else none (the message is shown above the form)."""
    if "stale packet" in detail:
        return {"packet": detail}
    named = {
        f"corrections.{name}": detail
        for name in decision.get("corrections") or {}
        if name in detail
    }
    if not named and "note" in detail and decision.get("action") != "reject":
        return {"note": detail}
    if not named and decision.get("action") == "amend":
        return {"corrections": detail}
    return named
