"""What `baton status` shows of a late-delivery investigation: the finding, how sure, and how the
debate ended."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.spec import value_or_why


def status_lines(state: Mapping[str, Any]) -> dict[str, str]:
    debate = state.get("debate") or {}
    ending = debate.get("ending") or {}
    lines = {
        "debate": f"{debate.get('rounds', 0)} round(s), {debate.get('posts', 0)} post(s)"
        + (f"; ended by {ending['rule']}: {ending.get('reason')}" if ending.get("rule") else ""),
    }
    decided = state.get("decision") or {}
    found, why = value_or_why(state, "finding")
    amended = decided.get("finding") and decided["finding"] != found
    finding: dict[str, Any] | None = decided["finding"] if amended else found
    if finding is None:
        return {**lines, "finding": f"({why})"}
    named = (
        "no single cause"
        if finding["dimension"] == "none"
        else f"{finding['dimension']} = {finding.get('value')}"
    )
    effect = finding.get("effect") or {}
    shown = (
        f"; explains {effect['estimate'] * 100:+.1f} points "
        f"[{effect['ci_low'] * 100:+.1f}, {effect['ci_high'] * 100:+.1f}]"
        if effect
        else ""
    )
    settled = "settled" if finding.get("settled") else "not settled"
    if amended:
        settled = f"as decided by {decided.get('decided_by')}"
    return {
        **lines,
        "finding": f"{named} ({settled}, confidence {finding['confidence']:.2f}){shown}",
    }
