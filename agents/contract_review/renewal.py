"""Renewal: how long each renewal or extension of the term lasts ("successive one (1) year
periods"), and the notice a party must give to stop it ("at least thirty (30) days prior")."""

from __future__ import annotations

import re

from agents.contract_review.contract_text import ContractText
from agents.contract_review.durations import Duration, plain_periods
from agents.contract_review.spans import span_of, starts_word, tidy
from schemas.contract_review import Extracted

_RENEWAL = re.compile(
    r"(?:renew(?:s|ed|al|able)?|extend(?:s|ed)?|extension|successive|year\s+to\s+year|"
    r"automatically\s+continue)\b"
)
"""Matched against the lower-case text."""
_RENEWAL_LEAD = re.compile(
    r"(?:renew(?:s|ed|al)?|extend(?:s|ed)?|extension|continue|continuance)\b[^.;]{0,120}$",
    re.IGNORECASE,
)
_AFTER_THE_END = re.compile(
    r"[\s,]*(?:following|after)\s+(?:the\s+|its\s+|such\s+)?(?:\w+\s+){0,2}"
    r"(?:expiration|termination|expiry)",
    re.IGNORECASE,
)
_RENEWAL_AFTER = re.compile(r"[\s-]*(?:term\s+)?(?:renewals?|extensions?)\b", re.IGNORECASE)
_PERIOD_PREFIX = re.compile(
    r"(?:\b(?:for|of)\s+)?(?:(?:an?|one|\d+|(?:\(\d+\)))\s+)?(?:\(\d+\)\s+)?"
    r"(?:successive|additional|consecutive|further|subsequent|renewal|automatic)\s+"
    r"(?:(?:periods?|terms?)\s+of\s+)?$",
    re.IGNORECASE,
)
_PERIOD_SUFFIX = re.compile(
    r"[\s-]*(?:renewal\s+|extension\s+)?(?:periods?|terms?)\b", re.IGNORECASE
)
_NOTICE_BEFORE = re.compile(
    r"(?:at\s+least|not\s+less\s+than|no\s+(?:later|less)\s+than|minimum\s+of|within|upon|"
    r"giving|gives?|provides?|notice\s+of|notice\s+period\s+of)\s*$",
    re.IGNORECASE,
)
_NOTICE_AFTER = re.compile(
    r"^[\s,]*(?:\([^)]*\)\s*)?(?:'\s*)?(?:prior|before|in\s+advance|advance|written\s+notice|"
    r"notice|following\s+the\s+renewal\s+notice|preceding)",
    re.IGNORECASE,
)
_NOT_RENEWAL_PERIOD = re.compile(
    r"(?:within|least|less\s+than|prior\s+to|notice\s+of|upon|later\s+than)\s*$", re.IGNORECASE
)
_STOP_RENEWAL = re.compile(
    r"\b(?:non-?\s?renewal|not\s+to\s+renew|intent(?:ion)?\s+(?:not\s+)?to\s+(?:renew|terminate)|"
    r"terminat\w*|cancel\w*|expiration|expiry|end\s+of)\b",
    re.IGNORECASE,
)


def _renewal_clauses(text: ContractText) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for match in _RENEWAL.finditer(text.lower):
        bounds = text.around(match.start())
        if bounds not in found and starts_word(text.lower, match.start()):
            found.append(bounds)
    return found


def _is_notice(content: str, duration: Duration, start: int, end: int) -> bool:
    before = content[max(start, duration.start - 40) : duration.start]
    after = content[duration.end : min(end, duration.end + 40)]
    return bool(_NOTICE_BEFORE.search(before) or _NOTICE_AFTER.match(after))


def renewal_terms(text: ContractText) -> list[Extracted]:
    """How long each renewal lasts, best first: a period of months or years introduced by
    "renew", "extend" or "continue" and described as "successive", "additional", "further" ...
    periods or terms (or as "term extensions"); a bare period only right after "renew"."""
    content = text.content
    described: list[Extracted] = []
    bare: list[Extracted] = []
    for start, end in _renewal_clauses(text):
        for duration in text.durations(start, end):
            if duration.unit not in ("month", "year") or duration.unit_start == duration.end:
                continue  # renewals run for months or years; "the fifth anniversary" is a date
            before = content[max(start, duration.start - 160) : duration.start]
            if _is_notice(content, duration, start, end) or _NOT_RENEWAL_PERIOD.search(before):
                continue
            if _AFTER_THE_END.match(content, duration.end, end):
                continue  # "for one (1) year following the expiration": a survival period
            lead = _RENEWAL_LEAD.search(before)
            prefix = _PERIOD_PREFIX.search(before)
            named = _RENEWAL_AFTER.match(content, duration.end, end)
            if not (lead or named):
                continue
            if not (prefix or named) and not (lead and lead.group(0).lower().startswith("renew")):
                continue
            suffix = named or _PERIOD_SUFFIX.match(content, duration.end, end)
            span_start = (
                duration.start - (len(before) - prefix.start()) if prefix else duration.start
            )
            if prefix:
                opening = re.match(r"(?:for|of)\s+", content[span_start : duration.start], re.I)
                span_start += opening.end() if opening else 0
            span = span_of(content, span_start, suffix.end() if suffix else duration.end)
            if span is None:
                continue
            extracted = Extracted(value=plain_periods(tidy(span.text)), span=span)
            kept = described if (prefix or named) else bare
            if extracted not in kept:
                kept.append(extracted)
    return described + [candidate for candidate in bare if candidate not in described]


def notice_periods(text: ContractText, renewal: Extracted | None) -> list[Extracted]:
    """The notice needed to stop a renewal, best first: a period of notice ("at least sixty
    (60) days prior") in the clause that states the renewal, or in a clause about not renewing
    or terminating at the end of the term. None without a renewal to stop."""
    if renewal is None:
        return []
    content = text.content
    near = text.around(renewal.span.start)
    places = [near, text.around(near[1] + 1)]
    places += [
        bounds
        for bounds in _renewal_clauses(text)
        if _STOP_RENEWAL.search(content, *bounds) and bounds not in places
    ]
    candidates: list[Extracted] = []
    for start, end in places:
        if start >= len(content):
            continue
        if not _STOP_RENEWAL.search(content, start, end) and not re.search(
            r"\bnotice\b|\bnotif", content[start:end], re.IGNORECASE
        ):
            continue
        for duration in text.durations(start, end):
            if duration.unit_start == duration.end or not _is_notice(content, duration, start, end):
                continue
            span = span_of(content, duration.start, duration.end)
            if span is None:
                continue
            extracted = Extracted(value=duration.plain, span=span)
            if extracted not in candidates:
                candidates.append(extracted)
    return candidates
