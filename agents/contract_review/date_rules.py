"""End dates stated as a rule: a period counted from an anchor ("five (5) years following the
Effective Date", "the fifth anniversary of the date hereof", "shall continue for one (1) year"),
read from the contract's words, and the date computed when the anchor's date is known.

The arithmetic follows CUAD's expiration labels: a period of N years (or months) from an anchor
ends on the same day of the month N years on, not the day before (effective February 10, 2014
plus five years is February 10, 2019; May 31, 2019 plus five years is May 31, 2024). A day the
target month lacks becomes that month's last day (January 31 plus one month is February 28 or
29; February 29, 2020 plus one year is February 28, 2021). Days and weeks are added as such.

A date is computed only when the whole anchor is the contract's own effective date ("the
Effective Date", "the Effective Date of this Agreement"), its own date ("the date hereof", "the
date of this Agreement", "the date first above written") or a calendar date the clause states
("January 1, 2020"). An anchor that only mentions one of them is an event the contract does not
date, and the rule is kept without a date (kind "rule", `anchor_field` None): "the later of the
Effective Date and the Launch Date", "the Effective Date or the Closing, whichever is earlier",
"the first day of the month following the Effective Date", "the date of first commercial sale
following the Effective Date", "the Effective Date of the Supply Agreement" (another agreement's
date). `DateRule` has no field for the reason, so the rule's `anchor` keeps the whole anchor
phrase as written, where a reviewer sees why nothing was computed.
"""

from __future__ import annotations

import re
from datetime import MAXYEAR, MINYEAR, date, timedelta
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
_BLANK = r"(?:\[[\s_*.x\u2022\u25cf]*\]|_{2,}|\u25cf)"
BLANK_PERIOD = re.compile(
    rf"{_BLANK}(?:\s*\(\s*(?:{_BLANK}|_)\s*\))?[\s-]*(?:calendar\s+|business\s+)?"
    r"(?P<unit>day|week|month|year)s?\b"
)
"""A period whose number is left blank or redacted ("____ (__) years", "[●] months",
"[***] years"): a rule whose date no one can compute until it is filled in. Lower case."""
_BLANK_MARK = re.compile(_BLANK)
"""A blank or a redaction anywhere in a value ("____", "[***]", "[ ]", "●")."""

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
_THIS_AGREEMENT = r"(?:\s+(?:of|under)\s+this\s+(?:agreement|contract)|\s+hereof|\s+hereunder)"
"""What may follow the anchor when it is still the contract's own date ("of this Agreement")."""
_OWN_EFFECTIVE = re.compile(
    rf"(?:the\s+)?(?:[-_]{{2,}}\s*)?effective\s+date(?:{_THIS_AGREEMENT}|\s+(?:listed|set\s+forth|"
    r"stated|specified|written|defined)\s+above)?|(?:the\s+)?date\s+(?:on\s+which\s+)?"
    r"(?:this\s+(?:agreement|contract)|it)\s+(?:becomes|became|is|shall\s+become)\s+effective",
    re.IGNORECASE,
)
"""The whole anchor is the contract's own effective date (a blank before it, "the ------
Effective Date", is a PDF artifact). Matched with fullmatch."""
_OWN_AGREEMENT = re.compile(
    rf"(?:the\s+)?(?:date\s+hereof|date\s+of\s+this\s+(?:agreement|contract)|"
    rf"date\s+of\s+(?:its\s+|the\s+)?(?:execution|signing|signature){_THIS_AGREEMENT}?|"
    rf"(?:execution|signing|signature)\s+date{_THIS_AGREEMENT}?|"
    r"(?:date|day\s+and\s+year)\s+first\s+(?:above\s+|set\s+forth\s+|written\s+)?"
    r"(?:written|set\s+forth|above)(?:\s+above)?|date\s+(?:on\s+which\s+)?this\s+"
    r"(?:agreement|contract)\s+(?:is|was|has\s+been)\s+(?:signed|executed)|"
    rf"(?:its\s+)?execution{_THIS_AGREEMENT}?)",
    re.IGNORECASE,
)
"""The whole anchor is the contract's own date ("the date hereof", "the date of this Agreement",
"the date first above written", "the Execution Date"). Matched with fullmatch."""
_OTHER_ANCHOR = re.compile(
    r"(?P<other>\s*,?\s*\b(?:and|or)\s+(?:(?:the|its|such)\s+(?-i:[A-Z])|(?:the\s+)?date\b|"
    r"(?:such\s+)?(?:later|earlier|other)\s+date\b|\d)"
    r"(?>(?:(?!\s+(?:and|or|unless|until|provided|shall|will|may|must|which|whichever|is|are)\b)"
    r"[^,;.()])*)(?!\s+(?:shall|will|may|must|is|are|agrees?|has|have)\b))?"
    r"(?P<which>\s*,?\s*\(?\s*whichever\s+(?:[\w-]+\s+){0,2}?(?:first|last|earlier|later|"
    r"sooner|latest|earliest)\b\)?)?",
    re.IGNORECASE,
)
"""A second anchor after the first ("... or the Closing", "... and the Launch Date", "...,
whichever is earlier"): the period runs from one of them, not from the first alone. A clause
that goes on ("... and the Company shall") is not one."""
_THOUSANDS = re.compile(r"(?<![\d,.])\d{1,3}(?:,\d{3})+(?![\d,]|\.\d)")
"""A number written with thousands separators ("1,000"), read as one number."""
_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH_NUMBERS = {
    written: number
    for number, name in enumerate(_MONTH_NAMES, 1)
    for written in (name, name[:3], *(["sept"] if number == 9 else []))
}
_MONTH_NAME = "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True))
_ANY_YEAR_DATE = re.compile(
    rf"(?:the\s+|on\s+)?(?:(?P<m1>{_MONTH_NAME})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*"
    rf"(?P<y1>\d{{4}})|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:day\s+of\s+)?(?P<m2>{_MONTH_NAME})"
    r"\.?\s*,?\s*(?:of\s+)?(?P<y2>\d{4})|(?P<m3>\d{1,2})(?P<sep>[/-])(?P<d3>\d{1,2})(?P=sep)"
    r"(?P<y3>\d{4}))",
    re.IGNORECASE,
)
"""A calendar date as the whole anchor, in any year the calendar has ("January 1, 1850"): the
contract-wide date finder reads only the years 1900 to 2099."""


