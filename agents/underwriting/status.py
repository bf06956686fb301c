"""What `baton status` shows of a underwriting case: the result a business reads, a line per fact
(`label → text`), taken from the agents' results; sensitive fields are not shown, and a result
that is not `ok` is shown with its status and reason."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.spec import value_or_why


def status_lines(state: Mapping[str, Any]) -> dict[str, str]:
    lines: dict[str, str] = {}
    facts, why = value_or_why(state, "intake")
    if facts is not None:
        lines["applicant"] = (
            f"{facts.get('applicant_name') or '(not read)'} · {facts.get('business_class')} in "
            f"{facts.get('state')}"
        )
    else:
        lines["applicant"] = f"(intake {why})"
    risk, why = value_or_why(state, "risk")
    lines["risk"] = (
        f"{risk['band']} (score {risk['score']}): "
        + ", ".join(f"{f['name']} {f['points']:+d}" for f in risk.get("factors", []))
        if risk is not None
        else f"(risk {why})"
    )
    quote, why = value_or_why(state, "quote")
    lines["quote"] = (
        f"{quote['annual_premium']:,.2f} {quote.get('currency', '')} a year, limit "
        f"{quote['limit']:,.0f}, deductible {quote['deductible']:,.0f}"
        if quote is not None
        else f"(quote {why})"
    )
    compliance, why = value_or_why(state, "compliance")
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
