"""The audit trail: every event of the trace store as records an auditor can keep (JSON Lines).

Nothing is left out: every event of the window is a record, in the order it was recorded, with
its data whole. Each record also says whether it is a person's action and, for those, who acted,
how that was established and why, in the same fields whatever the kind:

- a review decision (and a first decision waiting for a second reviewer): the reviewer, their
  note;
- a refused review answer: who sent it and why it was refused;
- a rollback, and a rollback with a corrected input (an input correction): `--by`/`--reason`;
- a change to a thread's history through a server: the identity of the key, `x-baton-reason`;
- a prune: `--by`/`--reason`;
- a policy change in force: the policy's owner (the file names them), its new and old version.

Sensitive fields (marked in any registered contract) are redacted again on the way out: the
trace redacts them when it writes, and an export must not depend on that alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from checkpoints.trace_store import TraceStore
from graphs.kit.redaction import redact, registered_sensitive_fields
from schemas.trace import EventKind

HUMAN_ACTIONS = frozenset(
    {
        EventKind.REVIEW_DECISION,
        EventKind.REVIEW_REFUSED,
        EventKind.ROLLBACK,
        EventKind.STATE_CHANGE,
        EventKind.PRUNE,
        EventKind.POLICY_IN_FORCE,
    }
)
"""The event kinds that record what a person did (an input correction is a rollback's)."""


def audit_records(
    database_url: str,
    since: datetime | None = None,
    workflow: str | None = None,
    *,
    actions_only: bool = False,
) -> Iterator[dict[str, Any]]:
    """The trace store's events (from `since`, of one workflow's threads) as audit records,
    oldest first, streamed; with `actions_only`, the people's actions alone."""
    hidden = registered_sensitive_fields()
    for row in TraceStore(database_url).stream(since, workflow):
        if actions_only and _kind(row["kind"]) not in HUMAN_ACTIONS:
            continue
        yield audit_record(row, hidden)


def _kind(stored: str) -> EventKind | None:
    """The event's kind; None for one this version does not know (a newer Baton wrote it)."""
    try:
        return EventKind(stored)
    except ValueError:
        return None


def audit_record(row: dict[str, Any], hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    """One stored event as an audit record: where and when, what, and for a person's action who,
    how they were identified and why. A kind this version does not know is kept as it is."""
    kind = _kind(str(row["kind"]))
    action, who, identified_by, why = _actor(kind, row["data"]) if kind else (None,) * 4
    return {
        "seq": row["seq"],
        "at": row["at"].isoformat(),
        "workflow": row.get("workflow"),
        "thread_id": row["thread_id"],
        "kind": str(row["kind"]),
        "node": row["node"],
        "agent": row["agent"],
        "run_id": row["run_id"],
        "human_action": action,
        "who": who,
        "identified_by": identified_by,
        "why": why,
        "data": redact(row["data"], hidden),
    }


def _actor(kind: EventKind, data: dict[str, Any]) -> tuple[str | None, Any, Any, Any]:
    """(the action in words, who, how they were identified, why) of a person's action; Nones
    for what the system did."""
    if kind is EventKind.REVIEW_DECISION:
        waiting = data.get("awaiting_second_review")
        if waiting:
            first = waiting.get("first") or {}
            return (
                "first review (awaits a second reviewer)",
                first.get("reviewer"),
                first.get("identified_by"),
                first.get("note"),
            )
        decision = data.get("decision") or {}
        if data.get("automated"):  # a rule in auto decided: the policy's action, not a person's
            return (
                None,
                decision.get("reviewer"),
                decision.get("identified_by"),
                decision.get("note"),
            )
        return (
            f"review decision: {decision.get('action')}",
            decision.get("reviewer"),
            decision.get("identified_by"),
            decision.get("note"),
        )
    if kind is EventKind.REVIEW_REFUSED:
        return (
            "review answer refused",
            data.get("by"),
            data.get("identified_by"),
            data.get("reason"),
        )
    if kind is EventKind.ROLLBACK:
        action = "input correction" if data.get("corrected_input") is not None else "rollback"
        return action, data.get("by"), data.get("identified_by"), data.get("reason")
    if kind is EventKind.STATE_CHANGE:
        return (
            f"history change: {data.get('via')}",
            data.get("by"),
            data.get("identified_by"),
            data.get("reason"),
        )
    if kind is EventKind.PRUNE:
        return "prune", data.get("by"), data.get("identified_by"), data.get("reason")
    if kind is EventKind.POLICY_IN_FORCE:
        policy = data.get("policy") or {}
        previous = data.get("previous") or "none recorded"
        return (
            "policy change in force",
            policy.get("owner"),
            "policy file owner",
            f"policy {data.get('version')} replaces {previous}",
        )
    return None, None, None, None
