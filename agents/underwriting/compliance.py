"""Compliance: sanctions screening (fuzzy names), state eligibility by class, required documents."""

from __future__ import annotations

from datetime import date

from agents.spec import AgentContext
from agents.underwriting.names import name_similarity
from agents.underwriting.reference_data import eligibility, sanctions_list
from schemas.result import Outcome
from schemas.underwriting import ComplianceInput, ComplianceReport, DocumentKind, SanctionsHit

SANCTIONS_MATCH_SCORE = 88.0
"""Name similarity (0-100) at or above which a screened name is reported as a possible hit."""


def screen(names: list[str]) -> list[SanctionsHit]:
    """Every listed party that a screened name resembles closely enough to need a person's look."""
    hits: list[SanctionsHit] = []
    for screened in names:
        for entry in sanctions_list():
            score = name_similarity(screened, entry["name"])
            if score >= SANCTIONS_MATCH_SCORE:
                hits.append(
                    SanctionsHit(
                        screened_name=screened,
                        listed_name=entry["name"],
                        program=entry["program"],
                        score=round(score, 1),
                    )
                )
    return hits


def required_documents(payload: ComplianceInput, today: date) -> list[DocumentKind]:
    rules = eligibility()["required_documents"]
    required: list[DocumentKind] = list(rules["always"])
    when = rules["inspection_when"]
    old = (
        payload.year_built is not None
        and today.year - payload.year_built >= when["building_age_at_least"]
    )
    large = (
        payload.requested_limit is not None and payload.requested_limit >= when["limit_at_least"]
    )
    if old or large:
        required.append("inspection")
    return required


def check_compliance(
    payload: ComplianceInput, _context: AgentContext
) -> ComplianceReport | Outcome:
    """Deterministic compliance checks against the shipped lists and tables."""
    rules = eligibility()
    named = [payload.applicant_name, payload.broker, *payload.other_names]
    names = list(dict.fromkeys(name for name in named if name))
    if not names:
        return Outcome.escalated("the submission names no applicant or broker to screen")
    if payload.business_class in rules["not_written"]:
        eligible, note = False, f"class {payload.business_class} is not written in any state"
    elif payload.state in rules["excluded_states"].get(payload.business_class, []):
        eligible, note = False, f"class {payload.business_class} is not written in {payload.state}"
    else:
        eligible, note = True, f"class {payload.business_class} is written in {payload.state}"
    required = required_documents(payload, payload.effective_date or date.today())
    return ComplianceReport(
        screened_names=names,
        sanctions_hits=screen(names),
        state_eligible=eligible,
        eligibility_note=note,
        required_documents=required,
        missing_documents=[kind for kind in required if kind not in payload.documents_present],
    )
