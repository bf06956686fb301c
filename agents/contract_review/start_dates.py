"""When the contract was made (agreement date) and when it takes effect (effective date).

Each finder returns its candidates best first, so that a second attempt can move on to the next
one when the evaluator rejects the first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agents.contract_review.contract_text import ContractText
from agents.contract_review.dates import DateMention
from agents.contract_review.spans import extracted_date
from schemas.contract_review import ExtractedDate

_PREAMBLE_END = re.compile(
    r"\bWHEREAS\b|\bRECITALS?\b|W\s?I\s?T\s?N\s?E\s?S\s?S\s?E\s?T\s?H|NOW,?\s+THEREFORE|"
    r"\bBACKGROUND\b|IT IS (?:HEREBY )?AGREED|\bPreliminary Statement|\bDEFINITIONS\b",
    re.IGNORECASE,
)
_MADE_CUE = re.compile(
    r"(?:\bdated|\bas\s+of|\bmade|\bentered\s+into|\beffective|\bexecuted|\bthis|\bon|\bdate\s*:"
    r"|\bday\s+of)[\s\w,:()\"\u201c\u201d]{0,40}$",
    re.IGNORECASE,
)
_OTHER_AGREEMENT = re.compile(
    r"(?:agreement|amendment|contract|indenture|plan|license)\s+(?:\([^)]*\)\s*)?"
    r"(?:dated|entered\s+into|executed|effective)\s+(?:as\s+of\s+|on\s+)?$",
    re.IGNORECASE,
)
_THIS_NAMED = re.compile(r"\bthis\s+(?:[\w-]+\s+){0,6}$", re.IGNORECASE)
_WITNESS = re.compile(r"in\s+witness\s+where(?:of|fore)|intending\s+to\s+be\s+legally\s+bound")
_FILING_STAMP = re.compile(r"(?:^|\n)\s*source:[^\n]*$")
"""The filing stamp on each page of an EDGAR exhibit ("Source: ACME INC, 8-K, 3/16/2018")."""
_SIGNATURE_DATE = re.compile(r"(?:^|\n|\s\s)date(?:d|\s+signed)?\s*:[\s\w:/-]{0,40}$")
"""A "Date:" line of a signature block (not "Effective Date:"). Lower case."""
_DATE_HEADING = re.compile(r"(?:^|\n)\s*date(?:d)?\s*:\s*$")
_ENDING = re.compile(r"terminat|expir", re.IGNORECASE)

_EFFECTIVE_NAMED_AFTER = re.compile(
    r"[\s,]*(?:\(\s*(?:the\s+|hereinafter\s+(?:the\s+)?)?[\"\u201c\u201d']*|[\"\u201c\u201d']+)"
    r"\s*effective\s+date\b",
    re.IGNORECASE,
)
_EFFECTIVE_CUE_BEFORE = re.compile(
    r"(?:effective\s+date[\"\u201d]?\s*(?:shall\s+)?(?:means?|is|be|:)\s*(?:the\s+date\s+of\s+)?"
    r"|\beffective\s+(?:as\s+)?(?:of|on|from)?\s*(?:this\s+)?(?:the\s+)?"
    r"|(?:commence|commences|commencing|begin|begins|beginning|take\s+effect|start|starts)"
    r"\s*(?:on|as\s+of|from|:)?\s*(?:this\s+)?(?:the\s+)?"
    r"|contract\s+start\s*:\s*|effective\s+date\s*:?\s*)$",
    re.IGNORECASE,
)
_THIS_AGREEMENT = re.compile(
    r"\bthis\s+(?:[\w-]+\s+){0,4}?(?:agreement|contract|amendment|addendum)\b|\bthe\s+term\b"
    r"|\bhereof\b|\bcontract\s+(?:period|start)\b|\beffective\s+date\b",
    re.IGNORECASE,
)
_DATE_ABOVE = re.compile(
    r"(?:effective|commenc\w*|begin\w*)\s+(?:as\s+of\s+|on\s+|from\s+)?the\s+(?:first\s+)?"
    r"(?:date|day\s+and\s+year)\s+(?:first\s+)?(?:above\s+written|written\s+above|"
    r"set\s+forth\s+above|hereof|of\s+this\s+agreement)"
)
"""The contract takes effect when it was made. Matched against the lower-case text."""


def _preamble(content: str, anchor: int) -> tuple[int, int]:
    start = max(0, anchor - 800)
    stop = _PREAMBLE_END.search(content, anchor, min(len(content), anchor + 2500))
    return start, stop.start() if stop else min(len(content), anchor + 2500)


def _candidates(content: str, mentions: Sequence[DateMention]) -> list[ExtractedDate]:
    candidates: list[ExtractedDate] = []
    for mention in mentions:
        extracted = extracted_date(content, mention)
        if extracted and extracted not in candidates:
            candidates.append(extracted)
    return candidates


def _made_on(content: str, mention: DateMention) -> bool:
    """Whether the date is introduced as this contract's ("This Agreement, dated as of"), not
    another's ("amends the Distribution Agreement dated October 1, 1996")."""
    before = content[max(0, mention.start - 90) : mention.start]
    if not _MADE_CUE.search(before):
        return False
    other = _OTHER_AGREEMENT.search(before)
    return other is None or bool(_THIS_NAMED.search(before, 0, other.start()))


