"""Finding the calendar dates a contract states, each with its exact position.

Recognised forms: "May 8, 2014", "Nov 5, 1999", "8th day of May, 2014", "26 September 2019",
"3-14-18", "03/24/2006" (month first, as in US contracts), and template blanks such as
"[___], 2020", "September ___, 2019", "_______ __, 20__" or "March 1, 20__" (a date the signers
were to fill in: found, with no calendar date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_ORDINAL = r"(?:st|nd|rd|th|t\s?h)?"
_YEAR = r"(?:19|20)\d{2}"
_BLANK = r"(?:\[[\s_\u2022*.]*\]|_{2,})"

_MONTH_FIRST = rf"(?P<m1>{_MONTH})\s+(?P<d1>\d{{1,2}}){_ORDINAL}\s*[,.]?\s*(?P<y1>{_YEAR})"
_DAY_FIRST = (
    rf"(?P<d2>\d{{1,2}}){_ORDINAL}\s+(?:day\s+of\s+)?(?P<m2>{_MONTH})\s*"
    rf"(?:,\s*|\.\s*|\s+)(?:day\s+of\s+|of\s+)?(?P<y2>{_YEAR})"
)
_NUMERIC = r"(?P<m3>\d{1,2})(?P<sep>[/-])(?P<d3>\d{1,2})(?P=sep)(?P<y3>(?:19|20)\d{2}|\d{2})"
_TEMPLATE = (
    rf"(?:{_BLANK}(?:\s*day\s+of\s+(?:{_BLANK}|{_MONTH}))?|(?P<m4>{_MONTH})\s+{_BLANK})"
    rf"\s*,?\s*(?P<y4>{_YEAR})"
)
_BLANK_YEAR = r"(?:19|20)(?:_{1,2}|\[[\s_]*\])"
"""A year left for the signers to finish ("20__", "20[__]")."""
_BLANK_YEAR_DATE = (
    rf"(?:{_MONTH}\s+(?:\d{{1,2}}{_ORDINAL}|{_BLANK})|{_BLANK}(?:\s+{_BLANK})?)"
    rf"\s*,?\s*(?P<y5>{_BLANK_YEAR})"
)
_DATE = re.compile(
    rf"(?<![\w/-])(?:{_MONTH_FIRST}|{_DAY_FIRST}|{_NUMERIC}|{_TEMPLATE}|{_BLANK_YEAR_DATE})"
    r"(?![\w/])",
    re.IGNORECASE,
)
_YEAR_BLANK = re.compile(r"_{1,2}|\[[\s_]*\]")


_NUMBER = re.compile(r"[0-9]+(?:[/-][0-9]{1,2}[/-][0-9]{2,4})?")
"""Every date written ends with its year: finding numbers (years, "3-14-18") first and trying
the full pattern only just before them is much faster than trying it everywhere."""
_REACH = 60
"""How far before its year a date may start ("1st  day of JUNE , 2006")."""


@dataclass(frozen=True)
class DateMention:
    """A date written in the contract: where, as written, and the calendar date (None for a
    template blank)."""

    start: int
    end: int
    text: str
    on: date | None


def _year(raw: str) -> int:
    year = int(raw)
    if len(raw) == 2:
        year += 2000 if year < 50 else 1900
    return year


def _calendar(match: re.Match[str]) -> date | bool | None:
    """The date a match states; None for a blank; False when the numbers are not a date."""
    groups = match.groupdict()
    if groups["y4"] or groups["y5"]:
        return None
    if groups["m1"]:
        month, day, year = _MONTHS[groups["m1"][:3].lower()], groups["d1"], groups["y1"]
    elif groups["m2"]:
        month, day, year = _MONTHS[groups["m2"][:3].lower()], groups["d2"], groups["y2"]
    else:
        month, day, year = int(groups["m3"]), groups["d3"], groups["y3"]
    try:
        return date(_year(year), month, int(day))
    except ValueError:
        return False


def find_dates(content: str, start: int = 0, end: int | None = None) -> list[DateMention]:
    """Every date stated in `content[start:end]`, in order of position."""
    found: list[DateMention] = []
    stop = len(content) if end is None else end
    covered = start
    for anchor in _NUMBER.finditer(content, start, stop):
        number = anchor.group(0)
        if anchor.end() <= covered or not (len(number) > 4 or number[:2] in ("19", "20")):
            continue
        blank = _YEAR_BLANK.match(content, anchor.end(), stop) if len(number) == 2 else None
        if len(number) != 4 and not ("/" in number or "-" in number) and blank is None:
            continue
        year_end = blank.end() if blank is not None else anchor.end()
        match = _DATE.search(
            content, max(covered, anchor.start() - _REACH), min(stop, year_end + 1)
        )
        while match and match.end() < year_end:
            match = _DATE.search(content, match.end(), min(stop, year_end + 1))
        if match is None or match.start() > anchor.start():
            continue
        covered = match.end()
        on = _calendar(match)
        if on is False:
            continue
        found.append(
            DateMention(
                start=match.start(),
                end=match.end(),
                text=match.group(0),
                on=on if isinstance(on, date) else None,
            )
        )
    return found
