"""What `baton status` shows of a contract review case: the result a business reads, a line per fact
(`label → text`), taken from the agents' results; sensitive fields are not shown, and a result
that is not `ok` is shown with its status and reason."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.contract_review.date_rules import left_blank
from agents.spec import value_or_why


def status_lines(state: Mapping[str, Any]) -> dict[str, str]:
    lines: dict[str, str] = {}
    facts, why = value_or_why(state, "extraction")
    if facts is not None:
        parties = [p["value"] for p in facts.get("parties") or []]
        lines["parties"] = "; ".join(parties) or "(none read)"
        law = facts.get("governing_law") or {}
        lines["governing law"] = law.get("value") or "(not read)"
        for name in ("effective_date", "expiration_date"):
            lines[name.replace("_", " ")] = _date_line(facts.get(name) or {})
    else:
        lines["extraction"] = f"({why})"
    clauses, why = value_or_why(state, "clause_analysis")
    if clauses is not None:
        present = [f["category"] for f in clauses.get("findings", []) if f.get("present")]
        lines["clauses"] = f"{len(present)} found: " + ", ".join(present)
    else:
        lines["clauses"] = f"({why})"
    risk, why = value_or_why(state, "risk")
    lines["risk"] = (
        f"{risk['band']} (score {risk['score']}): "
        + ", ".join(p["rule"] for p in risk.get("points", []))
        if risk is not None
        else f"({why})"
    )
    return lines


def _date_line(found: Mapping[str, Any]) -> str:
    """A date as written, with what it came to: the date computed from a rule, no fixed end, or
    a date that cannot be known (left blank, or a rule from an undated event)."""
    value, kind, on = found.get("value"), found.get("kind", "stated"), found.get("on")
    if not value:
        return "(not read)"
    if kind == "computed" and on:
        return f"{value} → {on}"
    if kind == "perpetual":
        return f"{value} (no fixed end)"
    if on is None and left_blank(value):
        return f"{value} (left blank: no date)"
    if kind == "rule":
        return f"{value} (no date computed from it)"
    return str(value)
