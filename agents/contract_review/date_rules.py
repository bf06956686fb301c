"""End dates stated as a rule: a period counted from an anchor ("five (5) years following the
Effective Date", "the fifth anniversary of the date hereof", "shall continue for one (1) year"),
read from the contract's words, and the date computed when the anchor's date is known.

The arithmetic follows CUAD's expiration labels: a period of N years (or months) from an anchor
ends on the same day of the month N years on, not the day before (effective February 10, 2014
plus five years is February 10, 2019; May 31, 2019 plus five years is May 31, 2024). A day the
target month lacks becomes that month's last day (January 31 plus one month is February 28 or
29; February 29, 2020 plus one year is February 28, 2021). Days and weeks are added as such.
"""

from __future__ import annotations

import re
from datetime import MAXYEAR, date, timedelta
from typing import Literal

from agents.contract_review.dates import find_dates
from agents.contract_review.durations import find_durations
from schemas.contract_review import DateKind, DateRule, ExtractedDate

AnchorField = Literal["effective_date", "agreement_date"]
UNSTATED_ANCHOR = "the start of the term"
"""The anchor of a rule that names only the period ("shall continue for five (5) years")."""

PERPETUAL = re.compile(
    r"(?:until\s+(?:(?:it\s+is\s+)?(?:terminated|cancelled)|terminated\s+by)|indefinitely|"
    r"(?:end|expire)\s+(?:only\s+)?when\s+terminated|continue\s+unless\s+and\s+until|"
    r"(?:an\s+)?indefinite\s+(?:term|period)|unlimited\s+period|in\s+perpetuity|perpetual(?:ly)?)\b"
)
"""No fixed end ("until terminated", "in perpetuity"). Matched against lower-case text."""
CALENDAR_END = re.compile(r"end\s+of\s+the\s+(?:current\s+)?calendar\s+year\b")
"""An end stated as a rule about the calendar, not as a period. Lower case."""

MAX_YEARS = 1000
"""The longest period read as a term: a longer one ("10000 years") is not computed."""
_YEARS_PER = {"day": 1 / 365, "week": 7 / 365, "month": 1 / 12, "year": 1}
_LEAD_IN = re.compile(
    r"(?:\s*\b(?:the|a|an|for|until|on|of|period|term|initial|in|within)\b)*\s*", re.IGNORECASE
)
"""Words a rule may start with before its period ("the fifth anniversary", "for a period of")."""
_TAIL = re.compile(
    r"\s*(?:\([^)]*\)\s*)?(?:anniversary\s+of|after|following|from|"
    r"subsequent\s+to|(?:commencing|beginning|starting)(?:\s+(?:on|as\s+of|from|with|upon))?|of)"
    r"\s+(?P<anchor>.+)",
    re.IGNORECASE | re.DOTALL,
)
"""What follows the period: what it runs from."""
_BACK_REFERENCE = re.compile(r"\s*(?:\([^)]*\)\s*)?(?:thereafter|therefrom)\b", re.IGNORECASE)
"""The period runs from a start named before it ("commence on the Effective Date and continue
for ten (10) years thereafter")."""
_START = re.compile(
    r"\b(?:commenc\w*|begin\w*|start\w*|effective|take\s+effect|takes\s+effect)\s+"
    r"(?:on|as\s+of|from|upon|with|at)\s+(?P<anchor>[^,;.()]{1,80})",
    re.IGNORECASE,
)
"""Where the clause says the term starts ("shall commence on the Effective Date")."""
_ANCHOR_END = re.compile(
    r"\s+(?:and|or|unless|until|for|provided|shall|will|which|that|through|to)\b.*$",
    re.IGNORECASE | re.DOTALL,
)
_NOT_A_PLAIN_PERIOD = re.compile(r"\b(?:plus|minus|less)\b", re.IGNORECASE)
"""The period is changed by something the rule does not date ("plus such additional months")."""
_EFFECTIVE = re.compile(
    r"\beffective\s+date\b|\bdate\s+(?:on\s+which\s+)?(?:this\s+(?:agreement|contract)|it)\s+"
    r"(?:becomes|became|is|shall\s+become)\s+effective\b",
    re.IGNORECASE,
)
_AGREEMENT = re.compile(
    r"\bdate\s+hereof\b|\bdate\s+of\s+(?:this\s+(?:agreement|contract)|(?:its\s+|the\s+)?"
    r"(?:execution|signing|signature))\b|\b(?:execution|signing|signature)\s+date\b|"
    r"\b(?:date|day\s+and\s+year)\s+first\s+(?:above\s+|set\s+forth\s+|written\s+)?"
    r"(?:written|set\s+forth|above)|\bdate\s+(?:on\s+which\s+)?this\s+(?:agreement|contract)\s+"
    r"(?:is|was|has\s+been)\s+(?:signed|executed)|^(?:its\s+)?execution\b",
    re.IGNORECASE,
)


