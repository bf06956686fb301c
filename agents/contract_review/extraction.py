"""Extraction, the deterministic way: the contract's key terms read by patterns, each with the
span of the text it was read from.

Every finder returns its candidates best first. A first attempt takes the best, with periods
written plainly ("30 days" for "thirty (30) days"); a second attempt reads the evaluator's
feedback (`"expiration_date: 2014-12-31 is not after effective_date 2015-01-01"`) and, for each
field it names, moves past the rejected candidate or looks wider (the signature block for
parties, the signatures and first page for the agreement date); on any retry, a value that is
not found as such in its span is given in the contract's own wording. An expiration stated as a
rule ("five (5) years following the Effective Date") gets the date it comes to when its anchor's
date was read (kind "computed"). A field with no candidate stays empty: nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from agents.contract_review.contract_text import ContractText
from agents.contract_review.date_rules import with_computed_end
from agents.contract_review.expiration import expiration_dates
from agents.contract_review.governing_law import governing_laws
from agents.contract_review.parties import find_parties
from agents.contract_review.renewal import notice_periods, renewal_terms
from agents.contract_review.spans import tidy
from agents.contract_review.start_dates import agreement_dates, effective_dates
from agents.spec import AgentContext
from schemas.contract_review import FACT_FIELDS, ContractFacts, Extracted, ExtractedDate, StageInput
from schemas.result import Outcome

Candidate = TypeVar("Candidate", Extracted, ExtractedDate)

_PROBLEM = re.compile(r"^\s*(?P<field>[a-z_]+)(?:\[\d+\])?\s*:\s*(?P<problem>.+)$", re.DOTALL)
_MISSING = re.compile(r"not found|neither|fewer than|\d+ found|no \w+ (?:was|were) found", re.I)
_NOT_AFTER = "is not after"
_FIRST_AGREEMENT = re.compile(
    r"\bthis\s+(?:[\w-]+\s+){0,8}?(?:agreement|contract|amendment|addendum)\b", re.IGNORECASE
)


def problems_by_field(feedback: Sequence[str]) -> dict[str, list[str]]:
    """The evaluator's problems grouped by the field they name ("parties[1]: ..." is about
    parties); problems naming no known field are dropped."""
    grouped: dict[str, list[str]] = {}
    for line in feedback:
        match = _PROBLEM.match(line)
        if match and match.group("field") in FACT_FIELDS:
            grouped.setdefault(match.group("field"), []).append(match.group("problem"))
    return grouped


def _mentions(candidate: Extracted, problems: str) -> bool:
    said = [candidate.value, candidate.span.text]
    if isinstance(candidate, ExtractedDate) and candidate.on is not None:
        said.append(candidate.on.isoformat())
    return any(text and text in problems for text in said)


def is_missing(problems: Sequence[str]) -> bool:
    """Whether the evaluator says the field was not found (so a wider search, not another
    candidate, is the answer)."""
    return any(_MISSING.search(problem) for problem in problems)


def choose(candidates: Sequence[Candidate], problems: Sequence[str]) -> Candidate | None:
    """The best candidate, or, when the evaluator found problems with this field, the best one
    it did not reject: the contract's own wording when the tidied value was not in the span,
    else the next candidate not named in the problems (the same one when there is no other).
    A field reported missing takes the best of the (wider) candidates."""
    if not candidates:
        return None
    first = candidates[0]
    if not problems or is_missing(problems):
        return first
    said = " ".join(problems)
    if "does not contain the value" in said:
        wording = tidy(first.span.text)
        if wording != first.value:
            return first.model_copy(update={"value": wording})
    rejected = [candidate for candidate in candidates if _mentions(candidate, said)] or [first]
    others = [candidate for candidate in candidates if candidate not in rejected]
    return others[0] if others else first


def _expiration(
    candidates: Sequence[ExtractedDate], start: ExtractedDate | None, problems: Sequence[str]
) -> ExtractedDate | None:
    """The expiration; when the evaluator found it was not after the start, the best candidate
    that can end a term beginning then: a rule, or a later date."""
    if start is None or start.on is None or not any(_NOT_AFTER in p for p in problems):
        return choose(candidates, problems)
    later = [c for c in candidates if c.on is None or c.on > start.on]
    return later[0] if later else choose(candidates, problems)


def _as_worded(value: Extracted | None) -> Extracted | None:
    """`value` with the contract's own wording as its value when the tidied value ("30 days")
    is not found in its span ("thirty (30) days")."""
    if value is None or value.value.lower() in tidy(value.span.text).lower():
        return value
    return value.model_copy(update={"value": tidy(value.span.text)})


def _anchors(content: str, parties: Sequence[Extracted]) -> list[int]:
    """Where the preamble may be: where the first party is named, where "This ... Agreement"
    first appears, else the start."""
    anchors = [parties[0].span.start] if parties else []
    first = _FIRST_AGREEMENT.search(content)
    if first and first.start() not in anchors:
        anchors.append(first.start())
    return anchors or [0]


def extract_facts(payload: StageInput, context: AgentContext) -> ContractFacts | Outcome:
    """The parties, dates, renewal, notice period and governing law of the contract in
    `payload.content`, each with its source span; feedback from a previous attempt steers the
    choice between candidates (see the module docstring)."""
    content = payload.content
    problems = problems_by_field(payload.feedback)
    text = ContractText(content)

    parties = find_parties(content, widen="parties" in problems)
    anchors = _anchors(content, parties)
    agreement = choose(
        agreement_dates(text, anchors, widen="agreement_date" in problems),
        problems.get("agreement_date", []),
    )
    effective = choose(
        effective_dates(text, anchors, agreement), problems.get("effective_date", [])
    )
    expiration = _expiration(
        [with_computed_end(end, effective, agreement) for end in expiration_dates(text)],
        effective or agreement,
        problems.get("expiration_date", []),
    )
    renewal = choose(renewal_terms(text), problems.get("renewal_term", []))
    notice = choose(notice_periods(text, renewal), problems.get("notice_period", []))
    law = choose(governing_laws(text), problems.get("governing_law", []))
    if payload.feedback:
        # The evaluator checks that each value is in its span, and its feedback names only the
        # last attempt's problems: a retry keeps the contract's wording for every such value,
        # so that fixing one field does not bring back a problem fixed the time before.
        renewal, notice, law = _as_worded(renewal), _as_worded(notice), _as_worded(law)

    facts = ContractFacts(
        parties=parties,
        agreement_date=agreement,
        effective_date=effective,
        expiration_date=expiration,
        renewal_term=renewal,
        notice_period=notice,
        governing_law=law,
    )
    if not parties and all(getattr(facts, name) is None for name in FACT_FIELDS[1:]):
        return Outcome.empty(
            "no party, date, term, renewal, notice period or governing law is stated in a form "
            "the rules recognise"
        )
    return facts
