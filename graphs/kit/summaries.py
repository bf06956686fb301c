"""What `baton status` shows of a case, per workflow: the result a business reads, taken from the
agents' results in the thread's state (a line per fact, `label → text`). Sensitive fields are not
shown; a result that is not `ok` is shown with its status and reason."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Summary = Callable[[Mapping[str, Any]], dict[str, str]]


def _value(state: Mapping[str, Any], key: str) -> tuple[dict[str, Any] | None, str | None]:
    """An agent's value when its result is ok; else why there is none."""
    result = state.get(key)
    if not isinstance(result, dict):
        return None, "did not run"
    if result.get("status") != "ok":
        return None, f"{result.get('status')}: {result.get('reason')}"
    value = result.get("value")
    return (value if isinstance(value, dict) else None), None


def underwriting(state: Mapping[str, Any]) -> dict[str, str]:
    lines: dict[str, str] = {}
    facts, why = _value(state, "intake")
    if facts is not None:
        lines["applicant"] = (
            f"{facts.get('applicant_name') or '(not read)'} · {facts.get('business_class')} in "
            f"{facts.get('state')}"
        )
    else:
        lines["applicant"] = f"(intake {why})"
    risk, why = _value(state, "risk")
    lines["risk"] = (
        f"{risk['band']} (score {risk['score']}): "
        + ", ".join(f"{f['name']} {f['points']:+d}" for f in risk.get("factors", []))
        if risk is not None
        else f"(risk {why})"
    )
    quote, why = _value(state, "quote")
    lines["quote"] = (
        f"{quote['annual_premium']:,.2f} {quote.get('currency', '')} a year, limit "
        f"{quote['limit']:,.0f}, deductible {quote['deductible']:,.0f}"
        if quote is not None
        else f"(quote {why})"
    )
    compliance, why = _value(state, "compliance")
    if compliance is None:
        lines["compliance"] = f"({why})"
    else:
        hits = [
            f"{hit.get('screened_name')} ~ {hit.get('listed_name')} ({hit.get('program')})"
            for hit in compliance.get("sanctions_hits") or []
        ]
        lines["compliance"] = "; ".join(
            [
                f"{len(compliance.get('screened_names') or [])} name(s) screened, "
                + (f"sanctions hits: {', '.join(hits)}" if hits else "no sanctions hit"),
                "eligible"
                if compliance.get("state_eligible")
                else "not eligible: " + str(compliance.get("eligibility_note")),
                *(
                    [f"missing {', '.join(compliance['missing_documents'])}"]
                    if compliance.get("missing_documents")
                    else []
                ),
            ]
        )
    return lines


def contract_review(state: Mapping[str, Any]) -> dict[str, str]:
    lines: dict[str, str] = {}
    facts, why = _value(state, "extraction")
    if facts is not None:
        parties = [p["value"] for p in facts.get("parties") or []]
        lines["parties"] = "; ".join(parties) or "(none read)"
        law = facts.get("governing_law") or {}
        lines["governing law"] = law.get("value") or "(not read)"
        for name in ("effective_date", "expiration_date"):
            found = facts.get(name) or {}
            lines[name.replace("_", " ")] = found.get("value") or "(not read)"
    else:
        lines["extraction"] = f"({why})"
    clauses, why = _value(state, "clause_analysis")
    if clauses is not None:
        present = [f["category"] for f in clauses.get("findings", []) if f.get("present")]
        lines["clauses"] = f"{len(present)} found: " + ", ".join(present)
    else:
        lines["clauses"] = f"({why})"
    risk, why = _value(state, "risk")
    lines["risk"] = (
        f"{risk['band']} (score {risk['score']}): "
        + ", ".join(p["rule"] for p in risk.get("points", []))
        if risk is not None
        else f"({why})"
    )
    return lines


def support_triage(state: Mapping[str, Any]) -> dict[str, str]:
    route, why = _value(state, "routing")
    if route is None:
        return {"route": f"({why})"}
    confidence = route.get("confidence")
    shown = f", confidence {confidence:.2f}" if isinstance(confidence, float) else ""
    return {
        "intent": str(route["intent"]),
        "route": f"{route['team']} → {route['queue']} (decided by {route['decided_by']}{shown})",
    }
