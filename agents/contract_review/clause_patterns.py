"""The clause rules: for each of CUAD's 41 categories, weighted phrase cues and a threshold.

A sentence's score for a category is the sum of the weights of the distinct cues found in it
(a cue found in a short heading also counts for the sentence after it); negative weights mark the
look-alikes that are not the clause (an IP assignment is not an anti-assignment clause, "no third
party beneficiaries" is not a third-party beneficiary). A category is present when some sentence
reaches its threshold. Patterns are case-insensitive unless they say `(?-i:...)`.

The wording follows CUAD's category definitions (`CUAD_v1_README.txt`): each cue is a phrase
lawyers use for the clause, not text from any one contract.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from schemas.contract_review import ClauseCategory as C


def gap(limit: int = 100) -> str:
    """Any text within one sentence, up to `limit` characters."""
    return rf"[^.\n]{{0,{limit}}}"


G = gap()
NUM = r"(?:\w+[\s-]+)?(?:\(\s*\d+\s*\)\s*)?"
"""A written-out number, optionally followed by its figure: "thirty (30) ", "30 "."""
PERIOD = rf"{NUM}\d*\s*(?:calendar\s+|business\s+|working\s+)?(?:days?|months?|years?)"
DATE = (
    r"(?:(?:january|february|march|april|may|june|july|august|september|october|november"
    r"|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?\s+(?:\d{1,2}|_+|\[[^\]]{0,12}\])"
    r"(?:st|nd|rd|th)?\s*,?\s*(?:19|20)\d{2}"
    r"|\d{1,2}\s*(?:st|nd|rd|th|t\s?h)?\s+(?:day\s+of\s+)?(?:january|february|march|april|may|june"
    r"|july|august|september|october|november|december)\s*,?\s*(?:19|20)\d{2}"
    r"|\b\d{1,2}/\d{1,2}/(?:19|20)?\d{2}\b|\b(?:19|20)\d{2}-\d{2}-\d{2}\b)"
)
LICENSE = r"(?:licen[cs]e|sub-?licen[cs]e)"


@dataclass(frozen=True)
class Cue:
    """A phrase pattern and what finding it in a sentence adds to the sentence's score.

    Patterns are written in lower case and searched in the contract's text lower-cased (ASCII
    only, so offsets do not move), which is several times faster than case-insensitive search;
    a pattern holding `(?-i:...)` needs the letters' case and searches the original text. A
    leading `\\b` is checked on each match instead of by the pattern, which lets the regex engine
    skip ahead to the pattern's first letters.
    """

    pattern: re.Pattern[str]
    weight: float
    cased: bool = False
    word_start: bool = False

    def finditer(
        self, lowered: str, original: str, start: int, end: int
    ) -> Iterator[re.Match[str]]:
        """The cue's matches in `original[start:end]` (`lowered` is its lower-cased copy)."""
        text = original if self.cased else lowered
        for match in self.pattern.finditer(text, start, end):
            at = match.start()
            if self.word_start and at and (text[at - 1].isalnum() or text[at - 1] == "_"):
                continue
            yield match


@dataclass(frozen=True)
class Rule:
    """How one category is recognised."""

    category: C
    cues: tuple[Cue, ...]
    threshold: float = 3.0
    within: int | None = None
    """Only the first `within` characters are read (the title, the preamble)."""
    max_spans: int = 3
    """How many of the best sentences are reported."""
    exact: bool = False
    """Report the strongest cue's own text instead of the whole sentence (e.g. the title)."""
    carry: bool = True
    """Whether cues found in a heading also count for the sentence after it."""
    requires: tuple[C, ...] = ()
    """Present only when one of these categories is present too (an exception to a restriction
    needs the restriction)."""
    gate: Cue | None = None
    """The word stems a sentence must hold (matched at the start of each of its words) to be
    read for this category at all: it keeps the search to the sentences that can matter."""


def rule(
    category: C,
    *cues: tuple[str, float],
    threshold: float = 3.0,
    gate: str | None = None,
    within: int | None = None,
    max_spans: int = 3,
    exact: bool = False,
    carry: bool = True,
    requires: tuple[C, ...] = (),
) -> Rule:
    """A rule from `(pattern, weight)` pairs and its options (see `Rule`)."""
    return Rule(
        category,
        tuple(_cue(pattern, weight) for pattern, weight in cues),
        threshold=threshold,
        within=within,
        max_spans=max_spans,
        exact=exact,
        carry=carry,
        requires=requires,
        gate=None if gate is None else _cue(gate, 0),
    )


def _cue(pattern: str, weight: float) -> Cue:
    if "(?-i:" in pattern:
        return Cue(re.compile(pattern, re.IGNORECASE), weight, cased=True)
    if re.search(r"(?<!\\)[A-Z]", pattern):
        raise ValueError(f"a lower-case cue holds upper-case letters: {pattern!r}")
    branches = _branches(pattern)
    if all(branch.startswith(r"\b") for branch in branches):
        return Cue(re.compile("|".join(b[2:] for b in branches)), weight, word_start=True)
    return Cue(re.compile(pattern), weight)


