"""The reviewer-facing summary, written from the other stages' outputs: every point cites the spans
of the contract it rests on (the evaluator checks the citations against the text)."""

from __future__ import annotations

from agents.contract_review.date_rules import left_blank
from agents.spec import AgentContext
from schemas.contract_review import (
    Cited,
    ClauseCategory,
    ContractFacts,
    ContractSummary,
    Span,
    SummaryInput,
)

NOTABLE = (
    ClauseCategory.UNCAPPED_LIABILITY,
    ClauseCategory.CAP_ON_LIABILITY,
    ClauseCategory.NON_COMPETE,
    ClauseCategory.EXCLUSIVITY,
    ClauseCategory.CHANGE_OF_CONTROL,
    ClauseCategory.ANTI_ASSIGNMENT,
    ClauseCategory.TERMINATION_FOR_CONVENIENCE,
    ClauseCategory.IP_OWNERSHIP_ASSIGNMENT,
    ClauseCategory.LIQUIDATED_DAMAGES,
    ClauseCategory.MOST_FAVORED_NATION,
)
"""Clauses a reviewer looks for first; the summary says whether each is there."""


def summarise(payload: SummaryInput, context: AgentContext) -> ContractSummary:
    """A headline (parties, band, score) and points on the term, the law, each risk rule that
    applied and the notable clauses, each citing the contract."""
    facts, clauses, risk = payload.facts, payload.clauses, payload.risk
    spans = {finding.category: finding.spans for finding in clauses.findings if finding.present}
    parties = " and ".join(party.value for party in facts.parties[:3]) or "parties not identified"
    title = payload.title or payload.contract_id
    headline = (
        f"{title}: {risk.band} risk (score {risk.score:g} under {risk.policy}), between {parties}"
    )
    points = [
        Cited(text=f"Parties: {parties}.", cites=[party.span for party in facts.parties[:3]]),
        _term(facts),
    ]
    if facts.governing_law is not None:
        points.append(
            Cited(
                text=f"Governed by the law of {facts.governing_law.value}.",
                cites=[facts.governing_law.span],
            )
        )
    for point in risk.points:
        cites = [spans[c][0] for c in point.because if c in spans]
        points.append(
            Cited(
                text=f"Risk +{point.weight:g} ({point.rule}): {point.description}",
                cites=cites,
            )
        )
    found = [c.value for c in NOTABLE if c in spans]
    missing = [c.value for c in NOTABLE if c not in spans]
    points.append(
        Cited(
            text=f"Notable clauses found: {', '.join(found) or 'none'}; not found: "
            f"{', '.join(missing) or 'none'}.",
            cites=[spans[c][0] for c in NOTABLE if c in spans],
        )
    )
    return ContractSummary(headline=headline, points=[p for p in points if p.text])


def _term(facts: ContractFacts) -> Cited:
    start = facts.effective_date or facts.agreement_date
    end = facts.expiration_date
    renewal, notice = facts.renewal_term, facts.notice_period
    cites: list[Span] = [value.span for value in (start, end) if value is not None]
    text = f"Term: from {start.value if start else 'an unstated date'}"
    if end is None:
        text += ", with no expiration date stated"
    elif end.kind == "computed" and end.on is not None and end.rule is not None:
        text += f" to {end.on.isoformat()} ({end.value}; {end.rule.anchor} taken as "
        text += f"{end.rule.anchor_on})"
    elif end.kind == "perpetual":
        text += f", with no fixed end ({end.value})"
    elif end.on is None and left_blank(end.value):
        text += f", its end left blank to be filled in ({end.value})"
    else:
        text += f" to {end.value}"
    if renewal is not None:
        text += f"; renews: {renewal.value}"
        cites.append(renewal.span)
    if notice is not None:
        text += f"; notice: {notice.value}"
        cites.append(notice.span)
    return Cited(text=text + ".", cites=cites)