def add_period(start: date, amount: int, unit: str) -> date | None:
    """`start` plus `amount` days, weeks, months or years (see the module docstring for the
    convention); None when the result is not a calendar date (past the year 9999)."""
    if unit in ("day", "week"):
        days = amount * (7 if unit == "week" else 1)
        if days > (date.max - start).days:
            return None
        return start + timedelta(days=days)
    months = amount * (12 if unit == "year" else 1)
    if months > (MAXYEAR - start.year) * 12:
        return None
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, _days_in(year, month)))


def _days_in(year: int, month: int) -> int:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return (following - timedelta(days=1)).day


def read_rule(phrase: str, lead: str = "") -> DateRule | None:
    """The period and anchor of an end written as `phrase` ("five (5) years following the
    Effective Date"); `lead` is the clause before it, where a period that names no anchor
    ("for five (5) years", "ten (10) years thereafter") finds the term's start ("shall commence
    on the Effective Date"); with no start named there, the term is taken to start on the
    effective date. None when `phrase` is not a whole number of days, weeks, months or years
    from an anchor, or the period is changed by something undated ("plus such months")."""
    if not starts_with_period(phrase):
        return None
    period = find_durations(phrase)[0]
    if period.unit not in ("day", "week", "month", "year") or period.amount != int(period.amount):
        return None  # business days need a holiday calendar; "half a year" is not whole
    if period.amount < 1 or period.amount * _YEARS_PER[period.unit] > MAX_YEARS:
        return None
    rest = phrase[period.end :]
    if _NOT_A_PLAIN_PERIOD.search(rest):
        return None
    tail = _TAIL.match(rest)
    if tail:
        anchor = _ANCHOR_END.sub("", tail.group("anchor")).strip(" \t\r\n,;:")
    elif _BACK_REFERENCE.match(rest) or not rest.strip():
        anchor = _start_named(lead)
    else:
        return None
    if not anchor:
        return None
    anchor_field, anchor_on = _anchor_date(anchor)
    return DateRule(
        amount=int(period.amount),
        unit=period.unit,
        anchor=" ".join(anchor.split()),
        anchor_field=anchor_field,
        anchor_on=anchor_on,
    )


def starts_with_period(phrase: str) -> bool:
    """Whether `phrase` starts with a period of time ("the fifth anniversary ...", "for a
    period of five (5) years ...")."""
    durations = find_durations(phrase)
    return bool(durations) and _LEAD_IN.fullmatch(phrase[: durations[0].start]) is not None


def _start_named(lead: str) -> str:
    """The term's start as the clause names it before the period, or `UNSTATED_ANCHOR`."""
    starts = list(_START.finditer(lead))
    if not starts:
        return UNSTATED_ANCHOR
    return _ANCHOR_END.sub("", starts[-1].group("anchor")).strip(" \t\r\n,;:")


def _anchor_date(anchor: str) -> tuple[AnchorField | None, date | None]:
    """Which extracted date the anchor stands for, or the date it states."""
    if anchor == UNSTATED_ANCHOR:
        return "effective_date", None
    stated = [mention.on for mention in find_dates(anchor) if mention.on is not None]
    if stated:
        return None, stated[0]
    if _EFFECTIVE.search(anchor):
        return "effective_date", None
    if _AGREEMENT.search(anchor):
        return "agreement_date", None
    return None, None


def classify(value: str, lead: str = "") -> tuple[DateKind, DateRule | None]:
    """What an end date written as `value` (with no calendar date) is: "perpetual" ("until
    terminated"); "rule", with its period and anchor when `read_rule` reads them (a period it
    refuses, "10000 years", or "the end of the calendar year" has none); or "stated" (a date
    with blanks, or words the rules do not recognise)."""
    low = value.lower()
    if PERPETUAL.search(low):
        return "perpetual", None
    rule = read_rule(value, lead)
    if rule is not None or starts_with_period(value) or CALENDAR_END.search(low):
        return "rule", rule
    return "stated", None


def with_computed_end(
    candidate: ExtractedDate, effective: ExtractedDate | None, agreement: ExtractedDate | None
) -> ExtractedDate:
    """`candidate` with its date computed when it is a rule whose anchor's date is known: the
    extracted effective date for "the Effective Date" or an unnamed start (else the agreement
    date), the agreement date for "the date hereof" and its like (else the effective date), or
    the date the clause states. The rule records the anchor used and its date. Any other
    candidate, or a result past the calendar's range, is returned unchanged."""
    rule = candidate.rule
    if candidate.kind != "rule" or rule is None:
        return candidate
    anchor_field, anchor_on = rule.anchor_field, rule.anchor_on
    if anchor_field is not None:
        by_field = {"effective_date": effective, "agreement_date": agreement}
        other: AnchorField = (
            "agreement_date" if anchor_field == "effective_date" else "effective_date"
        )
        for name in (anchor_field, other):
            found = by_field[name]
            if found is not None and found.on is not None:
                anchor_field, anchor_on = name, found.on
                break
    if anchor_on is None:
        return candidate
    end = add_period(anchor_on, rule.amount, rule.unit)
    if end is None:
        return candidate
    return ExtractedDate(
        value=candidate.value,
        span=candidate.span,
        on=end,
        kind="computed",
        rule=rule.model_copy(update={"anchor_field": anchor_field, "anchor_on": anchor_on}),
    )
