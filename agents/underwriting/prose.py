"""Reading application facts out of free text (a broker's email, a cover letter) by patterns.

The fallback when an application is not a `Label: value` form. Each field has a few phrasings it
recognises; anything else stays unknown rather than guessed. A field is only taken when the text
says it plainly (for example "built in 1998", "fully sprinklered", "a $2 million limit").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from agents.underwriting.forms import CONSTRUCTION, STATE_NAMES, parse_date, parse_money
from agents.underwriting.reference_data import class_aliases

_AMOUNT = r"\$?\s?\d[\d,]*(?:\.\d+)?\s*(?:million|mm|m|k|thousand)?\b"
_DATE = r"(?:[A-Z][a-z]+ \d{1,2}, \d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})"
_LEGAL_NAME = re.compile(
    r"\b([A-Z][A-Za-z0-9&'.-]*(?:\s+(?:[A-Z&][A-Za-z0-9&'.-]*|of|and|the)){0,6}\s+"
    r"(?:LLC|L\.L\.C\.|Inc\.?|Incorporated|Co\.|Company|Corp\.?|Corporation|Ltd\.?|Group))(?![A-Za-z])"
)
_STATE_CODE_ZIP = re.compile(r",\s*([A-Z]{2})\s+\d{5}\b")
_POLICY = re.compile(r"\b((?:BTN|UW)[\s\-_./]*\d{4}[\s\-_./]*\d{1,6})\b", re.IGNORECASE)


def _first(patterns: list[str], text: str, flags: int = re.IGNORECASE) -> str | None:
    for pattern in patterns:
        match = re.search(pattern, text, flags)
        if match:
            return match.group(1).strip()
    return None


def _applicant(text: str) -> str | None:
    match = _LEGAL_NAME.search(text)
    return " ".join(match.group(1).split()) if match else None


def _state(text: str) -> str | None:
    zip_code = _STATE_CODE_ZIP.search(text)
    if zip_code and zip_code.group(1) in STATE_NAMES.values():
        return zip_code.group(1)
    lowered = text.lower()
    for name in sorted(STATE_NAMES, key=len, reverse=True):
        if re.search(rf"\b{name}\b", lowered):
            return STATE_NAMES[name]
    return None


def _longest_phrase(text: str, phrases: dict[str, str]) -> str | None:
    lowered = " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())
    for phrase in sorted(phrases, key=len, reverse=True):
        if re.search(rf"\b{re.escape(phrase)}\b", lowered):
            return phrases[phrase]
    return None


def _sprinklered(text: str) -> bool | None:
    lowered = text.lower()
    if re.search(
        r"\b(?:no sprinklers?|not sprinklered|unsprinklered|without sprinklers?)\b", lowered
    ):
        return False
    if re.search(
        r"\b(?:fully sprinklered|sprinklered throughout|has sprinklers|sprinkler system)\b", lowered
    ):
        return True
    return None


def _years_in_business(text: str) -> int | None:
    found = _first(
        [
            r"(\d{1,3})\s+years?\s+(?:in business|of operation|operating|trading)",
            r"in business (?:for )?(\d{1,3})\s+years?",
        ],
        text,
    )
    return int(found) if found else None


def _year_built(text: str) -> int | None:
    found = _first(
        [r"(?:built|constructed|erected)\s+in\s+(\d{4})", r"year\s+built\D{0,3}(\d{4})"], text
    )
    return int(found) if found else None


def _limit(text: str) -> float | None:
    found = _first(
        [
            rf"(?:limit|coverage)\s+of\s+({_AMOUNT})",
            rf"({_AMOUNT})\s+(?:building\s+|property\s+)?limit",
        ],
        text,
    )
    return parse_money(found) if found else None


def _revenue(text: str) -> float | None:
    found = _first(
        [rf"(?:revenue|sales)[a-z ]{{0,20}}?(?:of|is|was|about|around)\s+({_AMOUNT})"], text
    )
    return parse_money(found) if found else None


def _effective(text: str) -> date | None:
    found = _first(
        [rf"[Ee]ffective\s+(?:[Dd]ate\s+)?(?:of\s+|on\s+|from\s+)?({_DATE})"], text, flags=0
    )
    return parse_date(found) if found else None


def _prior_policy(text: str) -> str | None:
    match = _POLICY.search(text)
    return match.group(1) if match else None


EXTRACTORS: dict[str, Callable[[str], Any]] = {
    "applicant_name": _applicant,
    "state": _state,
    "business_class": lambda text: _longest_phrase(text, class_aliases()),
    "years_in_business": _years_in_business,
    "annual_revenue": _revenue,
    "construction_type": lambda text: _longest_phrase(text, CONSTRUCTION),
    "year_built": _year_built,
    "sprinklered": _sprinklered,
    "requested_limit": _limit,
    "prior_policy_number": _prior_policy,
    "effective_date": _effective,
}


def read_free_text(text: str) -> tuple[dict[str, Any], list[str]]:
    """The fields plainly stated in `text`, and the ones whose phrasing was found but not read."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, extract in EXTRACTORS.items():
        try:
            value = extract(text)
        except ValueError:
            problems.append(f"{name}: stated but not readable")
            continue
        if value is not None:
            values[name] = value
    return values, problems