def _stamped(text: ContractText, mention: DateMention) -> bool:
    return bool(_FILING_STAMP.search(text.lower, max(0, mention.start - 120), mention.start))


def _signed_on(text: ContractText) -> list[DateMention]:
    """Dates written by the signatures ("Date: June 29, 2009", "IN WITNESS WHEREOF ... Rome, 2
    April 2020"), latest first: the agreement is made when the last party signs."""
    dated = [
        mention
        for mention in text.dates()
        if _SIGNATURE_DATE.search(text.lower, max(0, mention.start - 60), mention.start)
    ]
    for witness in _WITNESS.finditer(text.lower):
        dated += text.dates(witness.end(), witness.end() + 400)[:1]
    return sorted(dated, key=lambda mention: (mention.on is not None, mention.on), reverse=True)


def agreement_dates(
    text: ContractText, anchors: Sequence[int], widen: bool = False
) -> list[ExtractedDate]:
    """Dates the contract says it was made, best first: a date in the preamble (around each of
    `anchors`, where the parties are named or "This Agreement" begins) introduced by "dated",
    "as of", "made", "entered into", "this ... day of"; a "Date:" heading on the first page; the
    dates by the signatures. With `widen`, also the first date on the first page."""
    content = text.content
    found: list[DateMention] = []
    for anchor in anchors:
        found += [
            mention
            for mention in text.dates(*_preamble(content, anchor))
            if _made_on(content, mention)
        ]
    found += [
        mention
        for mention in text.dates(0, 3000)
        if _DATE_HEADING.search(text.lower, max(0, mention.start - 30), mention.start)
    ]
    found += _signed_on(text)
    if widen:
        found += text.dates(0, 3000)[:1]
    return _candidates(content, [mention for mention in found if not _stamped(text, mention)])


def effective_dates(
    text: ContractText, anchors: Sequence[int], agreement: ExtractedDate | None
) -> list[ExtractedDate]:
    """Dates the contract says it takes effect, best first: a date named the "Effective Date", a
    date this agreement is "effective as of" or "commences on"; else, when the contract takes
    effect "as of the date first above written", the agreement date."""
    content = text.content
    preambles = [_preamble(content, anchor) for anchor in anchors]
    found: list[DateMention] = []
    for mention in text.dates():
        before = content[max(0, mention.start - 70) : mention.start]
        named = _EFFECTIVE_NAMED_AFTER.match(content, mention.end, mention.end + 40)
        cued = _EFFECTIVE_CUE_BEFORE.search(before)
        if not (named or cued) or _ENDING.search(before):
            continue
        in_preamble = any(start <= mention.start < end for start, end in preambles)
        if cued and not named and not in_preamble:
            start, end = text.around(mention.start)
            if not _THIS_AGREEMENT.search(content, start, end):
                continue
        found.append(mention)
    candidates = _candidates(content, found)
    if agreement is not None and _DATE_ABOVE.search(text.lower) and agreement not in candidates:
        candidates.append(agreement)
    return candidates
