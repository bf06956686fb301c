"""Governing law: the jurisdiction whose law governs the contract ("governed by and construed in
accordance with the laws of the State of New York" -> New York)."""

from __future__ import annotations

import re

from agents.contract_review.contract_text import ContractText
from agents.contract_review.spans import span_of, starts_word
from schemas.contract_review import Extracted

US_STATES = [
    "Alabama",
    "Alaska",
    "Arizona",
    "Arkansas",
    "California",
    "Colorado",
    "Connecticut",
    "Delaware",
    "District of Columbia",
    "Florida",
    "Georgia",
    "Hawaii",
    "Idaho",
    "Illinois",
    "Indiana",
    "Iowa",
    "Kansas",
    "Kentucky",
    "Louisiana",
    "Maine",
    "Maryland",
    "Massachusetts",
    "Michigan",
    "Minnesota",
    "Mississippi",
    "Missouri",
    "Montana",
    "Nebraska",
    "Nevada",
    "New Hampshire",
    "New Jersey",
    "New Mexico",
    "New York",
    "North Carolina",
    "North Dakota",
    "Ohio",
    "Oklahoma",
    "Oregon",
    "Pennsylvania",
    "Rhode Island",
    "South Carolina",
    "South Dakota",
    "Tennessee",
    "Texas",
    "Utah",
    "Vermont",
    "Virginia",
    "Washington",
    "West Virginia",
    "Wisconsin",
    "Wyoming",
]
OTHER_JURISDICTIONS = [
    "England and Wales",
    "England",
    "Scotland",
    "Northern Ireland",
    "Ontario",
    "Quebec",
    "British Columbia",
    "Alberta",
    "Victoria",
    "New South Wales",
    "Queensland",
    "People's Republic of China",
    "Hong Kong",
    "Singapore",
    "Taiwan",
    "Japan",
    "Korea",
    "India",
    "Israel",
    "Germany",
    "Federal Republic of Germany",
    "France",
    "Italy",
    "Spain",
    "Switzerland",
    "the Netherlands",
    "Netherlands",
    "Belgium",
    "Sweden",
    "Denmark",
    "Norway",
    "Finland",
    "Ireland",
    "Luxembourg",
    "Austria",
    "Canada",
    "Australia",
    "New Zealand",
    "Mexico",
    "Brazil",
    "Colombia",
    "Republic of Colombia",
    "Cayman Islands",
    "Bermuda",
    "British Virgin Islands",
    "Puerto Rico",
    "United Kingdom",
    "United States of America",
    "United States",
    "China",
]
_ADJECTIVES = {
    "English": "England",
    "German": "Germany",
    "Swiss": "Switzerland",
    "Dutch": "Netherlands",
}
_CANONICAL = {
    "Federal Republic of Germany": "Germany",
    "Republic of Colombia": "Colombia",
    "the Netherlands": "Netherlands",
}
_FEDERATIONS = {"United States", "United States of America", "Canada", "Australia"}
_PLACE = "|".join(
    re.escape(name.lower()).replace(r"\ ", r"\s+").replace("'", "['\u2019]")
    for name in sorted(US_STATES + OTHER_JURISDICTIONS, key=len, reverse=True)
)
_LAWS_OF = re.compile(
    r"(?:laws?|regulations)\s+(?:of|in|under)\s+(?:the\s+)?"
    r"(?:(?:state|commonwealth|province|republic)\s+of\s+)?"
    rf"(?:the\s+)?(?P<place>{_PLACE})\b"
)
"""Matched against the lower-case text."""
_STATE_OF = re.compile(rf"(?:state|commonwealth|province)\s+of\s+(?P<place>{_PLACE})\b")
"""A place named in a governing-law sentence without "laws of" just before it: "the laws of the
United States and the State of Florida", "accepted in the State of Nevada and governed by the
laws thereof"."""
_ADJECTIVE_LAW = re.compile(rf"(?P<adjective>{'|'.join(_ADJECTIVES)})\s+law\b")
_GOVERNS = re.compile(
    r"\b(?:govern\w*|constru\w*|interpret\w*|enforced|determined\s+in\s+accordance|"
    r"subject\s+to|in\s+accordance\s+with|applies|apply|shall\s+prevail)\b",
    re.IGNORECASE,
)
_NOT_GOVERNING = re.compile(
    r"\b(?:organi[sz]ed|incorporated|existing|formed|registered|chartered|duly)\s+(?:\w+\s+){0,3}$",
    re.IGNORECASE,
)
_THIS_CONTRACT = re.compile(
    r"\bthis\s+(?:agreement|contract|amendment|manual|warrant|assignment|addendum)\b|\bhereunder\b"
    r"|\bhereof\b|\bthe\s+parties\b|\bits\s+interpretation\b",
    re.IGNORECASE,
)


_LAW_WORD = re.compile(r"\blaws?\s+(?:thereof|of\s+the\s+united\s+states)", re.IGNORECASE)


def _canonical(place: str) -> str:
    words = " ".join(place.replace("\u2019", "'").split())
    for name in US_STATES + OTHER_JURISDICTIONS:
        if words.lower() == name.lower():
            return _CANONICAL.get(name, name)
    return words


def governing_laws(text: ContractText) -> list[Extracted]:
    """Jurisdictions whose law the contract says governs it, best first: those named in a
    sentence that says this agreement is governed, construed or interpreted by their laws."""
    content = text.content
    ranked: list[tuple[float, int, Extracted]] = []
    matches = [
        (match.start("place"), match.end("place"), _canonical(match.group("place")))
        for match in _LAWS_OF.finditer(text.lower)
        if starts_word(text.lower, match.start())
    ]
    named = {start for start, _, _ in matches}
    matches += [
        (match.start("place"), match.end("place"), _canonical(match.group("place")))
        for match in _STATE_OF.finditer(text.lower)
        if match.start("place") not in named
    ]
    matches += [
        (match.start(), match.end("adjective"), _ADJECTIVES[match.group("adjective")])
        for match in _ADJECTIVE_LAW.finditer(content)
        if starts_word(content, match.start())
    ]
    for start, end, place in matches:
        if _NOT_GOVERNING.search(content, max(0, start - 60), start):
            continue
        clause_start, clause_end = text.around(start)
        clause_start = min(clause_start, max(0, start - 150))  # "governed by the\n\nlaws of"
        if not _GOVERNS.search(content, clause_start, clause_end):
            continue
        strength = 0.0 if re.search(r"govern", content[clause_start:clause_end], re.I) else 1.0
        if start not in named and not _LAW_WORD.search(content, clause_start, clause_end):
            continue
        if start not in named:
            strength += 0.25
        if not _THIS_CONTRACT.search(content, clause_start, clause_end):
            strength += 2
        if place in _FEDERATIONS:
            strength += 0.5  # "the laws of the United States and the State of Florida": Florida
        span = span_of(content, start, end)
        if span is not None:
            ranked.append((strength, start, Extracted(value=place, span=span)))
    candidates: list[Extracted] = []
    for _, _, extracted in sorted(ranked, key=lambda item: (item[0], item[1])):
        if extracted.value not in [candidate.value for candidate in candidates]:
            candidates.append(extracted)
    return candidates
