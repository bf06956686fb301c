"""Periods of time as contracts write them ("thirty (30) days", "one (1) year", "36 months",
"half a year", "annual"), found with their positions and written plainly ("30 days")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.contract_review.spans import lowered, starts_word

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_NUMBER_WORD = "|".join([*_TENS, *sorted(_UNITS, key=len, reverse=True), "hundred", "an?"])
_WORDS = rf"(?:{_NUMBER_WORD})(?:[\s-]+(?:and[\s-]+)?(?:{_NUMBER_WORD}))*"
_UNIT = r"(?P<unit>(?:business\s+|calendar\s+)?days?|weeks?|months?|years?)"
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "fifteenth": 15,
    "twentieth": 20,
}
_DURATION = re.compile(
    rf"(?:(?P<words>{_WORDS})(?:\s*\(\s*(?P<paren>\d+)\s*\))?|\(?(?P<digits>\d+)\)?"
    rf"|(?P<half>half\s+an?))[\s-]*{_UNIT}(?![\w-])"
    r"|(?P<every>annual|yearly|monthly)\b"
    rf"|(?P<ordinal>{'|'.join(_ORDINALS)})\s*"
    r"(?:\(\s*\d+\s*(?:st|nd|rd|t\s?h)\s*\)\s*)?anniversary\b"
)
"""Matched against lower-case text (`lowered`): case-insensitive matching is much slower."""
_UNIT_WORD = re.compile(r"day|week|month|year|annual|anniversar")
"""Every period names its unit: finding units first and trying the full pattern only just before
them is much faster than trying it at every position of a long contract."""
_REACH = 60
"""How far before its unit a period may start ("one hundred eighty (180) days")."""


@dataclass(frozen=True)
class Duration:
    """A period written in the contract: where it is, and its amount in a unit."""

    start: int
    end: int
    amount: float
    unit: str
    """"day", "business day", "week", "month" or "year"."""
    unit_start: int
    """Where the unit word starts (the number is written before it)."""

    @property
    def plain(self) -> str:
        """The period written plainly: "30 days", "1 year", "0.5 year"."""
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        return f"{amount} {self.unit}{'' if self.amount <= 1 else 's'}"

    @property
    def months(self) -> float:
        """The period in months (30 days a month), to compare periods written differently."""
        per_month = {"day": 1 / 30, "business day": 1 / 21, "week": 7 / 30, "month": 1, "year": 12}
        return self.amount * per_month[self.unit]


def words_to_number(words: str) -> int | None:
    """ "one hundred eighty" -> 180; None when the words are not a number."""
    current = 0
    for word in re.split(r"[\s-]+", words.lower()):
        if word in ("and", ""):
            continue
        if word in ("a", "an"):
            current += 1
        elif word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        else:
            return None
    return current


def _amount(match: re.Match[str]) -> float | None:
    if match.group("paren"):
        return float(match.group("paren"))
    if match.group("digits"):
        return float(match.group("digits"))
    if match.group("half"):
        return 0.5
    number = words_to_number(match.group("words"))
    return None if number is None else float(number)


def find_durations(content: str, start: int = 0, end: int | None = None) -> list[Duration]:
    """Every period of time written in `content[start:end]`, in order. "Annual" and "monthly"
    count as one year and one month; "the fifth anniversary" as five years."""
    found: list[Duration] = []
    low = lowered(content)
    stop = len(content) if end is None else end
    covered = start
    for unit_word in _UNIT_WORD.finditer(low, start, stop):
        if unit_word.start() < covered:
            continue
        match = _period_at(low, max(covered, unit_word.start() - _REACH), unit_word, stop)
        if match is None:
            continue
        covered = match.end()
        if match.group("every"):
            every = "month" if match.group("every") == "monthly" else "year"
            found.append(Duration(match.start(), match.end(), 1.0, every, match.end()))
        elif match.group("ordinal"):
            years = _ORDINALS[match.group("ordinal")]
            found.append(Duration(match.start(), match.end(), years, "year", match.end()))
        elif (amount := _amount(match)) is not None:
            unit = " ".join(match.group("unit").split()).rstrip("s").replace("calendar ", "")
            found.append(Duration(match.start(), match.end(), amount, unit, match.start("unit")))
    return found


def _period_at(low: str, start: int, unit: re.Match[str], stop: int) -> re.Match[str] | None:
    """The period whose unit is `unit`, written from `start` on, if any."""
    end = min(stop, unit.end() + 12)
    while (match := _DURATION.search(low, start, end)) and match.start() <= unit.start():
        if match.end() < unit.end():
            start = match.end()
        elif match.group(0)[0] == "(" or starts_word(low, match.start()):
            return match
        else:
            start = match.start() + 1  # "than ninety days" read as "an ninety days": look again
    return None


def plain_periods(text: str) -> str:
    """`text` with the number of each period written in digits: "successive one (1) year
    periods" becomes "successive 1 year periods", "thirty (30) days" becomes "30 days"."""
    pieces: list[str] = []
    last = 0
    for duration in find_durations(text):
        if duration.unit_start == duration.end:
            continue
        amount = duration.plain.split(" ", 1)[0]
        pieces += [text[last : duration.start], amount, " "]
        last = duration.unit_start
    pieces.append(text[last:])
    return "".join(pieces)