def _branches(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern (`a|b(c|d)` → `a`, `b(c|d)`)."""
    branches, depth, start, index = [], 0, 0, 0
    in_class = False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(pattern[start:index])
            start = index + 1
        index += 1
    return [*branches, pattern[start:]]


NOT = r"(?:not|neither|nor|no)\b"
SHALL_NOT = r"(?:shall|will|may|must|can|agrees?\s+(?:to|that\s+it\s+will))\s+not\b"

RULES: tuple[Rule, ...] = (
    rule(
        C.DOCUMENT_NAME,
        (
            r"(?-i:\b[A-Z][A-Z0-9&,'/\-.#]*(?:\s+[A-Z0-9&,'/\-.#()]+){0,10}\s+"
            r"(?:AGREEMENT|CONTRACT|AMENDMENT|ADDENDUM|LICENSE|ARRANGEMENT|CERTIFICATE|TERMS"
            r"|CONDITIONS)\b(?:\s+(?:NO\.\s*\d+|[IVX]+|#\s*\d+))?)",
            3,
        ),
        (r"(?-i:\b(?:AMENDMENT|ADDENDUM)\s+(?:NO\.\s*)?(?:\d+|[A-Z]|[IVX]+)\b)", 2),
        (
            r"(?m)^[ \t]*(?:[\w][\w&\-/'.,#]*[ \t]+){0,10}(?:agreement|contract|conditions"
            r"|certificate)\b[^\n]{0,40}$",
            3,
        ),
        (r"\bthis\s+(?-i:(?:[A-Z][\w&\-]*\s+){1,8}(?:Agreement|Contract))\b", 2),
        (
            r"\bsource:\s|\bconfidential|\bomitted\b|\bredact|\bsecurities\s+and\s+exchange|\bfiled\s+separately|\basterisk|\bpurpose\s+of\b|\bmodify\b",
            -2,
        ),
        threshold=2,
        within=3000,
        max_spans=1,
        exact=True,
        carry=False,
    ),
    rule(
        C.PARTIES,
        (r"\bby\s+and\s+(?:between|among)\b", 3),
        (r"\b(?:between|among)\s*:", 3),
        (r"\b(?:between|among)\b" + gap(300) + r"\band\b", 2),
        (r"\b(?:entered\s+into|made|executed)\b" + gap(200) + r"\b(?:between|among|by|with)\b", 1),
        (
            r"\((?:hereinafter|the|each|collectively|individually|referred)?[^)\n]{0,40}[\"\u201c\u201d']",
            1.5,
        ),
        (
            r"\ba\s+(?:\w+\s+){0,3}(?:corporation|company|limited\s+liability|partnership|trust|bank)\b",
            1.5,
        ),
        (
            r"\b(?:organi[sz]ed|incorporated|existing)\s+(?:and\s+existing\s+)?under\s+the\s+laws",
            1.5,
        ),
        (
            r"\b(?:principal\s+(?:place\s+of\s+business|office)|registered\s+(?:office|address)|having\s+(?:its\s+)?offices?)",
            1,
        ),
        (
            r"\b(?:inc|corp|corporation|llc|l\.l\.c|ltd|limited|gmbh|plc|n\.v|b\.v|s\.a|ag|lp|l\.p)\b",
            1,
        ),
        (r"\bsource:\s", -4),
        threshold=3,
        within=8000,
        max_spans=2,
    ),
    rule(
        C.AGREEMENT_DATE,
        (DATE, 2),
        (
            r"\b(?:\[[^\]\n]{0,12}\]|_{2,})\s*(?:day\s+of\s+)?(?:\[[^\]\n]{0,12}\]|_{2,}|[a-z]+)?\s*,?\s*(?:19|20)\d{2}\b",
            2,
        ),
        (r"\b(?:as\s+of|dated|made|date)\s*:?\s*(?:\[[^\]\n]{0,12}\]|_{3,})", 2),
        (r"\b\d{1,2}(?:st|nd|rd|th)\s+day\s+of\s+[a-z]+", 2),
        (r"\b(?:dated|made|entered\s+into|executed|as\s+of|effective|day\s+of|date)\b", 1),
        (r"\b(?:between|among|by\s+and)\b", 1),
        (r"\bsource:\s", -4),
        threshold=3,
        within=5000,
        max_spans=1,
    ),
    rule(
        C.EFFECTIVE_DATE,
        (r"[\"\u201c\u201d]effective\s+date[\"\u201c\u201d]", 3),
        (r"\beffective\s+date\s*:", 3),
        (
            r"\b(?:agreement|contract|amendment|term)\b"
            + gap(80)
            + r"\b(?:effective|commenc\w*|begin\w*)\b",
            1.5,
        ),
        (r"\beffective\s+(?:as\s+of|on|from|upon|beginning)\b", 1.5),
        (r"\b(?:shall|will)\s+(?:become|be)\s+effective\b", 1),
        (r"\b(?:commence|begin)s?\s+(?:on|as\s+of|upon)\b", 1),
        (DATE, 1),
        (r"\b(?:date|day)\s+(?:and\s+year\s+)?first\s+(?:above\s+)?written|\bdate\s+hereof\b", 1.5),
        (
            r"\b(?:modification|waiver|termination|notice|resignation|assignment|change|closing|distribution|consent|payment|appointment)s?\b"
            + gap(60)
            + r"\beffective",
            -2,
        ),
        (r"\bsource:\s", -4),
        gate=r"\b(?:effective|commenc|begin)",
        threshold=3,
    ),
    rule(
        C.EXPIRATION_DATE,
        (r"\bterm\s+of\s+this\s+(?:agreement|contract)\b", 2),
        (r"\b(?:initial|contract|license|agreement|cooperation)\s+(?:term|period)\b", 1.5),
        (
            r"[\"\u201c\u201d](?:initial\s+)?term[\"\u201c\u201d]|\bterm[\"\u201d]?\s+(?:shall\s+)?means?\b|\bterm\s*:",
            2,
        ),
        (
            r"\bthis\s+(?:agreement|contract)\s+(?:shall|will)\s+(?:commence|begin|continue|remain|expire|terminate|end|be\s+(?:in\s+effect|effective))",
            1.5,
        ),
        (r"\b(?:shall|will)\s+(?:commence|begin|start)\b|\bcommencing\b", 1),
        (r"\b(?:continue|remain)\s+in\s+(?:full\s+)?(?:force|effect)\b", 1.5),
        (
            r"\b(?:expire|terminate|end|conclud\w*)\s+(?:on|at|upon|in)\b|\b(?:shall|will)\s+expire\b",
            1.5,
        ),
        (
            r"\bfor\s+(?:a|an\s+initial|the|an?\s+additional)\s+(?:period|term)\s+of\b|\bfor\s+a\s+term\b",
            1.5,
        ),
        (r"\b(?:years?|months?)\b", 1),
        (r"\buntil\b|\bthrough\b", 1),
        (r"\b(?:indefinitely|unlimited\s+period|perpetu\w*)", 1),
        (r"\banniversary\b", 1),
        (
            r"\b(?:following|after)\s+the\s+(?:expiration|termination)|\bsurviv\w*|\bduring\s+the\s+term\b",
            -1.5,
        ),
        (r"\bsource:\s", -4),
        gate=r"\b(?:term|expir|perpetu|indefinite|until|continu|remain|commenc|period|through)",
        threshold=3.5,
    ),
    rule(
        C.RENEWAL_TERM,
        (
            r"\bautomatic(?:ally)?\s+(?:be\s+)?(?:renew|extend|continue)|\b(?:renew\w*|extend\w*|continue\w*)\s+automatically",
            3,
        ),
        (
            r"\b(?:renew\w*|extend\w*|extension|continue)\s+(?:automatically\s+)?for\s+(?:\w+\s+){0,3}(?:successive|additional|consecutive|further|subsequent)",
            3,
        ),
        (r"\bfrom\s+year\s+to\s+year\b|\byear[- ]to[- ]year\b", 3),
        (r"\b(?:renewal|extension)\s+(?:term|period)s?\b", 2),
        (r"\b(?:right|option)\s+to\s+(?:renew|extend)\b|\bmay\s+be\s+(?:renewed|extended)\b", 2),
        (
            r"\b(?:successive|additional|consecutive)\s+(?:\w+[\s-]+){0,3}(?:year|month|period|term)",
            1,
        ),
        (r"\b(?:renew\w*|extension)\b", 1),
        (r"\bmutual(?:ly)?\b" + gap(60) + r"\b(?:agree|consent)", -1.5),
        (r"\bforce\s+majeure\b|\bsuspen\w*", -3),
        gate=r"\b(?:renew|extend|extension|year|automatic|continu)",
        threshold=3,
    ),
    rule(
        C.NOTICE_PERIOD_TO_TERMINATE_RENEWAL,
        (
            r"\b(?:renew\w*|extend\w*|extension|non-?renewal|automatically\s+continue|year\s+to\s+year)",
            1.5,
        ),
        (r"\b(?:notice|notif\w*)", 1),
        (
            r"(?:days?|months?|years?)['\u2019]?\s+(?:\(\w+\)\s+)?(?:prior|before|in\s+advance|written|notice)",
            1,
        ),
        (
            r"\b(?:prior\s+to|before|preceding)\s+(?:the\s+)?(?:\w+\s+){0,3}(?:end|expiration|expiry|conclusion|anniversary|renewal)",
            1,
        ),
        (r"\bunless\b|\bat\s+the\s+(?:end|expiration)\b", 0.5),
        (
            r"\b(?:not\s+to\s+renew|non-?renewal|(?:intention|intent|election|desire)\s+(?:not\s+)?to\s+(?:renew|terminate|extend))",
            1.5,
        ),
        (r"\bpolic(?:y|ies)\b|\binsur\w*|\bcancellation\b", -2),
        gate=r"\b(?:renew|extend|extension|year|automatic)",
        threshold=3.5,
        requires=(C.RENEWAL_TERM,),
    ),
    rule(
        C.GOVERNING_LAW,
        (r"\bgoverned\s+by" + gap(120) + r"\blaws?\b", 3),
        (
            r"\b(?:construed|interpreted|enforced|governed|determined|resolved|settled|decided)\b"
            + gap(80)
            + r"\b(?:in\s+accordance\s+with|under|by|pursuant\s+to)\b"
            + gap(60)
            + r"\blaws?\b",
            3,
        ),
        (
            r"\blaws?\s+of\s+(?:the\s+)?"
            + gap(80)
            + r"\b(?:shall\s+)?(?:govern|appl(?:y|ies)|control)",
            3,
        ),
        (r"\bgoverning\s+law\b|\bchoice\s+of\s+law\b|\bapplicable\s+law\s*[.:]", 2),
        (r"\bgoverned\s+by\b|\bconstrued\s+in\s+accordance\s+with\b", 1.5),
        gate=r"\b(?:law|governing|governed|construed)",
        threshold=3,
        max_spans=1,
    ),
    rule(
        C.MOST_FAVORED_NATION,
        (r"\bmost\s+favou?red\b", 3),
        (r"\b(?:no\s+less|not\s+less|at\s+least\s+as|equally|as)\s+favou?rabl[ey]\b", 2),
        (r"\b(?:lowest|best)\s+(?:net\s+)?(?:price|pricing|rates?|terms)\b", 2),
        (
            r"\b(?:better|more\s+favou?rable|lower)\s+(?:terms|prices?|pricing|rates?|fees?)\b|\b(?:higher|greater)\s+(?:fees?|prices?|rates?|charges?)\s+than\b",
            2,
        ),
        (
            r"\b(?:other|any|third[- ]party|similarly[- ]situated)\s+(?:\w+\s+){0,2}(?:customers?|clients?|licensees?|distributors?|purchasers?|resellers?)\b",
            1.5,
        ),
        (r"\b(?:customers?|clients?|users|licensees?|purchasers?)\b", 1),
        gate=r"\b(?:favou?r|lowest|best|better|higher|greater|lower)",
        threshold=3,
    ),
    rule(
        C.COMPETITIVE_RESTRICTION_EXCEPTION,
        (r"\bnotwithstanding\s+(?:the\s+foregoing|anything)", 1),
        (
            r"\b(?:shall|will|does)\s+not\s+(?:be\s+deemed\s+to\s+)?(?:prevent|restrict|prohibit|limit|apply|preclude)",
            1.5,
        ),
        (
            r"\bnothing\s+(?:in\s+this|herein|contained)"
            + gap(100)
            + r"\b(?:prevent|restrict|prohibit|limit|preclude)",
            2,
        ),
        (r"\b(?:compet\w*|exclusiv\w*|non-?solicit\w*)", 1.5),
        (r"\bexceptions?\s+to\s+(?:the\s+)?(?:exclusiv|non-?compet)", 3),
        (
            r"\bexcept\b|\bother\s+than\b|\bprovided\s+(?:, however,|however|that)\b|\bwith\s+the\s+exception",
            0.5,
        ),
        (r"\bconfidential\w*|\bnon-?use\b|\bdisclos\w*", -2),
        gate=r"\b(?:compet|exclusiv|solicit)",
        threshold=3.5,
        requires=(C.NON_COMPETE, C.EXCLUSIVITY, C.NO_SOLICIT_OF_CUSTOMERS),
    ),
    rule(
        C.NON_COMPETE,
        (r"\bnon-?\s?compet\w*", 3),
        (
            r"\b"
            + SHALL_NOT
            + gap(200)
            + r"\b(?:compet(?:e|ing|itive|itor)\w*|substantially\s+similar)",
            3,
        ),
        (
            r"\bcompet(?:e|ing|itive)\s+(?:with\s+)?(?:\w+\s+){0,2}(?:products?|business|services?|goods|devices?)",
            1.5,
        ),
        (
            r"\b"
            + SHALL_NOT
            + gap(120)
            + r"\b(?:engage|participate|invest)\w*\b"
            + gap(80)
            + r"\bbusiness",
            1.5,
        ),
        (r"\b(?:restricted\s+(?:period|business|territory)|competitive\s+activit)", 1.5),
        (
            r"\bcompetitive\s+(?:bid|price|pricing|rates?)|\bcompetitor\s+pric|\bmay\s+(?:now\s+)?(?:market|develop|compete)|\bnothing\b"
            + gap(100)
            + r"\b(?:prevent|restrict|prohibit|limit|preclude)",
            -2,
        ),
        gate=r"\b(?:compet|engage|restricted|similar)",
        threshold=3,
    ),
    rule(
        C.EXCLUSIVITY,
        (
            r"(?<![-\w])exclusive\s+(?:\w+\s+){0,2}(?:right|license|licensee|distributor|distribution|basis|supplier|provider|agent|reseller|partner|manufacturer|sponsor|dealer|marketing|sales|territory)",
            2.5,
        ),
        (r"\bexclusively\b|\bsolely\s+(?:from|to|through|with)\b|\bshall\s+be\s+exclusive\b", 2),
        (r"\b(?:sole|only)\s+(?:and\s+exclusive\s+)?(?:supplier|source|provider|distributor)\b", 2),
        (r"\b(?:all|100%)\s+of\s+(?:its|their|the)\s+(?:\w+\s+){0,2}(?:requirements|needs)\b", 3),
        (
            r"\b(?:not|no)\b"
            + gap(80)
            + r"\b(?:grant|appoint|enable|represent|accept|engage|authori[sz]e|license|sell\s+to|supply|purchase)\b"
            + gap(100)
            + r"\b(?:any(?:one)?\s+other|another|third\s+part|other\s+(?:distributor|supplier|part|compan|person|sponsor|agent|licensee))",
            1.5,
        ),
        (
            r"\b(?:other|another|any\s+third[- ]party)\s+(?:\w+\s+)?(?:distributors?|suppliers?|sponsors?|resellers?|licensees?|manufacturers?|agents?|representatives?|providers?|endorsement|program)",
            1,
        ),
        (r"\bnon-?\s?exclusive", -2),
        (
            r"\bexclusive\s+(?:of|jurisdiction|remedy|remedies|venue|forum|property|owner|ownership|control|discretion|responsibility|liability|rights?\s+of\s+ownership)|\bexclusive\s+rights?,?\s+(?:but\s+not\s+the\s+obligation,\s+)?to\s+(?:prepare|file|prosecute|settle|apply|control|enforce|defend|protect|register|seek)",
            -2.5,
        ),
        (r"\bexclusive\s+(?:\w+\s+){1,3}agreement\b", -2.5),
        gate=r"\b(?:exclusiv\w*|sole\w*|only|requirements|not|no)\b",
        threshold=2.5,
    ),
    rule(
        C.NO_SOLICIT_OF_CUSTOMERS,
        (
            r"\bsolicit\w*"
            + gap(120)
            + r"\b(?:customers?|clients?|accounts|subscribers?|members)\b",
            2.5,
        ),
        (r"\b(?:customers?|clients?|subscribers?)\b" + gap(80) + r"\bsolicit", 1.5),
        (
            r"\b(?:divert|entice|induce|interfere)\w*"
            + gap(80)
            + r"\b(?:customers?|clients?|business\s+relationship)",
            2,
        ),
        (r"\bemploy\w*|\bpersonnel\b", -1.5),
        gate=r"\b(?:solicit|divert|entice|induce|interfere)",
        threshold=3,
    ),
    rule(
        C.NO_SOLICIT_OF_EMPLOYEES,
        (
            r"\b(?:solicit|hire|recruit|entice|induce)\w*"
            + gap(120)
            + r"\b(?:employees?|personnel|staff|consultants|contractors|employed)\b",
            2,
        ),
        (
            r"\b(?:employ|engage)\s+(?:or\s+\w+\s+)?(?:any\s+)?(?:of\s+the\s+)?(?:other\s+party['\u2019]s\s+)?(?:employees?|personnel)\b",
            2,
        ),
        (
            r"\b(?:not|no|refrain\w*)\b" + gap(120) + r"\b(?:solicit|hire|recruit|entice|induce)",
            1.5,
        ),
        (r"\bnon-?\s?solicit\w*", 2),
        (r"\bleave\s+(?:the\s+)?(?:his|her|their|its)?\s*employ", 1.5),
        (r"\bindependent\s+contractors?\b|\bemployer\b|\bharass\w*|\bgovernment", -2),
        gate=r"\b(?:solicit|hire|recruit|entice|induce|employ|engage|leave)",
        threshold=3.5,
    ),
    rule(
        C.NON_DISPARAGEMENT,
        (r"\bdisparag\w*", 3),
        (r"\b(?:defam\w*|derogatory|negative\s+(?:statement|comment)s?)", 2),
        (r"\b(?:tarnish\w*|disrepute)\b", 2),
        (
            r"\b(?:shall|will)\s+not\b"
            + gap(120)
            + r"\b(?:harm\w*|damag\w*|injur\w*|jeopardi\w*)\b"
            + gap(60)
            + r"\b(?:reputation|goodwill|image)",
            2,
        ),
        gate=r"\b(?:disparag|defam|derogatory|negative|tarnish|disrepute|reputation|goodwill|image)",
        threshold=3,
    ),
    rule(
        C.TERMINATION_FOR_CONVENIENCE,
        (
            r"\bmay\s+(?:\w+\s+){0,3}(?:terminate|cancel)|\b(?:right|option)\s+to\s+(?:terminate|cancel)|\bmay\s+be\s+(?:\w+\s+)?terminated|\bat\s+the\s+option\s+of",
            1.5,
        ),
        (
            r"\bfor\s+(?:any\s+reason|no\s+reason|any\s+or\s+no\s+reason|convenience)|\bwithout\s+(?:cause|reason)|\bwith\s+or\s+without\s+(?:cause|reason)|\bat\s+will\b|\b(?:sole|absolute)\s+(?:and\s+absolute\s+)?discretion",
            1.5,
        ),
        (r"\bat\s+any\s+time\b", 1),
        (
            r"(?:days?|months?)['\u2019]?\s+(?:\(\w+\)\s+)?(?:prior\s+|advance\s+)?(?:written\s+)?(?:notice|notification)",
            1,
        ),
        (
            r"\bmay\s+(?:\w+\s+){0,3}terminate\s+this\s+(?:agreement|contract)\b"
            + gap(60)
            + r"\b(?:by\s+giving|upon|on|with|by\s+providing|by\s+written)\b",
            1,
        ),
        (
            r"\bwithout\s+(?:any\s+)?(?:liability|penalty|(?:the\s+)?payment\s+of\s+any\s+penalty)",
            1,
        ),
        (
            r"\bupon\s+(?:any\s+)?(?:the\s+)?(?:termination|expiration)|\beffects?\s+of\s+termination|\bfollowing\s+(?:the\s+)?termination|\bautomatically\s+terminate",
            -2.5,
        ),
        (
            r"\b(?:breach\w*|default\w*|insolven\w*|bankrupt\w*|fail(?:s|ure)?\s+to|violat\w*|change\s+(?:of|in)\s+control|force\s+majeure)\b",
            -1.5,
        ),
        (r"\bif\b|\bshould\b|\bin\s+the\s+event\b", -0.5),
        gate=r"\b(?:terminat|cancel)",
        threshold=3.5,
    ),
    rule(
        C.ROFR_ROFO_ROFN,
        (r"\bright\s+of\s+first\s+(?:refusal|offer|negotiation)", 4),
        (r"\bfirst\s+right\s+(?:to|of)\s+(?:negotiate|refus|offer|purchase|acquire|obtain)", 3.5),
        (r"\bright\s+of\s+first\b|\b(?:first|exclusive)\s+(?:right\s+and\s+)?option\b", 3),
        (
            r"\b(?:first|exclusive)\s+(?:opportunity|option)\s+to\s+(?:negotiate|purchase|acquire|licen[cs]e|obtain|bid)",
            3,
        ),
        (r"\b(?:match|matching)\s+(?:the|such|any)\s+(?:\w+\s+)?(?:offer|terms|bid)", 2),
        (
            r"\boption\s+to\s+(?:purchase|acquire|obtain\s+(?:a\s+)?licen|commerciali[sz]e|negotiate)|\bexercise\w*\s+(?:its|the|such)\s+(?:\w+\s+)?option\b",
            1.5,
        ),
        (
            r"\bmeans\b|\bsubject\s+to\s+any\b|\bnone\s+of\b|\bfree\s+and\s+clear|\boption\s+plan|\b(?:stock|share)\s+options?|\bordinary\s+shares",
            -3,
        ),
        gate=r"\b(?:first|option|match)",
        threshold=3,
    ),
    rule(
        C.CHANGE_OF_CONTROL,
        (r"\bchange\s+(?:of|in)\s+(?:control|ownership)", 3),
        (
            r"\b(?:merger|merged|consolidat\w*|acquisition|acquired|reorgani[sz]ation)\b"
            + gap(150)
            + r"\b(?:terminat\w*|consent|assign\w*|deemed|notify|notice|transfer)",
            2,
        ),
        (
            r"\b(?:sale|transfer|disposition)\s+of\s+(?:all\s+or\s+)?(?:substantially\s+all|a\s+majority)\s+(?:of\s+)?(?:its|the|such)\b",
            2,
        ),
        (r"\b(?:acquired|controlled)\s+by\b|\bacquires?\s+control", 1),
        (
            r"\b(?:voting\s+(?:stock|securities|power|shares)|beneficial\s+own\w*|majority\s+of\s+(?:the\s+)?(?:outstanding|voting))",
            1,
        ),
        (r"\bby\s+operation\s+of\s+law\b", 1),
        (
            r"[\"\u201c\u201d](?:change\s+(?:in|of)\s+control|control|subsidiary|affiliate)[\"\u201c\u201d]\s+(?:shall\s+)?means?|\bchange\s+in\s+control\s+period|\bmeans\b|\bbankrupt\w*|\binsolven\w*",
            -2,
        ),
        gate=r"\b(?:control|merge|consolidat|acqui|reorgani|sale|transfer|disposition|voting|beneficial|majority|operation|ownership)",
        threshold=3,
    ),
    rule(
        C.ANTI_ASSIGNMENT,
        (r"\b" + NOT + gap(120) + r"\b(?:assign|transfer|delegat)\w*", 1.5),
        (
            r"\b(?:assign|transfer|delegat)\w*"
            + gap(200)
            + r"\b(?:without|prior|unless)\b"
            + gap(40)
            + r"\b(?:consent|approval|notice|agreement)",
            2,
        ),
        (
            r"\b(?:without|prior)\b"
            + gap(40)
            + r"\b(?:consent|approval)\b"
            + gap(120)
            + r"\b(?:assign|transfer)\w*",
            2,
        ),
        (r"\b(?:shall|may|will|can)\s+not\s+(?:\w+\s+){0,3}(?:be\s+)?(?:assign|transfer)\w*", 2),
        (r"\bnot\s+(?:be\s+)?assignable|\bnon-?assignable", 2.5),
        (
            r"\b(?:attempted|purported)\s+(?:assignment|transfer|delegation)"
            + G
            + r"\b(?:void|null|invalid)",
            3,
        ),
        (
            r"\bterminat\w*\s+(?:\w+\s+){0,4}(?:in\s+the\s+event\s+of|upon)\s+(?:its\s+)?[\"\u201c]?assignment",
            3,
        ),
        (r"\bassign\w*\b" + gap(150) + r"\baffiliat\w*", 1),
        (r"\bpersonal\s+to\b", 1),
        (
            r"\b(?:hereby|shall|will|agrees?\s+to)\s+(?:\w+\s+){0,3}assigns?\b"
            + gap(80)
            + r"\b(?:right|title|interest|ownership)\b",
            -3,
        ),
        (r"\bassignment\s+of\s+(?:invention|patent|copyright|intellectual|trademark)", -2),
        gate=r"\b(?:assign|transfer|delegat|personal)",
        threshold=3,
    ),
    rule(
        C.REVENUE_PROFIT_SHARING,
        (r"\broyalt(?:y|ies)\b(?![- ]free)", 2.5),
        (
            r"\b(?:share|sharing|split|divid\w*)\s+(?:of\s+)?(?:the\s+)?(?:\w+\s+){0,3}(?:revenues?|profits?|proceeds|income|net\s+sales|gross\s+sales|receipts)",
            3,
        ),
        (
            r"\d\s*%\s*\)?\s+of\s+(?:the\s+|all\s+|any\s+)?[\w'\u2019\- ]{0,40}(?:revenues?|profits?|sales|proceeds|receipts|income|collections|margin|assets|cash\s+flow|amounts\s+(?:earned|received)|fees)",
            3,
        ),
        (
            r"\b(?:per\s*cent(?:age)?|\*{3,})\s*\)?\s+(?:\(\s*[\d*]+\s*%\s*\)\s+)?of\s+(?:the\s+|all\s+)?[\w'\u2019\- ]{0,40}(?:revenues?|profits?|sales|proceeds|receipts|income|margin)",
            3,
        ),
        (r"\brevenue[- ]shar|\bprofit[- ]shar", 3),
        (r"\b(?:net|gross)\s+(?:revenues?|sales|receipts|margin|profits?)", 1),
        (r"\bcommissions?\b", 1),
        (r"\bpa(?:y|id)\b|\bentitled\s+to\s+receive\b|\bretain\b", 0.5),
        (
            r"\b(?:do|does|shall)\s+not\s+(?:contemplate|constitute|create)\b|\bpartnership\b|\btax\w*",
            -2,
        ),
        gate=r"\b(?:royalt|shar|percent|revenue|profit|commission|net|gross)|%|\*\*\*",
        threshold=3,
    ),
    rule(
        C.PRICE_RESTRICTIONS,
        (
            r"\b(?:price|prices|pricing|fees?|rates?|charges?)\b"
            + gap(80)
            + r"\b(?:shall|will|may)\s+not\s+(?:be\s+)?(?:increase|exceed|change|raise)",
            3,
        ),
        (
            r"\bnot\s+(?:to\s+)?(?:increase|raise|change)\s+(?:the\s+|its\s+)?(?:price|prices|fees|rates)",
            3,
        ),
        (
            r"\b(?:price|fee|rate)\s+(?:increase|adjustment)s?\b"
            + gap(80)
            + r"\b(?:not\s+(?:more|exceed)|no\s+more\s+(?:often|than)|limited\s+to|cap)",
            3,
        ),
        (r"\bprice\s+protection\b", 3),
        gate=r"\b(?:price|pricing|fee|rate|charge)",
        threshold=3,
    ),
    rule(
        C.MINIMUM_COMMITMENT,
        (
            r"\bminimum\s+(?:\w+\s+)?(?:purchase|order|annual|quarterly|monthly|quantit\w*|volume|commitment|royalt\w*|fee|payment|sales|requirement|performance|guarantee|number|amount|revenue|units?)",
            3,
        ),
        (
            r"\b(?:purchase|order|buy|sell)\s+(?:at\s+least|a\s+minimum\s+of|no\s+(?:less|fewer)\s+than|not\s+(?:less|fewer)\s+than)\b",
            3,
        ),
        (r"\bguaranteed\s+(?:minimum|annual|payment)", 3),
        (r"\btake[- ]or[- ]pay\b", 3),
        (r"\bminimum\s+(?:wage|insurance|coverage|limits?|shelf|age)\b|\bper\s+occurrence\b", -3),
        gate=r"\b(?:minimum|purchase|order|buy|sell|guarantee|take)",
        threshold=3,
    ),
    rule(
        C.VOLUME_RESTRICTION,
        (
            r"\b(?:exceed\w*|in\s+excess\s+of|more\s+than|above|beyond)\b"
            + gap(60)
            + r"\b(?:forecast\w*|quantit\w*|volume|capacity|usage|bandwidth|maximum|threshold)",
            2,
        ),
        (
            r"\bmaximum\s+(?:daily\s+|annual\s+|monthly\s+)?(?:quantity|volume|number|amount\s+of\s+(?:units|product))",
            2,
        ),
        (r"\b(?:additional|excess|overage)\s+(?:usage\s+)?(?:charges?|fees?)", 1.5),
        (
            r"\bup\s+to\s+"
            + NUM
            + r"\d*\s*(?:times|requests|units|hours|inserts|links)\s+(?:per|each|a)\b",
            2,
        ),
        gate=r"\b(?:exceed|excess|more|above|beyond|maximum|additional|overage|up\b)",
        threshold=3.5,
    ),
    rule(
        C.IP_OWNERSHIP_ASSIGNMENT,
        (
            r"\b(?:hereby|shall|will|agrees?\s+to)\s+(?:\w+\s+){0,3}(?:assigns?|transfers?|conveys?)\b"
            + gap(120)
            + r"\b(?:right|title)\s*,?\s*(?:title\s+)?(?:and|&)\s+interest",
            3,
        ),
        (
            r"\b(?:hereby|shall|will|agrees?\s+to)\s+(?:\w+\s+){0,3}(?:assigns?|transfers?|conveys?)\s+to\s+\w+"
            + gap(60)
            + r"\binterest",
            2,
        ),
        (r"\bworks?[- ]made[- ]for[- ]hire|\bwork[- ]for[- ]hire", 3),
        (
            r"\b(?:shall|will)\s+(?:be|become)\s+the\s+(?:sole\s+(?:and\s+exclusive\s+)?|exclusive\s+)?property\s+of\b",
            1.5,
        ),
        (r"\b(?:shall|will)\s+(?:exclusively\s+|solely\s+)?own\b", 1.5),
        (
            r"\b(?:developed|created|conceived|made|invent\w*|improvements?|modifications?|derivative|deliverables?|work\s+product|results)\b",
            1.5,
        ),
        (r"\b" + SHALL_NOT + gap(40) + r"\bassign", -3),
        (r"\bretain\w*\b|\bas\s+between\s+the\s+parties\b|\beach\s+party\b", -1.5),
        gate=r"\b(?:assign|transfer|convey|work|property|own)",
        threshold=3,
    ),
    rule(
        C.JOINT_IP_OWNERSHIP,
        (r"\bjoint(?:ly)?[- ]own(?:ed|ership)?\b", 3),
        (r"\bco-?own(?:ed|ership|er)?\b|\bowned\s+jointly\b", 3),
        (r"\bmeans\b", -1.5),
        (r"\bprofits?\b|\bpartnership\b|\btaxable\b", -3),
        (r"\b(?:undivided|equal)\s+(?:\w+\s+){0,2}interest", 2),
        (
            r"\bjoint\s+(?:intellectual\s+property|inventions?|patents?|ip|technology|know-how|developments?|works?|data)\b",
            2,
        ),
        gate=r"\b(?:joint|own|undivided|equal)",
        threshold=3,
    ),
    rule(
        C.LICENSE_GRANT,
        (r"\bgrants?\b" + gap(150) + r"\b" + LICENSE, 3),
        (
            r"\bgrants?\b"
            + gap(100)
            + r"\bright\s+to\s+(?:use|sell|distribute|market|reproduce|manufacture|make|promote|display|resell)",
            3,
        ),
        (
            r"\b(?:non-?exclusive|exclusive|royalty[- ]free|worldwide|perpetual|irrevocable|non-?transferable|limited|fully[- ]paid)\b"
            + gap(60)
            + r"\b"
            + LICENSE,
            2,
        ),
        (r"\b(?:is|are)\s+(?:hereby\s+)?(?:licensed|authori[sz]ed)\s+to\b", 2),
        (
            r"\bno\s+(?:other\s+)?(?:rights?|licen[cs]es?)\b"
            + gap(60)
            + r"\b(?:granted|conferred|implied)|\bnothing\b"
            + gap(100)
            + r"\b(?:grant|confer)\w*"
            + gap(40)
            + LICENSE,
            -4,
        ),
        gate=r"\b(?:grant|licen|authori[sz])",
        threshold=3,
    ),
    rule(
        C.NON_TRANSFERABLE_LICENSE,
        (r"\bnon-?\s?transfer+able\b", 3),
        (r"\bnon-?\s?sub-?\s?licens(?:e)?able\b", 3),
        (
            LICENSE
            + r"s?\b"
            + gap(100)
            + r"\b(?:may|shall|will)\s+not\s+(?:be\s+)?(?:sub-?licen[cs]ed|transferred|assigned)",
            2,
        ),
        (r"\bwithout\s+(?:the\s+)?right\s+to\s+(?:grant\s+)?sub-?licen", 3),
        (
            r"\b(?:no|not\s+(?:have\s+)?(?:the\s+|any\s+)?)\s*right\s+to\s+(?:grant\s+)?sub-?licen",
            3,
        ),
        (r"\bpersonal\s+to\b", 1.5),
        (LICENSE, 1),
        gate=r"\b(?:transfer|sub|licen|personal)",
        threshold=3,
        requires=(C.LICENSE_GRANT,),
    ),
    rule(
        C.AFFILIATE_LICENSE_LICENSOR,
        (r"\bon\s+behalf\s+of\s+itself\s+and\s+(?:its|the\s+other\s+members)", 2.5),
        (r"\b(?:and|or)\s+(?:any\s+of\s+)?its\s+affiliates\s+(?:hereby\s+)?grants?", 3),
        (r"\b(?:controlled|owned)\s+by\s+\w+\s+(?:or|and)\s+(?:any\s+of\s+)?its\s+affiliates", 1.5),
        (LICENSE, 1),
        (r"\bgrants?\b", 0.5),
        gate=r"\b(?:behalf|affiliate)",
        threshold=3.5,
        requires=(C.LICENSE_GRANT,),
    ),
    rule(
        C.AFFILIATE_LICENSE_LICENSEE,
        (
            r"\bgrants?\s+(?:to\s+)?\w+(?:\s+\w+)?,?\s+(?:and|its)\s+(?:to\s+)?(?:each\s+of\s+)?(?:its\s+)?(?:affiliates|subsidiaries)",
            3,
        ),
        (r"\b(?:each|other)\s+members?\s+of\s+the\s+\w+\s+group\b", 2),
        (
            r"\bsub-?licen[cs]\w*"
            + gap(60)
            + r"\b(?:to\s+)?(?:its\s+)?(?:affiliates|subsidiaries)",
            3,
        ),
        (r"\bright\s+to\s+(?:grant\s+)?sub-?licen[cs]|\bsub-?licen[cs]eable\b", 1.5),
        (
            LICENSE
            + r"s?\b"
            + gap(100)
            + r"\b(?:extend|exercis)\w*"
            + gap(40)
            + r"\b(?:affiliates|subsidiaries)",
            2,
        ),
        (r"\baffiliates\b|\bsubsidiaries\b", 1),
        (LICENSE, 1),
        gate=r"\b(?:affiliate|subsidiar|member|sub|licen)",
        threshold=3.5,
        requires=(C.LICENSE_GRANT,),
    ),
    rule(
        C.UNLIMITED_LICENSE,
        (
            r"\bunlimited\s+(?:number\s+of\s+)?(?:use|copies|users|access|licen\w*|seats|installations)",
            3,
        ),
        (r"\ball[- ]you[- ]can[- ]eat|\benterprise[- ]wide\s+licen|\bsite\s+licen", 3),
        threshold=3,
    ),
    rule(
        C.IRREVOCABLE_OR_PERPETUAL_LICENSE,
        (r"\b(?:irrevocabl[ey]|perpetual)\b" + gap(100) + r"\b" + LICENSE, 3),
        (LICENSE + r"s?\b" + gap(100) + r"\b(?:irrevocabl[ey]|perpetual|in\s+perpetuity)", 3),
        threshold=3,
        requires=(C.LICENSE_GRANT,),
    ),
    rule(
        C.SOURCE_CODE_ESCROW,
        (r"\bescrow", 2),
        (r"\bsource\s+code|\bsoftware\b|\btechnology\b|\bdeposit\s+materials", 2),
        threshold=4,
    ),
    rule(
        C.POST_TERMINATION_SERVICES,
        (
            r"\b(?:upon|after|following|on|before)\s+(?:any\s+|the\s+)?(?:expiration\s+or\s+|expiry\s+or\s+)?(?:early\s+)?(?:termination|expiration|expiry)|\btermination\s+or\s+expiration|\beffects?\s+of\s+termination|\b(?:after|following|beyond)\s+(?:the\s+)?(?:term|sale\s+termination)\b",
            1.5,
        ),
        (
            r"\b(?:sell[- ]off|wind[- ]down|transition\w*|run[- ]off|last[- ](?:time\s+)?buy|orderly|cooperat\w*|remaining\s+(?:inventory|stock|merchandise|products)|dispose\s+of|outstanding\s+(?:orders|purchase\s+orders|invoices)|accrued|sums?\s+due|royalt\w*|books\s+and\s+records)",
            1.5,
        ),
        (
            r"\bcontinue\s+to\s+(?:provide|supply|perform|support|sell|pay|host|use|maintain|honou?r|fill)|\bsurviv\w*",
            1.5,
        ),
        (
            r"\bfor\s+a\s+(?:limited\s+)?period\s+of\b" + gap(60) + r"\b(?:after|following|from)\b",
            1,
        ),
        (r"\b(?:shall|will)\b", 0.5),
        (r"\bconfidential\w*|\bsolicit\w*|\bcompet\w*|\bhire\b", -2),
        (r"\b(?:cease|revert)\w*|\bterminate\s+immediately", -1),
        gate=r"\b(?:terminat|expir|surviv|after|following|beyond|sell|wind|transition)",
        threshold=3.5,
    ),
    rule(
        C.AUDIT_RIGHTS,
        (r"\baudit", 2),
        (
            r"\b(?:inspect\w*|examin\w*)"
            + gap(80)
            + r"\b(?:books|records|accounts|facilit\w*|premises|plants?|sites?|operations)",
            3,
        ),
        (
            r"\b(?:books|records|accounts)\b"
            + gap(120)
            + r"\b(?:available|open|access)\b"
            + gap(40)
            + r"\b(?:inspection|examination|audit|review|copy|copies)",
            3,
        ),
        (r"\b(?:access|enter)\b" + gap(80) + r"\b(?:books|records|premises|facilit\w*)", 1.5),
        (r"\bright\s+to\s+(?:audit|inspect)", 2),
        (r"\b(?:books|records|accounts|accountants?)\b", 1),
        (
            r"\baudited\s+(?:financial|annual|consolidated)|\bgovernment\w*|\bregulatory\s+(?:authorit|agenc)",
            -2,
        ),
        gate=r"\b(?:audit|inspect|examin|books|records|accounts|access|enter)",
        threshold=3,
    ),
    rule(
        C.UNCAPPED_LIABILITY,
        (
            r"\b(?:except|exclud\w*|other\s+than|(?:shall|does|will)\s+not\s+(?:apply|limit)|not\s+be\s+(?:construed|deemed)\s+to\s+limit|provided\s+(?:, )?(?:however|that))\b",
            1,
        ),
        (
            r"\b(?:indemnif\w*|gross(?:ly)?\s+negligen\w*|willful|wilful|confidential\w*|fraud\w*|infringe\w*|misappropriat\w*|bodily\s+injury|death|personal\s+injury)",
            1.5,
        ),
        (
            r"\b(?:in\s+no\s+event|under\s+no\s+circumstances|not\s+be\s+liable|limitation|limit\w*|exceed|consequential|incidental|indirect|special\s+damages)\b",
            1.5,
        ),
        (
            r"\bwithout\s+limit(?:ation)?\s+(?:as\s+to\s+amount|of\s+liability)|\bunlimited\s+liability|\bfull\s+responsibility,\s+without\s+limit|\bno\s+limit\s+applies",
            3,
        ),
        (r"\b(?:indemnify|hold\s+harmless|defend)\b", -1.5),
        gate=r"\b(?:liab|damage|limit|indemnif|negligen|willful|wilful|exceed|except|exclu|unlimited|responsib)",
        threshold=4,
        requires=(C.CAP_ON_LIABILITY,),
    ),
    rule(
        C.CAP_ON_LIABILITY,
        (
            r"\b(?:liab\w*|damages|responsibility|obligations?)\b"
            + gap(160)
            + r"\b(?:shall|will)\s+not\s+(?:exceed|be\s+greater)",
            3,
        ),
        (
            r"\b(?:in\s+no\s+(?:event|case)|under\s+no\s+circumstances)\b"
            + gap(120)
            + r"\b(?:liab|damages)",
            3,
        ),
        (r"\b(?:aggregate|total|maximum|cumulative|entire)\s+liability", 2),
        (
            r"\b(?:liab\w*|responsibility)\b"
            + gap(80)
            + r"\b(?:is|are|shall\s+be|will\s+be)\s+limited\b|\blimited\s+to\s+(?:the\s+)?(?:amount|fees|\$|total|aggregate|sum|price|replacement|refund|repair)",
            2,
        ),
        (
            r"\b(?:limited\s+to|not\s+(?:to\s+)?exceed|in\s+excess\s+of)\s+(?:the\s+)?(?:amount|fees|\$|total|aggregate|sum|price)",
            1.5,
        ),
        (
            r"\b(?:consequential|incidental|indirect|special|punitive|exemplary)\b"
            + gap(40)
            + r"\b(?:damages|loss|losses|harm)\b|\blost\s+profits|\bloss\s+of\s+(?:anticipated\s+)?profits",
            2,
        ),
        (
            r"\blimitation\s+(?:of|on)\s+liability|\bliability\s+exclusion|\bexclusion\s+of\s+(?:liability|damages)",
            3,
        ),
        (r"\bsole\s+(?:and\s+exclusive\s+)?(?:remedy|liability)|\bexclusive\s+remedy", 2),
        (
            r"\b(?:no|any)\s+(?:action|claim|suit)\b"
            + gap(120)
            + r"\b(?:more\s+than|after)\s+"
            + PERIOD,
            2,
        ),
        (r"\b(?:liable|liability)\b", 1),
        gate=r"\b(?:liab|damage|limit|exceed|remed|responsib|loss|lost|action|claim|obligation)",
        threshold=3,
    ),
    rule(
        C.LIQUIDATED_DAMAGES,
        (r"\bliquidated\s+damages", 3),
        (r"\btermination\s+(?:fee|charge|payment|penalty)s?", 3),
        (r"\b(?:as\s+a|by\s+way\s+of)\s+penalty|\bpenalt(?:y|ies)\s+(?:of|equal)", 2),
        (r"\b(?:break[- ]up|cancellation|kill)\s+fee", 3),
        (
            r"\b(?:incidental|consequential|indirect|special|liquidated|punitive),|\bwithout\s+(?:any\s+)?(?:early\s+)?termination\s+(?:penalty|fee|charge)",
            -4,
        ),
        gate=r"\b(?:liquidated|termination|penalt|break|cancellation|kill)",
        threshold=3,
    ),
    rule(
        C.WARRANTY_DURATION,
        (
            r"\bwarrant\w*"
            + gap(200)
            + r"\b(?:for\s+(?:a\s+)?(?:period\s+of\s+)?"
            + PERIOD
            + r"|"
            + PERIOD
            + r"\s+(?:from|after|following)\s+(?:the\s+)?(?:date\s+of\s+)?(?:delivery|shipment|installation|acceptance|purchase|receipt|manufacture|supply))",
            3,
        ),
        (r"\bwarrant\w*\b" + gap(150) + r"\bfor\s+a\s+period\s+of\b", 3),
        (r"\bwarranty\s+(?:period|term)\b", 3),
        (r"(?:days|months|years)\b" + gap(80) + r"\bwarrant", 1),
        (
            r"\b(?:representations|warranties)\b"
            + gap(60)
            + r"\bsurviv|\boptions?\s+and\s+warrants|\bwarrants?\s+(?:to\s+purchase|shall\s+be\s+exercis|may\s+be\s+exercis)",
            -3,
        ),
        gate=r"\bwarrant",
        threshold=3,
    ),
    rule(
        C.INSURANCE,
        (r"\binsurance\b", 2),
        (
            r"\b(?:maintain|carry|obtain|procure|keep)\w*"
            + gap(100)
            + r"\b(?:insurance|insured)\b",
            2,
        ),
        (r"\badditional(?:ly)?\s+(?:named\s+)?insured|\bcertificates?\s+of\s+insurance", 3),
        (r"\b(?:coverage|insured|insurer|premiums?|per\s+occurrence|policy|policies)\b", 1),
        (
            r"\b(?:life|reinsurance)\s+insurance\s+compan|\binsurance\s+(?:company|companies|products?|contracts?)\s+(?:issued|sold|offered)|\bhealth\s+insurance|\bbenefits\b",
            -2,
        ),
        gate=r"\b(?:insur|maintain|carry|obtain|procure|keep|coverage|polic|premium)",
        threshold=3.5,
    ),
    rule(
        C.COVENANT_NOT_TO_SUE,
        (
            r"\b(?:not|never)\b"
            + gap(150)
            + r"\b(?:contest|challenge|dispute|attack|oppose|impair|interfere)\w*",
            2,
        ),
        (
            r"\b(?:validity|ownership|rights?\s+(?:in|to)|title|enforceability|registration|trademarks?|marks?|intellectual\s+property|patents?)\b",
            1.5,
        ),
        (
            r"\b(?:not|never)\b"
            + gap(80)
            + r"\b(?:claim|assert|acquire|seek)\b"
            + gap(80)
            + r"\b(?:rights?|interest|ownership|title|registration)",
            2.5,
        ),
        (r"\b(?:inconsistent\s+with|adverse\s+to)\s+(?:\w+\s+){0,3}(?:ownership|rights?)", 2.5),
        (r"\bcovenants?\s+not\s+to\s+sue", 4),
        (r"\bwaive\w*\b" + gap(80) + r"\b(?:moral\s+rights|claims?|right\s+to\s+sue)", 2),
        (r"\b(?:not|never)\s+(?:\w+\s+){0,3}(?:sue|bring\s+(?:any\s+)?(?:action|claim|suit))", 2),
        (
            r"\binvalid\b|\bunenforceable|\bwaiver\s+of|\bseverab\w*|\bexercise\s+any\s+right|\bindemnif\w*",
            -2,
        ),
        gate=r"\b(?:contest|challenge|dispute|attack|oppose|impair|interfere|claim|assert|acquire|seek|inconsistent|adverse|sue|waive|bring)",
        threshold=3.5,
    ),
    rule(
        C.THIRD_PARTY_BENEFICIARY,
        (
            r"\b(?:intended|express(?:ly)?|specific)\s+(?:third[- ]party\s+)?(?:\w+\s+)?beneficiar(?:y|ies)",
            3,
        ),
        (r"\b(?:is|are|shall\s+be)\s+(?:an?\s+)?(?:intended\s+)?third[- ]party\s+beneficiar", 3),
        (r"\b(?:no|not|nothing|neither|without|none)\b" + gap(120) + r"\bbeneficiar", -3),
        (r"\bbeneficiar\w*" + gap(80) + r"\bexcept\b|\bexcept\b" + gap(80) + r"\bbeneficiar", 3.5),
        gate=r"\bbeneficiar",
        threshold=3,
    ),
)
