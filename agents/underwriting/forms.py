"""Reading the documents of a submission: `Label: value` application forms and loss-run tables.

The label vocabulary is documented in `data/samples/underwriting/README.md`. Parsing tolerates case,
spacing, order, missing optional fields and unknown labels; it never guesses a value it cannot read.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from schemas.underwriting import Claim, LossHistory

LABELS: dict[str, tuple[str, ...]] = {
    "applicant_name": (
        "applicant name",
        "applicant",
        "named insured",
        "insured name",
        "business name",
    ),
    "mailing_address": ("mailing address", "address", "business address"),
    "state": ("state", "risk state", "location state"),
    "business_class": ("business class", "class of business", "occupancy", "business type"),
    "years_in_business": ("years in business", "years established"),
    "annual_revenue": ("annual revenue", "revenue", "annual sales", "gross sales"),
    "construction_type": ("construction type", "construction", "building construction"),
    "year_built": ("year built", "year of construction"),
    "sprinklered": ("sprinklered", "sprinklers", "sprinkler system"),
    "requested_limit": ("requested limit", "limit requested", "limit", "building limit"),
    "prior_policy_number": (
        "prior policy number",
        "prior policy",
        "expiring policy number",
        "current policy number",
    ),
    "effective_date": ("effective date", "proposed effective date", "requested effective date"),
    "fein": ("fein", "tax id", "ein"),
    "contact_email": ("contact email", "email"),
}
"""Field name -> the labels that may carry it (compared after folding case and punctuation)."""

_LABEL_TO_FIELD = {label: name for name, labels in LABELS.items() for label in labels}

PARTY_LABELS = frozenset(
    {
        "owner", "owners", "principal owner", "principal owners", "beneficial owner",
        "beneficial owners", "principal", "principals", "officer", "officers", "president",
        "ceo", "chief executive officer", "cfo", "director", "directors", "managing member",
        "member", "members", "partner", "partners", "general partner", "shareholder",
        "shareholders", "parent", "parent company", "holding company", "ultimate parent",
        "subsidiary", "subsidiaries", "affiliate", "affiliates", "loss payee", "loss payees",
        "mortgagee", "additional insured", "additional insureds", "guarantor", "signatory",
        "signed by", "contact name", "contact", "dba", "doing business as", "trade name",
    }
)  # fmt: skip
"""Labels (folded) whose values name a person or an organisation: every one is screened."""
_CONNECTORS = frozenset({"of", "and", "the", "de", "da", "del", "van", "von", "al", "bin", "&"})


def _reads_like_a_name(value: str) -> bool:
    """Two to eight words, each capitalised but for connectors (`of`, `de`, `van`…): a proper
    name, not a sentence or a description."""
    words = value.replace(",", " ").split()
    return (
        2 <= len(words) <= 8
        and all(
            word[0].isupper() or word.lower() in _CONNECTORS for word in words if word[0].isalpha()
        )
        and sum(word[0].isalpha() for word in words) >= 2
    )


_LINE = re.compile(r"^\s*[-*•]?\s*([A-Za-z][A-Za-z0-9 /&()#.'_-]{0,60}?)\s*:\s*(.*?)\s*$")

STATE_NAMES = {
    "alabama": "AL",
    "alaska": "AK",
    "arizona": "AZ",
    "arkansas": "AR",
    "california": "CA",
    "colorado": "CO",
    "connecticut": "CT",
    "delaware": "DE",
    "district of columbia": "DC",
    "florida": "FL",
    "georgia": "GA",
    "hawaii": "HI",
    "idaho": "ID",
    "illinois": "IL",
    "indiana": "IN",
    "iowa": "IA",
    "kansas": "KS",
    "kentucky": "KY",
    "louisiana": "LA",
    "maine": "ME",
    "maryland": "MD",
    "massachusetts": "MA",
    "michigan": "MI",
    "minnesota": "MN",
    "mississippi": "MS",
    "missouri": "MO",
    "montana": "MT",
    "nebraska": "NE",
    "nevada": "NV",
    "new hampshire": "NH",
    "new jersey": "NJ",
    "new mexico": "NM",
    "new york": "NY",
    "north carolina": "NC",
    "north dakota": "ND",
    "ohio": "OH",
    "oklahoma": "OK",
    "oregon": "OR",
    "pennsylvania": "PA",
    "rhode island": "RI",
    "south carolina": "SC",
    "south dakota": "SD",
    "tennessee": "TN",
    "texas": "TX",
    "utah": "UT",
    "vermont": "VT",
    "virginia": "VA",
    "washington": "WA",
    "west virginia": "WV",
    "wisconsin": "WI",
    "wyoming": "WY",
}

CONSTRUCTION = {
    "frame": "frame",
    "wood frame": "frame",
    "wood": "frame",
    "joisted masonry": "joisted_masonry",
    "ordinary": "joisted_masonry",
    "masonry": "masonry",
    "brick": "masonry",
    "masonry non combustible": "masonry",
    "noncombustible": "noncombustible",
    "non combustible": "noncombustible",
    "steel": "noncombustible",
    "metal": "noncombustible",
    "fire resistive": "fire_resistive",
    "fire resistant": "fire_resistive",
    "concrete": "fire_resistive",
}

_TRUE = {"yes", "y", "true", "full", "fully sprinklered", "100%"}
_FALSE = {"no", "n", "false", "none", "partial", "partially", "not sprinklered"}


def fold(text: str) -> str:
    """Lower case, punctuation to spaces, single spaces."""
    return " ".join(re.sub(r"[^a-z0-9%]+", " ", text.lower()).split())


def read_labelled_lines(text: str) -> tuple[dict[str, str], list[str], list[str]]:
    """The `Label: value` lines of a form: the known fields, the unknown labels, and the fields
    written more than once with different values (left out: which one holds is not plain, and a
    second line is how a document would try to overwrite a fact)."""
    seen: dict[str, list[str]] = {}
    unknown: list[str] = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        label, value = fold(match.group(1)), match.group(2)
        name = _LABEL_TO_FIELD.get(label)
        if name is None:
            unknown.append(match.group(1).strip())
        elif value:
            seen.setdefault(name, []).append(value)
    found: dict[str, str] = {}
    conflicting: list[str] = []
    for name, values in seen.items():
        if len({fold(value) for value in values}) == 1:
            found[name] = values[0]
        else:
            conflicting.append(name)
    return found, unknown, conflicting


_SUSPICIOUS = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\b(?:ignore|disregard|forget)\b.{0,40}\b(?:instructions?|rules?|previous|above)\b",
        r"\bskip(?:ping)?\b.{0,20}\breview\b",
        r"\b(?:pre-?approved|already approved|auto-?approve)\b",
        r"\bapprove\b.{0,40}\b(?:immediately|now|without|this (?:case|submission|application))\b",
        r"^\s*(?:system|assistant|developer)\s*(?:note|prompt|message)?\s*:",
        r"\b(?:instructions?|note) (?:to|for) the (?:ai|model|assistant|system)\b",
        r"\breviewer note\b",
        r"\b(?:set|mark|change)\b.{0,30}\b(?:risk band|compliance|decision|outcome)\b",
        r"[\"']action[\"']\s*:\s*[\"'](?:approve|reject|amend)",
        r"\b(?:decision|outcome)\s*:\s*(?:approved|declined|referred)\b",
    )
]


_PERSONAL = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    r"|\b\d{2}-\d{7}\b"  # FEINs
    r"|\b\d{3}-\d{2}-\d{4}\b"  # social security numbers
    r"|\b\d{9}\b"  # either, without dashes
    r"|(?<!\w)(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b"  # telephone numbers
)
MASK = "[redacted]"


def masked(text: str, sensitive: list[str]) -> str:
    """`text` with the sensitive values read from the documents (`sensitive`: the FEIN, the
    contact, the address) and anything shaped like an e-mail address, a FEIN, a social security
    or telephone number replaced: text derived from a sensitive field (a suspicious line, a
    value that could not be read, a model's quote) is redacted like the field itself."""
    for value in sorted((v for v in sensitive if v and len(v) >= 4), key=len, reverse=True):
        text = re.sub(re.escape(value), MASK, text, flags=re.IGNORECASE)
    return _PERSONAL.sub(MASK, text)


def named_parties(text: str) -> list[str]:
    """Every person or organisation a document names under a label: the party labels (owners,
    officers, parents, subsidiaries, loss payees…), and any label Baton does not know whose value
    reads like a name (screening more names costs a look; missing one costs far more). A value
    listing several names (`;`, or commas between full names) gives each."""
    names: list[str] = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match or not match.group(2):
            continue
        label, value = fold(match.group(1)), match.group(2).strip()
        if label in _LABEL_TO_FIELD or (
            label not in PARTY_LABELS and not _reads_like_a_name(value)
        ):
            continue
        for name in _split_names(value):
            if name not in names:
                names.append(name)
    return names


def _split_names(value: str) -> list[str]:
    names: list[str] = []
    for piece in (p.strip() for p in value.split(";")):
        parts = [p.strip() for p in piece.split(",")]
        if len(parts) > 1 and all(len(p.split()) >= 2 for p in parts):
            names.extend(parts)  # a list of full names
        elif piece:
            names.append(piece)  # one name, maybe `Sorokin, Ivan P.` or `Acme, Inc.`
    return [name for name in names if re.search(r"[^\W\d_]", name)]


def suspicious_lines(text: str) -> list[tuple[int, str]]:
    """Lines that read like instructions to the system rather than facts (line number, text)."""
    return [
        (number, line.strip())
        for number, line in enumerate(text.splitlines(), start=1)
        if any(pattern.search(line) for pattern in _SUSPICIOUS)
    ]


def parse_money(text: str) -> float:
    """`$1,250,000`, `1.25M`, `2 million`, `750k`, `1,000,000 USD` -> a number of dollars."""
    cleaned = " ".join(text.lower().replace(",", "").replace("$", "").replace("usd", "").split())
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(k|thousand|m|mm|million|b|billion)?", cleaned)
    if not match:
        raise ValueError(f"not an amount: {text!r}")
    scale = {
        "k": 1e3,
        "thousand": 1e3,
        "m": 1e6,
        "mm": 1e6,
        "million": 1e6,
        "b": 1e9,
        "billion": 1e9,
    }
    return float(match.group(1)) * scale.get(match.group(2) or "", 1.0)


def parse_int(text: str) -> int:
    """`7`, `7 years`, `12 yrs.`: a whole number, never negative (`-4` is not read as 4)."""
    cleaned = " ".join(text.lower().replace(",", "").split()).rstrip(".")
    match = re.fullmatch(r"(\d{1,4})(?:\s*(?:years?|yrs?))?", cleaned)
    if not match:
        raise ValueError(f"not a whole number: {text!r}")
    return int(match.group(1))


MAX_LIMIT = 1_000_000_000.0
"""The largest property limit read as plausible (a billion); above it, a typo or a forgery."""
MAX_REVENUE = 1_000_000_000_000.0
MAX_YEARS_IN_BUSINESS = 300


def implausible(values: dict[str, Any], today: date) -> list[str]:
    """Values that were read but cannot be true, each with why; they are taken out of `values`
    (an impossible value is an unreadable one, never a guess): a building built after the policy
    starts, more years in business than any business has, a limit or revenue past any account."""
    problems: list[str] = []
    effective = values.get("effective_date")
    latest_year = effective.year if isinstance(effective, date) else today.year + 1
    checks: dict[str, tuple[bool, str]] = {
        "year_built": (
            isinstance(values.get("year_built"), int)
            and not 1700 <= values["year_built"] <= latest_year,
            f"{values.get('year_built')} is not a year a standing building was built "
            f"(1700 to {latest_year}, the policy's start)",
        ),
        "years_in_business": (
            isinstance(values.get("years_in_business"), int)
            and values["years_in_business"] > MAX_YEARS_IN_BUSINESS,
            f"{values.get('years_in_business')} years is more than any business has been in "
            f"business (at most {MAX_YEARS_IN_BUSINESS})",
        ),
        "requested_limit": (
            isinstance(values.get("requested_limit"), float)
            and not 0 < values["requested_limit"] <= MAX_LIMIT,
            f"{values.get('requested_limit')!r} is outside any plausible limit (0 to {MAX_LIMIT:,.0f})",
        ),
        "annual_revenue": (
            isinstance(values.get("annual_revenue"), float)
            and values["annual_revenue"] > MAX_REVENUE,
            f"{values.get('annual_revenue')!r} is more revenue than any business has "
            f"(at most {MAX_REVENUE:,.0f})",
        ),
    }
    for name, (impossible, why) in checks.items():
        if impossible:
            values.pop(name)
            problems.append(f"{name}: {why}")
    return problems


def parse_date(text: str) -> date:
    """ISO `2027-01-01`, US `01/01/2027`, or `January 1, 2027`."""
    raw = text.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


def parse_bool(text: str) -> bool:
    folded = fold(text)
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise ValueError(f"not yes or no: {text!r}")


def parse_state(text: str) -> str:
    folded = fold(text)
    if len(folded) == 2 and folded.upper() in STATE_NAMES.values():
        return folded.upper()
    if folded in STATE_NAMES:
        return STATE_NAMES[folded]
    raise ValueError(f"not a US state: {text!r}")


def parse_construction(text: str) -> str:
    folded = fold(text)
    if folded in CONSTRUCTION:
        return CONSTRUCTION[folded]
    raise ValueError(f"not a construction type: {text!r}")


def _text(text: str) -> str:
    value = " ".join(text.split())
    if not value:
        raise ValueError("empty")
    return value


PARSERS: dict[str, Any] = {
    "applicant_name": _text,
    "mailing_address": _text,
    "state": parse_state,
    "business_class": _text,
    "years_in_business": parse_int,
    "annual_revenue": parse_money,
    "construction_type": parse_construction,
    "year_built": parse_int,
    "sprinklered": parse_bool,
    "requested_limit": parse_money,
    "prior_policy_number": _text,
    "effective_date": parse_date,
    "fein": _text,
    "contact_email": _text,
}


_NO_LOSSES = re.compile(r"\bno (?:losses|claims|loss)\b", re.IGNORECASE)


def read_loss_run(text: str) -> tuple[LossHistory | None, list[str]]:
    """The claims of a loss-run table (`|`, tab or comma separated, header row with dates and
    paid amounts), an empty history when it states there were no losses, or None when neither
    can be read; with the rows that could not be read."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    header_index = next(
        (i for i, line in enumerate(lines) if "date" in line.lower() and "paid" in line.lower()),
        None,
    )
    if header_index is None:
        return (LossHistory(provided=True) if _NO_LOSSES.search(text) else None), []
    header = lines[header_index]
    separator = "|" if "|" in header else ("\t" if "\t" in header else ",")
    columns = [fold(cell) for cell in header.strip("|").split(separator)]

    def column(*names: str) -> int | None:
        return next((i for i, col in enumerate(columns) for n in names if n in col), None)

    at = {
        "date": column("date"),
        "cause": column("cause", "description", "type"),
        "paid": column("paid"),
        "reserved": column("reserve", "outstanding"),
        "status": column("status"),
    }
    if at["date"] is None or at["paid"] is None:
        return None, []
    claims: list[Claim] = []
    problems: list[str] = []
    # Problems name the row and the column, never the cell's text: a loss run can hold personal data.
    for number, line in enumerate(lines[header_index + 1 :], start=1):
        cells = [cell.strip() for cell in line.strip("|").split(separator)]
        if set(line) <= set("-|=+ ") or separator not in line:
            continue  # a rule line, or a note under the table: not a row
        if len(cells) < len(columns):
            problems.append(f"loss run row {number}: {len(cells)} cells, expected {len(columns)}")
            continue
        try:
            column_name = "date"
            date_of_loss = parse_date(cells[at["date"]])
            column_name = "paid"
            paid = parse_money(cells[at["paid"]])
            column_name = "reserved"
            reserved = parse_money(cells[at["reserved"]]) if at["reserved"] is not None else 0.0
        except ValueError:
            problems.append(f"loss run row {number}: the {column_name} column could not be read")
            continue
        status = at["status"] is not None and "open" in cells[at["status"]].lower()
        claims.append(
            Claim(
                date_of_loss=date_of_loss,
                cause=cells[at["cause"]] if at["cause"] is not None else "unspecified",
                paid=paid,
                reserved=reserved,
                status="open" if status else "closed",
            )
        )
    return LossHistory(provided=True, claims=claims), problems
