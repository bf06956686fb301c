"""When the contract's initial term ends (expiration date).

Candidates come best first, so that a second attempt can move on to the next one. Each says what
kind of end it is: a calendar date the contract states ("stated"); a rule ("five (5) years
following the Effective Date", kind "rule", with its period and anchor read by
`date_rules.read_rule`), whose date extraction computes once the effective and agreement dates
are known (`date_rules.with_computed_end`); a rule whose period is left blank or redacted
("____ (__) years after the Effective Date", "[***] years thereafter": kind "rule" with no
period, for a reviewer to fill in); or no fixed end ("until terminated", "perpetual").
"""

from __future__ import annotations

import re

from agents.contract_review.contract_text import ContractText
from agents.contract_review.date_rules import BLANK_PERIOD, CALENDAR_END, PERPETUAL, read_rule
from agents.contract_review.spans import extracted_date, span_of, starts_word, tidy
from schemas.contract_review import ExtractedDate

_TERM_CLAUSE = re.compile(
    r"(?:initial\s+term|term\s+of\s+(?:this|the)\s+(?:agreement|contract|license)|"
    r"(?:contract|agreement)\s+(?:term|period)\b|[\"\u201c]term[\"\u201d]\s+(?:shall\s+)?mean|"
    r"term\s*:|(?:this|the)\s+(?:[\w-]+\s+){0,2}(?:agreement|contract)\s+(?:commences|begins|"
    r"continues|remains|expires|terminates|(?:shall|will|is)\s+"
    r"(?:\w+\s+){0,3}(?:commence|begin|continue|remain|expire|terminate|end|(?:be\s+)?effective|"
    r"be\s+in\s+(?:full\s+)?(?:force|effect)|be\s+for|have\s+an?\s+(?:initial\s+)?term|"
    r"come\s+into\s+force|extend|entered\s+into\s+for))|(?:shall|will)\s+(?:expire|terminate\s+on|"
    r"(?:continue|remain|be)\s+in\s+(?:full\s+)?(?:force|effect)(?:\s+\w+){0,3}\s+until|"
    r"continue\s+until)|contract\s+end\s*:|term\s+of\s+execution|"
    r"(?:termination|expiration)\s+date\s*:|\n\s*termination\s+date\s{2,})"
)
"""A clause that states how long the contract runs. Matched against the lower-case text."""
_LOOSE_TERM_CLAUSE = re.compile(r"the\s+term\b")
"""Any clause about the term: looked at after those that state it."""
_END_CUE = re.compile(
    r"(?:expire|expires|expiring|expiration|terminate|terminates|terminating|end|ends|ending|"
    r"until|through|thru|to|concluding|up\s+to\s+and\s+including|later\s+than|end\s*:|"
    r"(?:termination|expiration)\s+date\s*:?)"
    r"(?:\s+(?:on|at|the|of|and|including|date|in\s+no\s+event|later|earlier|\(\w{1,3}\)|,))*\s*$",
    re.IGNORECASE,
)
_RULE_TAIL = re.compile(
    r"\s*(?:\([^)]*\)\s*)?(?:anniversary\s+of|from|after|following|of|thereafter|therefrom|"
    r"commencing|beginning|starting|subsequent\s+to)\b"
    r"(?:(?!\s+(?:and|or|unless|provided|subject|but|with)\b)"
    r"[^,;.()]){0,70}",
    re.IGNORECASE,
)
_RULE_LEAD = re.compile(
    r"(?:for|of|be|is|until|through|within|continue|remain\s+in\s+(?:full\s+)?(?:force|effect)|"
    r"end|ends|ending|expire|expires|expiring)"
    r"(?:\s+(?:a|an|the|initial|period|term|of|in|effect|force|full|entire|and|at\s+least|"
    r"\(\w{1,3}\)))*\s*$",
    re.IGNORECASE,
)
_NOT_TERM_DURATION = re.compile(
    r"(?:within|least|less\s+than|more\s+than|longer\s+than|in\s+excess\s+of|exceeding|prior|"
    r"notice|upon|after\s+receipt|days?\s+of)\s*$",
    re.IGNORECASE,
)
_AFTER_TERM_ENDS = re.compile(
    r"^[\s,]*(?:\([^)]*\)\s*)?(?:after|following|of|from)\s+(?:the\s+|its\s+|such\s+|any\s+)?"
    r"(?:early\s+|earlier\s+)?(?:termination|expiration|expiry|receipt|notice|written\s+notice)|"
    r"^[\s,]*(?:\([^)]*\)\s*)?(?:prior|before|notice|in\s+advance)",
    re.IGNORECASE,
)
_NO_END = re.compile(f"{PERPETUAL.pattern}|{CALENDAR_END.pattern}")
"""No end ("until terminated"), or an end stated as a rule about the calendar. Lower case."""
_AFTER_THE_TERM = re.compile(
    r"(?:during|for|throughout)\s+the\s+term(?:\s+of\s+this\s+\w+)?\s*(?:\([^)]*\)\s*)?,?\s+and\s+"
    r"(?:for\s+)?(?:a\s+period\s+of\s+)?$",
    re.IGNORECASE,
)
"""A period that runs after the term ("during the Term and for two (2) years thereafter")."""
_DAY_AND_MONTH = re.compile(
    r"\b(?:[a-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?|\d{1,2}(?:st|nd|rd|th)?\s+(?:day\s+of\s+)?"
    r"[a-z]{3,9})$",
    re.IGNORECASE,
)
_YEAR_AFTER_COMMA = re.compile(r"\s*,\s*\d{4}\b")
"""A rule's anchor that is a date written with a comma ("January 1, 2020"): the rule's tail
stops at the comma, before the year."""
_THOUSANDS_BEFORE = re.compile(r"\(?(?<![\d,])\d{1,3}(?:,\d{3})*,$")
"""The start of a number written with thousands separators ("1,000 years") before its last
three digits, where the period finder starts it."""


