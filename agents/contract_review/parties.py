"""Who signed: the parties named in the preamble ("by and between X, a Delaware corporation
("Seller"), and Y ("Buyer")"), and, when asked to look wider, the signature block.

A party is a name followed by its defined-term parenthetical (the "Seller"); the name is the text
before it, cut where the description begins (", a Delaware corporation", ", having its principal
place of business", an address). Parentheticals that name the agreement, a date or the parties
together ("collectively, the "Parties"") are not parties.
"""

from __future__ import annotations

import re

from agents.contract_review.spans import lowered, span_of, starts_word, tidy
from schemas.contract_review import Extracted

_SUFFIX = (
    r"(?:Inc|Incorporated|LLC|L\.L\.C|Ltd|Limited\s+Partnership|Limited(?!\s+Partnership)|Corp"
    r"|Corporation|Co|Company|N\.A|S\.A|L\.P|LP|LLP|PLC|plc|AG|GmbH|B\.V|N\.V|S\.p\.A|S\.R\.L"
    r"|SRL|Pty|A/S|S\.A\.S|SARL|FSB)\.?"
)
"""A legal form that ends a company's name."""
_KEYWORD = re.compile(
    r"(?:between|among(?:st)?)\b\s*:?|(?:entered\s+into|made|executed)\s+by\b(?!\s+and\b)"
)
"""Matched against the lower-case text."""
_STOP = re.compile(
    r"whereas\b|recitals?\b|w\s?i\s?t\s?n\s?e\s?s\s?s\s?e\s?t\s?h|now,?\s+therefore|"
    r"background\b|it\s+is\s+(?:hereby\s+)?agreed|in\s+consideration\b|preliminary\s+statement"
)
"""Where the preamble ends (the recitals begin). Matched against the lower-case text."""
_SENTENCE_END = re.compile(
    r"(?<!\b[A-Z])(?<!\b\d)(?<!\bInc)(?<!\bLtd)(?<!\bCorp)(?<!\bCo)(?<!\bNo)(?<!\bSt)"
    r"(?<!\bINC)(?<!\bLTD)(?<!\bCORP)(?<!\bCO)\.\s+(?=[A-Z])|\.[ \t]*\r?\n[ \t]*\r?\n"
)
"""Where the sentence naming the parties ends: a full stop before a capital (not after an
initial or an abbreviated legal form), or a full stop closing a paragraph ("... ("Boxlot").
<blank line> 1. DEFINITIONS")."""
_ALIAS = re.compile(
    r"\((?:[^()]|\([^()]*\)){0,250}?\)|\b(?:hereinafter|herein)\s+(?:referred\s+to\s+as|called)"
    r"\s+[\"\u201c'][^\"\u201d']{1,60}[\"\u201d']",
    re.IGNORECASE,
)
"""A parenthetical, or a "hereinafter referred to as "X"" without one."""
_QUOTED = re.compile(
    r"[\"\u201c\u201d'\u2018\u2019-]{1,2}\s*([^\"\u201c\u201d]{1,60}?)\s*[\"\u201d\u2019')]"
)
_NOT_PARTY_ALIASES = re.compile(
    r"^(?:the\s+)?(?:agreement|contract|amendment|addendum|effective date|execution date|"
    r"parties|party|closing date|term|territory|product|products|services|us|we|you)$",
    re.IGNORECASE,
)
_GROUP = re.compile(r"^\(\s*(?:together|collectively|each|individually|and\s+together)\b", re.I)
_ONE_TERM = re.compile(
    r"^\(\s*collectively,?\s*(?:the\s+)?[\"\u201c][^\"\u201c\u201d]{1,40}[\"\u201d]"
    r"(?:\s+or\s+(?:the\s+)?[\"\u201c][^\"\u201c\u201d]{1,40}[\"\u201d])?\s*\)$",
    re.I,
)
_WITH_ITS_GROUP = re.compile(
    r"\band\s+its\s+(?:[\w-]+\s+){0,3}?(?:subsidiaries|affiliates)\b", re.I
)
"""A company named with its group ("MusclePharm Corporation ... and its subsidiaries,
(collectively, "MusclePharm")"): one party, though its term says collectively."""
_LEAD = re.compile(
    r"^[\s,;:.\-\u2013]*(?:(?:by\s+and\s+)?(?:between|among)\b\s*:?\s*)?"
    r"(?:(?:and|AND|And)\b\s*:?[\s\-\u2013]*)?(?:on the other hand,?\s*)?"
    r"(?:(?:its|their)\s+[A-Z][\w\-]*(?:\s+[A-Z][\w\-]*){0,2}\s*,\s*(?=[A-Z]))?"
    r"(?:\(\s*\w{1,3}\s*\)|\d{1,2}\.|\d{1,2}\)|[a-z]\))?\s*"
)
"""What comes before a name in its segment: "and", "(2)", "between:", "and its Reseller,"."""
_CONTINUATION = re.compile(
    r"(?:a|an|having|with|located|whose|which|organized|incorporated|existing|each|its|as|on|"
    r"for|dba|formerly|through|in|of|is|are|residing|acting|together)\b"
)
"""A segment that goes on describing the previous party ("a Nevada corporation, having ...")."""
_LAST_AND = re.compile(r"(?:\band\b|;|\bAND\b)\s*:?\s*(?=\S)")
_CUT = re.compile(  # where the description after a name begins
    r"\s*\(|\s*\[|"
    r",?\s+(?:a|an)\s+(?=[A-Z]|(?:corporation|company|limited|private|public|general|joint|"
    r"business|statutory|charitable|individual|contractual|division|partnership)\b)|"
    r",\s*(?:a|an|having|with|located|whose|which|organized|incorporated|existing|doing|on\s+behalf"
    r"|as|acting|its|through|for|residing|being|in|registered|address|hereinafter|herein|c/o)\b|"
    r"\s+(?:having|with\s+(?:its|a|an|offices|registered|principal)|located|whose|organized|"
    r"incorporated|existing|residing|on\s+behalf|through|and/or|hereinafter|herein|"
    r"of\s+(?=\d|\()|at\s+\d|\d{2,}|Suite\b|Room\b|P\.?O\.? Box)|"
    rf",\s*\d|,\s+(?!{_SUFFIX}(?![\w])|dba\b|d/b/a\b|a/k/a\b)|\s*\bd/b/a/?|\s+dba\b|\s*[;:]"
)
_AFTER_SUFFIX = re.compile(rf"\b{_SUFFIX}(?=\s+(?!{_SUFFIX}(?!\w))[^\s,(&])", re.IGNORECASE)
_LEGAL_FORM_END = re.compile(rf"\b{_SUFFIX}$", re.IGNORECASE)
_JOINT = re.compile(r"\s(?:and|AND|And)\b\s*:?|;")
_LINE_START = re.compile(r"(?m)^[ \t]*(?=\S)")
_UNQUOTED_ALIAS = re.compile(
    r"\(\s*(?:hereinafter\s+(?:referred\s+to\s+as\s+)?)?[A-Z][A-Za-z&@.\-]*"
    r"(?:\s+[A-Z][A-Za-z&@.\-]*){0,2}\s*\)"
)
_NAME_WORD = re.compile(
    rf"(?:[A-Z0-9&@\[]|.*[A-Z.\-/_@]|{_SUFFIX}$|corporation$|company$|limited$|of$|and$|the$|for$|"
    r"de$|du$|la$|le$|von$|van$|der$|des$|y$|e$|i$|on$|in$|a$)"
)
_SIGNATURE = re.compile(r"IN\s+WITNESS\s+WHEREOF", re.IGNORECASE)
_BY_LINE = re.compile(r"(?m)^[ \t]*(?:By|BY|Signed|Signature)\s*[:_.]")
_ORGANISATION = re.compile(
    rf"[A-Z][\w&.,'\u2019/\- ]{{1,80}}?(?:,\s*|\s+){_SUFFIX}(?![\w])"
    r"|[A-Z][A-Z0-9&.'\u2019\- ]{3,60}[A-Z.]"
)
_NOT_NAMES = re.compile(
    r"\b(?:WITNESS|AGREEMENT|NAME|TITLE|DATE|SIGNATURE|EXHIBIT|SCHEDULE|PAGE|BY|ITS|ADDRESS|"
    r"CONFIDENTIAL|ATTEST|NOTARY|DIRECTOR|PRESIDENT|OFFICER|SECRETARY|MANAGER)\b"
)
MAX_NAME = 120


