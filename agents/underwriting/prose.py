"""Reading application facts out of free text (a broker's email, a cover letter) by patterns.

The fallback when an application is not a `Label: value` form. Each field has a few phrasings it
recognises, and a fact is taken only when the text states it plainly and once: a negated phrasing
("not built in 1998", "no limit of $5 million") is not a statement, and when the text states
several different values for one field ("cancelled effective March 3 … effective January 15") the
field is left unknown and reported, never chosen between. Every business named is returned too,
so that screening can cover all of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from agents.underwriting.forms import CONSTRUCTION, STATE_NAMES, parse_date, parse_money
from agents.underwriting.reference_data import class_aliases

_MONEY = (
    r"(\$\s?\d[\d,]*(?:\.\d+)?(?:\s*(?:million|mm|m|k|thousand)\b)?"
    r"|\d[\d,]*(?:\.\d+)?\s*(?:million|thousand|mm|k)\b)"
)
_DATE = r"([A-Z][a-z]+ \d{1,2}, \d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})"
_LEGAL_FORM = (
    r"(?:LLC|L\.L\.C\.|LLP|L\.P\.|PLC|Inc\.?|Incorporated|Co\.?|Company|Corp\.?|Corporation"
    r"|Ltd\.?|Limited|Group)"
)
_LEGAL_NAME = re.compile(
    rf"\b((?!{_LEGAL_FORM}\b)[A-Z][A-Za-z0-9&'.-]*"
    rf"(?:[ \t]+(?:(?!{_LEGAL_FORM}(?![A-Za-z]))[A-Z&][A-Za-z0-9&'.-]*|of|and|the)){{0,6}}"
    rf"[ \t]+{_LEGAL_FORM})(?![A-Za-z])"
)
_APPLICANT_CUE = re.compile(
    r"(?:quote|quoting|submit|submitting|insure|insuring|cover|covering|behalf of|applicant|"
    r"insured|client|for)\W+(?:(?:is|are|the|our|a|an)\W+){0,2}$",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(?:no|not|never|without|cancel(?:l?ed)?)\W+(?:\w+\W+){0,2}$", re.IGNORECASE
)

Candidates = list[tuple[Any, str]]
"""(value, the text it was read from) pairs."""


def _matches(pattern: str, text: str, flags: int = re.IGNORECASE) -> list[re.Match[str]]:
    """Matches of `pattern` that are not negated just before them."""
    return [
        match
        for match in re.finditer(pattern, text, flags)
        if not _NEGATION.search(text[max(0, match.start() - 30) : match.start()])
    ]


def business_names(text: str) -> list[str]:
    """Every business named with a legal form (LLC, Inc, Co, Corp, Ltd, Group), in order, once."""
    names: list[str] = []
    for match in _LEGAL_NAME.finditer(text):
        if text[match.end() : match.end() + 3].lstrip(" \t").startswith(":"):
            continue  # a label ("Parent Company: …"), not a name
        name = " ".join(match.group(1).split())
        if name not in names:
            names.append(name)
    return names


def _applicant(text: str) -> Candidates:
    cued = [
        " ".join(match.group(1).split())
        for match in _LEGAL_NAME.finditer(text)
        if _APPLICANT_CUE.search(text[max(0, match.start() - 40) : match.start()])
    ]
    names = list(dict.fromkeys(cued)) or business_names(text)
    return [(name, name) for name in names]


def _state(text: str) -> Candidates:
    found: Candidates = []
    for match in re.finditer(r",[ \t]*([A-Z]{2})[ \t]+\d{5}\b", text):
        if match.group(1) in STATE_NAMES.values():
            found.append((match.group(1), match.group(0)))
    for name, code in STATE_NAMES.items():
        for match in re.finditer(rf",[ \t]*{name}\b", text, re.IGNORECASE):
            found.append((code, match.group(0)))
    return found


def _phrase(text: str, phrases: dict[str, str]) -> Candidates:
    """The value of the longest known phrase in the text (shorter phrases inside it do not count)."""
    lowered = " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())
    for phrase in sorted(phrases, key=len, reverse=True):
        if re.search(rf"\b{re.escape(phrase)}\b", lowered):
            return [(phrases[phrase], phrase)]
    return []


def _sprinklered(text: str) -> Candidates:
    lowered = text.lower()
    negative = r"\b(?:no sprinklers?|not (?:fully )?sprinklered|partially sprinklered|unsprinklered|without sprinklers?)\b"
    if re.search(negative, lowered):
        return [(False, "not sprinklered")]
    if re.search(r"\b(?:fully sprinklered|sprinklered throughout|has sprinklers)\b", lowered):
        return [(True, "sprinklered")]
    return []


def _numbers(patterns: list[str], text: str, convert: Callable[[str], Any]) -> Candidates:
    found: Candidates = []
    for pattern in patterns:
        for match in _matches(pattern, text):
            found.append((convert(match.group(1)), match.group(0)))
    return found


def _years_in_business(text: str) -> Candidates:
    return _numbers(
        [
            r"(\d{1,3})\s+years?\s+(?:in\s+business|of\s+operation|operating|trading)",
            r"in\s+business\s+(?:for\s+)?(\d{1,3})\s+years?",
        ],
        text,
        int,
    )


def _year_built(text: str) -> Candidates:
    return _numbers(
        [r"(?:built|constructed|erected)\s+in\s+(\d{4})", r"year\s+built\D{0,3}(\d{4})"], text, int
    )


def _limit(text: str) -> Candidates:
    return _numbers(
        [rf"(?:limit|coverage)\s+of\s+{_MONEY}", rf"{_MONEY}\s+(?:building\s+|property\s+)?limit"],
        text,
        parse_money,
    )


def _revenue(text: str) -> Candidates:
    return _numbers(
        [
            rf"(?:revenue|sales)\b[a-z ]{{0,20}}?(?:of|is|was|about|around)\s+(?:about\s+|around\s+)?{_MONEY}"
        ],
        text,
        parse_money,
    )


def _effective(text: str) -> Candidates:
    return _numbers([rf"effective\s+(?:date\s+)?(?:of\s+|on\s+|from\s+)?{_DATE}"], text, parse_date)


def _prior_policy(text: str) -> Candidates:
    pattern = r"polic(?:y|ies)\b[^.\n]{0,40}?\b((?:BTN|UW)[\s\-_./]*\d{4}[\s\-_./]*\d{1,6})\b"
    return _numbers([pattern], text, str)


EXTRACTORS: dict[str, Callable[[str], Candidates]] = {
    "applicant_name": _applicant,
    "state": _state,
    "business_class": lambda text: _phrase(text, class_aliases()),
    "years_in_business": _years_in_business,
    "annual_revenue": _revenue,
    "construction_type": lambda text: _phrase(text, CONSTRUCTION),
    "year_built": _year_built,
    "sprinklered": _sprinklered,
    "requested_limit": _limit,
    "prior_policy_number": _prior_policy,
    "effective_date": _effective,
}


def read_free_text(text: str) -> tuple[dict[str, Any], list[str]]:
    """The fields `text` states plainly and once, and a note for each field it states in several
    different ways or that could not be read."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, extract in EXTRACTORS.items():
        try:
            found = extract(text)
        except ValueError:
            problems.append(f"{name}: stated but not readable")
            continue
        distinct = list(dict.fromkeys(value for value, _ in found))
        if len(distinct) == 1:
            values[name] = distinct[0]
        elif len(distinct) > 1:
            problems.append(f"{name}: stated {len(distinct)} different ways, so left unknown")
    return values, problems