def add_period(start: date, amount: int, unit: str) -> date | None:
    """`start` plus `amount` days, weeks, months or years (see the module docstring for the
    convention); None when the result is not a calendar date (past the year 9999)."""
    if unit in ("day", "week"):
        days = amount * (7 if unit == "week" else 1)
        if days > (date.max - start).days:
            return None
        return start + timedelta(days=days)
    months = amount * (12 if unit == "year" else 1)
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    if not MINYEAR <= year <= MAXYEAR:
        return None
    return date(year, month, min(start.day, _days_in(year, month)))


def _days_in(year: int, month: int) -> int:
    if month == 12:
        return 31  # date(year + 1, 1, 1) does not exist for the year 9999
    return (date(year, month + 1, 1) - timedelta(days=1)).day


def read_rule(phrase: str, lead: str = "", trail: str = "") -> DateRule | None:
    """The period and anchor of an end written as `phrase` ("five (5) years following the
    Effective Date"); `lead` is the clause before it, where a period that names no anchor
    ("for five (5) years", "ten (10) years thereafter") finds the term's start ("shall commence
    on the Effective Date"); with no start named there, the term is taken to start on the
    effective date. `trail` is the clause after `phrase`, where a second anchor may follow
    ("... or the Closing, whichever is earlier"). None when `phrase` is not a whole number of
    days, weeks, months or years from an anchor, or the period is changed by something undated
    ("plus such months"). The date is computed later, and only from an anchor that is wholly the
    contract's own effective or agreement date or a stated date (see the module docstring)."""
    phrase = _plain_numbers(phrase)
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
        anchor, single = _anchor_phrase(tail.group("anchor"), trail)
    elif _BACK_REFERENCE.match(rest) or not rest.strip():
        anchor, single = _start_named(lead)
    else:
        return None
    if not anchor:
        return None
    anchor_field, anchor_on = _anchor_date(anchor) if single else (None, None)
    return DateRule(
        amount=int(period.amount),
        unit=period.unit,
        anchor=anchor,
        anchor_field=anchor_field,
        anchor_on=anchor_on,
    )


def _plain_numbers(text: str) -> str:
    """`text` with each number written with thousands separators written without them
    ("1,000 years" becomes "1000 years")."""
    return _THOUSANDS.sub(lambda number: number.group(0).replace(",", ""), text)


def _anchor_phrase(raw: str, trail: str = "") -> tuple[str, bool]:
    """The anchor that `raw` starts with ("the Effective Date" of "the Effective Date and shall
    continue"), tidied, and whether it is the only one: False when a second follows it in `raw`
    or in `trail` (what comes after `raw`), as in "the Effective Date or the Closing, whichever
    is earlier"; the anchor returned then includes the second, so that the rule shows it."""
    end = _ANCHOR_END.search(raw)
    anchor = (raw[: end.start()] if end else raw).strip(" \t\r\n,;:")
    after = (raw[end.start() :] if end else "") + trail
    other = _OTHER_ANCHOR.match(after)
    second = other.group(0) if other else ""
    if second.strip(" \t\r\n,;:()"):
        return " ".join(f"{anchor}{second}".split()).strip(" ,;:"), False
    return " ".join(anchor.split()), True