def _trailing_name(text: str) -> str | None:
    """The company name that ends a run of ordinary words ("... under which MediaNet Group, Inc.
    authorizes"): the last words that all look like a name's, from the first of them in
    capitals, when they end in a legal form; None otherwise."""
    words = list(re.finditer(r"\S+", text))
    first = len(words)
    while first > 0 and _NAME_WORD.match(words[first - 1].group(0)):
        first -= 1
    while first < len(words) and not words[first].group(0)[0].isupper():
        first += 1
    if first == len(words):
        return None
    name = text[words[first].start() :]
    return name if _LEGAL_FORM_END.search(name) and _ORGANISATION.fullmatch(name) else None


def _name_in(content: str, start: int, end: int) -> tuple[int, int] | None:
    """Where the party name in `content[start:end]` (a preamble segment) starts and ends."""
    segment = content[start:end] + " ("  # the parenthetical that follows ends the name
    lead = _LEAD.match(segment)
    offset = lead.end() if lead else 0
    if _CONTINUATION.match(segment, offset):
        joints = list(_LAST_AND.finditer(segment, offset))
        if not joints:
            return None
        offset = joints[-1].end()
        lead = _LEAD.match(segment[offset:])
        offset += lead.end() if lead else 0
    cut = _CUT.search(segment, offset)
    stop = cut.start() if cut else len(segment)
    suffix_end = _AFTER_SUFFIX.search(segment, offset, stop)
    if suffix_end:
        stop = suffix_end.end()
    name = segment[offset:stop].rstrip(" ,(")
    if not all(map(_NAME_WORD.match, name.split())):
        trimmed = _trailing_name(name)
        if trimmed is None:
            return None
        offset += len(name) - len(trimmed)
        name = trimmed
    if not 2 <= len(name) <= MAX_NAME:
        return None
    if _CONTINUATION.match(name) or name.lower().startswith(("the parties", "the undersigned")):
        return None
    if name.split()[-1].lower() in ("and", "of", "the", "for", "or"):
        return None
    return start + offset, start + offset + len(name)