def _rule_span(content: str, clause: tuple[int, int], at: int, end: int) -> ExtractedDate | None:
    """The rule that starts with the period at `at`: the period and what it runs from
    ("five (5) years following the Effective Date"), read with the clause around it."""
    tail = _RULE_TAIL.match(content, end, clause[1])
    stop = tail.end() if tail else end
    year = _YEAR_AFTER_COMMA.match(content, stop, clause[1])
    if tail and year and _DAY_AND_MONTH.search(content, tail.start(), stop):
        stop = year.end()
    span = span_of(content, at, stop)
    if span is None:
        return None
    rule = read_rule(span.text, content[clause[0] : span.start], content[span.end : clause[1]])
    return ExtractedDate(value=tidy(span.text), span=span, kind="rule", rule=rule)


def expiration_dates(text: ContractText) -> list[ExtractedDate]:
    """When the initial term ends, best first: from the clauses that state the term ("the term
    of this Agreement", "Initial Term", "this Agreement shall expire") before those that only
    mention it, and in each a date it ends on ("shall expire on December 31, 2023") before a
    rule ("five (5) years following the Effective Date", "until the end of the current calendar
    year") or no end ("until terminated")."""
    ranked: list[tuple[int, int, int, ExtractedDate]] = []
    seen_clauses: set[int] = set()
    for tier, pattern in enumerate((_TERM_CLAUSE, _LOOSE_TERM_CLAUSE)):
        for cue in pattern.finditer(text.lower):
            start, end = text.around(cue.start())
            if start in seen_clauses or not starts_word(text.lower, cue.start()):
                continue
            seen_clauses.add(start)
            ranked += [(tier, *found) for found in _clause_expirations(text, start, end)]
    unique: list[ExtractedDate] = []
    for *_, candidate in sorted(ranked, key=lambda item: item[:3]):
        if candidate not in unique:
            unique.append(candidate)
    return unique


def _clause_expirations(
    text: ContractText, start: int, end: int
) -> list[tuple[int, int, ExtractedDate]]:
    """(kind, position, candidate) for each end the clause states: dates are kind 0, rules and
    open ends kind 1."""
    content = text.content
    found: list[tuple[int, int, ExtractedDate]] = []
    for mention in text.dates(start, end):
        if _END_CUE.search(content, max(start, mention.start - 40), mention.start):
            extracted = extracted_date(content, mention)
            if extracted:
                found.append((0, mention.start, extracted))
    for duration in text.durations(start, end):
        at = duration.start
        thousands = _THOUSANDS_BEFORE.search(content, max(start, at - 16), at)
        if thousands:
            at = thousands.start()  # "1,000 years": the period finder starts at "000"
        anniversary = "anniversary" in content[duration.start : duration.end]
        clause = (start, end)
        if not _is_the_terms_length(content, clause, at, duration.end, duration.unit, anniversary):
            continue
        if re.match(r"annual|yearly|monthly|\d+-month", text.lower[duration.start : duration.end]):
            continue  # "monthly", "12-month": how often, not how long
        rule = _rule_span(content, (start, end), at, duration.end)
        if rule:
            found.append((1, at, rule))
    for blank in BLANK_PERIOD.finditer(text.lower, start, end):
        unit = blank.group("unit")
        if _is_the_terms_length(content, (start, end), blank.start(), blank.end(), unit):
            tail = _RULE_TAIL.match(content, blank.end(), end)
            span = span_of(content, blank.start(), tail.end() if tail else blank.end())
            if span:
                unread = ExtractedDate(value=tidy(span.text), span=span, kind="rule")
                found.append((1, blank.start(), unread))
    for match in _NO_END.finditer(text.lower, start, end):
        span = span_of(content, match.start(), match.end())
        if span:
            kind = "rule" if CALENDAR_END.match(match.group(0)) else "perpetual"
            found.append(
                (1, match.start(), ExtractedDate(value=tidy(span.text), span=span, kind=kind))
            )
    return found


def _is_the_terms_length(
    content: str, clause: tuple[int, int], at: int, end: int, unit: str, named: bool = False
) -> bool:
    """Whether the period at content[at:end] is how long the term runs ("shall continue for five
    (5) years", "expire [***] years after the Effective Date"), not a notice period, a period
    after the term ends or one within which something is done. A period needs words that lead
    to it ("for", "expire", "until") unless it is `named` an end by itself ("the fifth
    anniversary"); days and weeks count only when an anchor follows ("ninety (90) days after
    the Effective Date")."""
    before = content[max(clause[0], at - 60) : at]
    after = content[end : min(clause[1], end + 60)]
    if (
        _NOT_TERM_DURATION.search(before)
        or _AFTER_TERM_ENDS.match(after)
        or _AFTER_THE_TERM.search(before)
    ):
        return False
    if not named and not _RULE_LEAD.search(before):
        return False
    return unit in ("year", "month") or re.match(r"\s*(?:from|after|following)", after) is not None