def starts_with_period(phrase: str) -> bool:
    """Whether `phrase` starts with a period of time ("the fifth anniversary ...", "for a
    period of five (5) years ...")."""
    phrase = _plain_numbers(phrase)
    durations = find_durations(phrase)
    return bool(durations) and _LEAD_IN.fullmatch(phrase[: durations[0].start]) is not None


def states_an_end(kind: str, on: object, value: str) -> bool:
    """Whether an extracted expiration (its `kind`, `on` and `value`) says when the contract
    ends: not when it runs until terminated ("perpetual"), nor when its date or period is left
    blank for the signers to fill in ("____ (__) years after the Effective Date", "[___], 2020").
    A rule from an event the contract does not date ("two years after the Launch Date") does."""
    if kind == "perpetual":
        return False
    return on is not None or not left_blank(value)


def left_blank(value: str) -> bool:
    """Whether a date or period as written is left blank or redacted ("[___], 2020", "____
    (__) years", "[***] years")."""
    return _BLANK_MARK.search(value) is not None


def starts_with_blank_period(phrase: str) -> bool:
    """Whether `phrase` starts with a period whose number is left blank ("[***] years
    thereafter", "for ____ (__) years after the Effective Date")."""
    low = phrase.lower()
    blank = BLANK_PERIOD.search(low)
    return blank is not None and _LEAD_IN.fullmatch(low[: blank.start()]) is not None


def _start_named(lead: str) -> tuple[str, bool]:
    """The term's start as the clause names it before the period, or `UNSTATED_ANCHOR`, and
    whether it is a single anchor (see `_anchor_phrase`)."""
    starts = list(_START.finditer(lead))
    if not starts:
        return UNSTATED_ANCHOR, True
    return _anchor_phrase(starts[-1].group("anchor"), lead[starts[-1].end() :])


def _anchor_date(anchor: str) -> tuple[AnchorField | None, date | None]:
    """Which extracted date the anchor stands for, or the date it states, when the whole anchor
    is that date: the contract's own effective date, its own date, or a calendar date. (None,
    None) for an anchor that names anything else, even around one of those ("the later of the
    Effective Date and the Launch Date", "the Effective Date of the Supply Agreement")."""
    if anchor == UNSTATED_ANCHOR:
        return "effective_date", None
    if _OWN_EFFECTIVE.fullmatch(anchor):
        return "effective_date", None
    if _OWN_AGREEMENT.fullmatch(anchor):
        return "agreement_date", None
    return None, _stated_date(anchor)


def _stated_date(anchor: str) -> date | None:
    """The calendar date that is the whole anchor ("January 1, 2020", "the 1st day of May,
    2014", "January 1, 1850"), or None."""
    mentions = find_dates(anchor)
    if len(mentions) == 1 and mentions[0].on is not None:
        before, after = anchor[: mentions[0].start], anchor[mentions[0].end :]
        if re.fullmatch(r"(?:the\s+|on\s+)?", before, re.IGNORECASE) and not after.strip():
            return mentions[0].on
    written = _ANY_YEAR_DATE.fullmatch(anchor)
    if written is None:
        return None
    month, day, year = next(
        (_MONTH_NUMBERS.get(month.lower().rstrip(".")) or int(month), day, year)
        for month, day, year in (
            written.group("m1", "d1", "y1"),
            written.group("m2", "d2", "y2"),
            written.group("m3", "d3", "y3"),
        )
        if year
    )
    try:
        return date(int(year), month, int(day))
    except ValueError:
        return None


def classify(value: str, lead: str = "", trail: str = "") -> tuple[DateKind, DateRule | None]:
    """What an end date written as `value` (with no calendar date) is: "perpetual" ("until
    terminated"); "rule", with its period and anchor when `read_rule` reads them (a period it
    refuses, "10,000 years", a period left blank, "[***] years", or "the end of the calendar
    year" has none); or "stated" (a date with blanks, or words the rules do not recognise).
    `lead` and `trail` are the clause before and after `value` (see `read_rule`)."""
    low = value.lower()
    if PERPETUAL.search(low):
        return "perpetual", None
    rule = read_rule(value, lead, trail)
    if (
        rule is not None
        or starts_with_period(value)
        or starts_with_blank_period(value)
        or CALENDAR_END.search(low)
    ):
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