def _is_party_alias(parenthetical: str, before: str = "") -> bool:
    """Whether `parenthetical` gives a party its defined term (`before`: the text since the
    previous parenthetical, which names the party)."""
    if _GROUP.match(parenthetical) and not (
        _ONE_TERM.match(parenthetical) and _WITH_ITS_GROUP.search(before)
    ):
        return False
    quoted = _QUOTED.search(parenthetical)
    if quoted is None:
        return bool(_UNQUOTED_ALIAS.fullmatch(parenthetical))
    return not _NOT_PARTY_ALIASES.match(quoted.group(1).strip(" ,."))


def _region_end(content: str, low: str, start: int) -> int:
    limit = min(len(content), start + 2500)
    stop = _STOP.search(low, start, limit)
    end = stop.start() if stop else limit
    sentence = _SENTENCE_END.search(content, start, end)
    return sentence.end() if sentence else end


def _parties_after(content: str, low: str, start: int) -> list[tuple[int, int]]:
    """Names of the parties listed from `start` (just after "between"), by their parentheticals.
    `low` is the lower-case text (at least as far as the preamble goes)."""
    end = _region_end(content, low, start)
    names: list[tuple[int, int]] = []
    segment_start = start
    for alias in _ALIAS.finditer(content, start, end):
        if not _QUOTED.search(alias.group(0)) and not _UNQUOTED_ALIAS.fullmatch(alias.group(0)):
            continue  # an aside, "(Company Number 11036101)": the name may precede it
        if not _is_party_alias(alias.group(0), content[segment_start : alias.start()]):
            segment_start = alias.end()
            continue
        name = _name_in(content, segment_start, alias.start())
        if name and name not in names:
            names.append(name)
        segment_start = alias.end()
    return names


def _plain_list(content: str, low: str, start: int) -> list[tuple[int, int]]:
    """Names listed with no parentheticals: "BETWEEN X, a Delaware company AND Y" (title pages,
    short letters). Only names with a legal form, or in capitals, count."""
    stop = _STOP.search(low, start, min(len(content), start + 1500))
    end = stop.start() if stop else min(len(content), start + 1500)
    names: list[tuple[int, int]] = []
    piece_start = start
    for joint in [*_JOINT.finditer(content, start, end), None]:
        piece_end = joint.start() if joint else end
        name = _name_in(content, piece_start, piece_end)
        text = content[name[0] : name[1]] if name else ""
        if (
            name
            and _ORGANISATION.fullmatch(text)
            and (len(names) < 2 or _LEGAL_FORM_END.search(text))
        ):
            names.append(name)
        elif names:
            break
        piece_start = joint.end() if joint else end
    return names if len(names) >= 2 else []


def preamble_parties(content: str) -> list[tuple[int, int]]:
    """Where the parties are named: after the first "between", "among" or "entered into by"
    that lists two or more with their defined terms; else at the start of a line of the first
    page that does ("WYZZ, Inc. ("WYZZ") and ..."); else the most found; else a plain list
    ("BETWEEN X, a Delaware company AND Y")."""
    best: list[tuple[int, int]] = []
    head = lowered(content[:62_500])
    keywords = [match for match in _KEYWORD.finditer(head) if starts_word(head, match.start())]
    for keyword in keywords:
        names = _parties_after(content, head, keyword.end())
        if len(names) >= 2:
            return names
        if len(names) > len(best):
            best = names
    for line in _LINE_START.finditer(content, 0, min(len(content), 6000)):
        names = _parties_after(content, head, line.end())
        if len(names) >= 2 and all(_ORGANISATION.fullmatch(content[a:b]) for a, b in names):
            return names
    if best:
        return best
    for keyword in keywords:
        if keyword.start() > 20_000:
            break
        names = _plain_list(content, head, keyword.end())
        if names:
            return names
    return []


def signature_parties(content: str) -> list[tuple[int, int]]:
    """Organisations named above the "By:" lines of the signature block."""
    blocks = list(_SIGNATURE.finditer(content))
    if not blocks:
        return []
    start = blocks[-1].end()
    end = min(len(content), start + 4000)
    names: list[tuple[int, int]] = []
    for by in _BY_LINE.finditer(content, start, end):
        lines_start = content.rfind("\n", start, by.start())
        window_start = max(start, lines_start - 300) if lines_start > 0 else start
        found = [
            match
            for match in _ORGANISATION.finditer(content, window_start, by.start())
            if not _NOT_NAMES.search(match.group(0).upper())
        ]
        legal = [match for match in found if _LEGAL_FORM_END.search(match.group(0))]
        if legal:
            name = (legal[-1].start(), legal[-1].end())
            if name not in names:
                names.append(name)
    return names


def _key(name: str) -> str:
    words = re.sub(r"[^a-z0-9 ]", " ", name.lower()).split()
    suffixes = {"inc", "incorporated", "llc", "ltd", "limited", "corp", "corporation", "co"}
    return " ".join(word for word in words if word not in suffixes and word != "the")


def find_parties(content: str, widen: bool = False) -> list[Extracted]:
    """The parties, in the order named; with `widen`, also the organisations signing below the
    text that the preamble did not name (for a second attempt after fewer than two were found)."""
    parties: list[Extracted] = []
    keys: list[str] = []
    signing = signature_parties(content) if widen else []
    for position, from_signature in [
        *((name, False) for name in preamble_parties(content)),
        *((name, True) for name in signing),
    ]:
        span = span_of(content, *position)
        if span is None:
            continue
        value = tidy(span.text)
        key = _key(value)
        named = key in keys or (
            from_signature and any(key in other or other in key for other in keys)
        )
        if key and not named:
            keys.append(key)
            parties.append(Extracted(value=value, span=span))
    return parties
