"""Clause analysis: which of CUAD's 41 categories a contract has, and where, by rules and a model.

The contract is cut into sentences (with their offsets) and every sentence gets a score per
category: the sum of the weights of the distinct cues found in it (the rules are data,
`data/contract_review/clause_rules.yaml`, read by `clause_rules`). A category is present when its
best sentence reaches the rule's threshold; the best sentences are its spans. To stay fast (the
111 CUAD contracts in a few seconds) only sentences holding one of a rule's gate words are read
for it, and its weaker cues are only looked for in the sentences where a strong one was found.

For the categories `data/contract_review/clause_model.yaml` names, a sentence model learned from
labelled contracts (`clause_model`) has a say too: the category is present by the rules, by the
model's best sentence reaching the file's threshold, by either or only by both, as the file
decides; the spans are the rules' when they found it, else the model's best sentences. A
sentence holding one of the category's negative cues never counts for the model (`vetoes`).

Evaluator feedback is acted on, never dropped: a category named in a feedback line
("Cap On Liability: span does not contain a liability limit") has the sentences chosen before
set aside and the next-best ones taken (absent when there are none); "no clause ... found" reads
the contract again with the thresholds lowered; a line that names no category and asks for
nothing this stage knows how to do escalates the contract to a person.
"""

from __future__ import annotations

import bisect
import re
import string
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import pairwise

import numpy as np

from agents.contract_review.clause_model import ClauseModel, clause_model
from agents.contract_review.clause_patterns import Cue, Rule
from agents.contract_review.clause_rules import ClauseRules, clause_rules
from agents.contract_review.clause_sentences import CATEGORIES
from agents.data_files import DataFileError
from agents.owner_patterns import SlowPattern
from agents.spec import AgentContext
from schemas.contract_review import ClauseCategory, ClauseFinding, ClauseReport, Span, StageInput
from schemas.result import ErrorKind, Outcome

RELAXED = 0.75
"""Threshold factor for a second reading after the evaluator found no clause at all."""
HEADING = 60
"""A sentence this short is taken as a heading: its cues also count for the sentence after it."""
LONGEST = 1500
"""A run-on sentence longer than this is cut at its semicolons."""

_NOT_ENDS = frozenset(
    {
        "inc", "co", "corp", "ltd", "no", "nos", "st", "mr", "mrs", "ms", "dr", "vs", "sec",
        "art", "u.s", "e.g", "i.e", "etc", "l.l.c", "l.p", "n.a", "s.a", "b.v", "n.v", "p.o",
        "para", "sect", "approx", "ex", "exh", "fig", "jan", "feb", "mar", "apr", "jun", "jul",
        "aug", "sep", "sept", "oct", "nov", "dec",
    }
)  # fmt: skip
"""Words whose trailing period does not end a sentence."""
_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9])|\n")
_WORD_BEFORE = re.compile(r"([\w.]+)$")
_NUMBERING = re.compile(r"^(?:\(?[\dA-Za-z]{1,3}[.)])+\(?[\dA-Za-z]{0,3}[.)]?$")
_SEMICOLON = re.compile(r";\s+")
_WORD = re.compile(r"[a-z]+|%|\*{3,}")
_SOFT_BREAK = re.compile(r"(?<=[^\s.:;!?\"\u201d)\]])[ \t]*\n\s*(?=[a-z])")
_FEEDBACK = re.compile(r"^\s*([^:]{2,80}?)\s*(?:\[\d+\])?\s*:\s*(.+)$", re.DOTALL)
_REREAD = re.compile(r"\bno\s+clause\b|\bread\s+the\s+whole\s+contract\b", re.IGNORECASE)
_BY_NAME = {category.value.lower(): category for category in ClauseCategory}
_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


@dataclass(frozen=True)
class Sentence:
    """A sentence of the contract: `content[start:end]`, trimmed."""

    start: int
    end: int


def sentences(content: str) -> list[Sentence]:
    """The contract cut into sentences (periods, line breaks; long run-ons at semicolons),
    each with its offsets; section numbers stay with the sentence they number."""
    cuts = [0]
    for match in _END.finditer(content):
        if match.group(0) != "\n":
            word = _WORD_BEFORE.search(content, max(0, match.start() - 12), match.start())
            token = word.group(1).lower().rstrip(".") if word else ""
            if token in _NOT_ENDS:
                continue
        cuts.append(match.end())
    cuts.append(len(content))
    found: list[Sentence] = []
    pending: int | None = None
    for start, end in pairwise(cuts):
        for piece in _pieces(content, start, end):
            text = content[piece.start : piece.end]
            if _NUMBERING.match(text):
                pending = piece.start if pending is None else pending
                continue
            if pending is not None:
                piece, pending = Sentence(pending, piece.end), None
            found.append(piece)
    return found


def _pieces(content: str, start: int, end: int) -> list[Sentence]:
    bounds = [start, end]
    if end - start > LONGEST:
        bounds = [start, *(m.end() for m in _SEMICOLON.finditer(content, start, end)), end]
    pieces = []
    for left, right in pairwise(bounds):
        while left < right and content[left].isspace():
            left += 1
        while right > left and content[right - 1].isspace():
            right -= 1
        if left < right:
            pieces.append(Sentence(left, right))
    return pieces


@dataclass(frozen=True)
class Text:
    """A contract ready to be searched with a set of rules: its sentences and its
    ASCII-lower-cased text (same offsets)."""

    rules: ClauseRules
    original: str
    content: str
    """The contract with its line breaks inside sentences (a PDF's hard wraps) made spaces."""
    lowered: str
    sentences: list[Sentence]
    starts: list[int]

    @classmethod
    def of(cls, content: str, rules: ClauseRules) -> Text:
        joined = _SOFT_BREAK.sub(lambda match: " " * len(match.group(0)), content)
        found = sentences(joined)
        return cls(
            rules, content, joined, joined.translate(_LOWER), found, [s.start for s in found]
        )

    @cached_property
    def gated(self) -> dict[ClauseCategory, set[int]]:
        """For each rule with a gate, the sentences holding one of its words (and the sentence
        after each such heading)."""
        by_word: dict[str, list[int]] = defaultdict(list)
        for index, sentence in enumerate(self.sentences):
            for word in set(_WORD.findall(self.lowered, sentence.start, sentence.end)):
                by_word[word].append(index)
        found: dict[ClauseCategory, set[int]] = defaultdict(set)
        for word, indices in by_word.items():
            for category in _gates_opened_by(self.rules, word):
                found[category].update(indices)
        last = len(self.sentences) - 1
        for opened in found.values():
            opened |= {i + 1 for i in opened if i < last and _heading(self, i)}
        return found


def score(text: Text, rule: Rule, needed: float) -> dict[int, float]:
    """Each sentence's score for `rule`, by sentence index, for the sentences that can reach
    `needed`. Only sentences mentioning the rule's gate (when it has one) are read; the rule's
    strongest cues (its anchors, without one of which no sentence can reach `needed`) are
    searched first, the other cues only in the sentences the anchors found."""
    limit = len(text.content) if rule.within is None else min(len(text.content), rule.within)
    scope = [(0, limit)]
    if rule.gate is not None:
        scope = [
            (a, min(b, limit)) for a, b in _regions(text, text.gated[rule.category]) if a < limit
        ]
    anchors, others = _anchors(rule.cues, needed)
    totals: dict[int, float] = defaultdict(float)
    candidates: set[int] = set()
    for cue in anchors:
        candidates |= _credit(text, cue, scope, totals, rule.carry)
    regions = _regions(text, candidates)
    for cue in others:
        _credit(text, cue, regions, totals, rule.carry)
    return {index: totals[index] for index in candidates}


@lru_cache(maxsize=200_000)
def _gates_opened_by(rules: ClauseRules, word: str) -> tuple[ClauseCategory, ...]:
    """The categories whose gate this word opens (the same words recur across contracts)."""
    return tuple(r.category for r in rules.rules if r.gate is not None and r.gate.match(word))


def _anchors(cues: tuple[Cue, ...], needed: float) -> tuple[list[Cue], list[Cue]]:
    ranked = sorted((cue for cue in cues if cue.weight > 0), key=lambda cue: -cue.weight)
    rest = sum(cue.weight for cue in ranked)
    anchors = []
    for cue in ranked:
        if rest < needed:
            break
        anchors.append(cue)
        rest -= cue.weight
    return anchors, [cue for cue in cues if cue not in anchors]


def _hits(text: Text, cue: Cue, regions: list[tuple[int, int]], carry: bool) -> set[int]:
    """The sentences the cue is found in, and (with `carry`) those right after a heading it is
    found in."""
    hits = {
        bisect.bisect_right(text.starts, match.start()) - 1
        for start, end in regions
        for match in cue.finditer(text.lowered, text.content, start, end)
    }
    hits.discard(-1)
    if not carry:
        return hits
    carried = {i + 1 for i in hits if i + 1 < len(text.sentences) and _heading(text, i)}
    return hits | carried


def _credit(
    text: Text, cue: Cue, regions: list[tuple[int, int]], totals: dict[int, float], carry: bool
) -> set[int]:
    """Add the cue's weight to the sentences `_hits` finds; returns them."""
    found = _hits(text, cue, regions, carry)
    for index in found:
        totals[index] += cue.weight
    return found


def _regions(text: Text, indices: set[int]) -> list[tuple[int, int]]:
    """The stretches of text holding these sentences (each with the heading before it)."""
    merged: list[tuple[int, int]] = []
    for index in sorted(indices):
        first = index - 1 if index and _heading(text, index - 1) else index
        start, end = text.sentences[first].start, text.sentences[index].end
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _heading(text: Text, index: int) -> bool:
    sentence = text.sentences[index]
    return sentence.end - sentence.start <= HEADING


def analyse_clauses(payload: StageInput, context: AgentContext) -> ClauseReport | Outcome:
    """One finding per CUAD category: present with its best sentences as spans, or absent; by
    the rules, with the learned model where `data/contract_review/clause_model.yaml` says so.
    Acts on the evaluator's feedback from a previous attempt (see the module doc)."""
    try:
        learned = clause_model()
    except DataFileError as error:
        return Outcome.failed(f"the clause model cannot be used: {error}", ErrorKind.UNAVAILABLE)
    return find_clauses(payload.content, payload.feedback, clause_rules(), learned)


def find_clauses(
    content: str, feedback: list[str], in_force: ClauseRules, learned: ClauseModel
) -> ClauseReport | Outcome:
    """`analyse_clauses` with the rules and the model given (the benches pass models trained
    without the contracts they score). A cue whose search runs without end fails the analysis
    naming the cue (`owner_patterns.SlowPattern`), and the stage's fallback takes over."""
    try:
        return _find_clauses(content, feedback, in_force, learned)
    except SlowPattern as error:
        return Outcome.failed(str(error), ErrorKind.IMPLEMENTATION_ERROR)


def _find_clauses(
    content: str, feedback: list[str], in_force: ClauseRules, learned: ClauseModel
) -> ClauseReport | Outcome:
    if not any(character.isalpha() for character in content):
        return Outcome.failed("the contract has no readable text", ErrorKind.UNREADABLE_INPUT)
    rejected, reread, unusable = _read_feedback(feedback)
    if unusable:
        return Outcome.escalated(
            "clause analysis cannot act on this feedback with its rules: " + "; ".join(unusable)
        )
    rules = in_force.rules
    text = Text.of(content, in_force)
    factor = RELAXED if reread else 1.0
    probabilities = None
    if learned.sentences is not None:
        probabilities = learned.sentences.probabilities(
            [content[s.start : s.end] for s in text.sentences]
        )
        probabilities[vetoes(text) & ~np.isnan(probabilities)] = 0.0
    found = {
        rule.category: _decide(
            text, rule, factor, rule.category in rejected, learned, probabilities
        )
        for rule in rules
    }
    present = with_requirements({c for c, (spans, _) in found.items() if spans}, in_force)
    findings = [
        ClauseFinding(
            category=rule.category,
            present=rule.category in present,
            spans=found[rule.category][0] if rule.category in present else [],
            model_probability=found[rule.category][1],
        )
        for rule in rules
    ]
    report = ClauseReport(findings=findings, clause_model=learned.key)
    if reread and not report.present():
        return Outcome.empty(
            "read again with lowered thresholds after the evaluator's feedback: no clause of "
            "any of CUAD's 41 categories was found"
        )
    return report


def with_requirements(decided: set[ClauseCategory], in_force: ClauseRules) -> set[ClauseCategory]:
    """The decided categories whose rule's `requires` holds (one of the categories it names
    decided too: an exception to a restriction needs the restriction)."""
    return {
        rule.category
        for rule in in_force.rules
        if rule.category in decided
        and (not rule.requires or any(needed in decided for needed in rule.requires))
    }


def vetoes(text: Text) -> np.ndarray:
    """One row a sentence, one column a category: the sentence holds one of the category's
    negative cues (a look-alike the legal owner says is not the clause: "no third party
    beneficiaries"), or follows a heading that does. The model does not count such a sentence
    for the category: its words look like the clause's, and it does not read negation."""
    vetoed = np.zeros((len(text.sentences), len(CATEGORIES)), dtype=bool)
    for rule in text.rules.rules:
        negative = [cue for cue in rule.cues if cue.weight < 0]
        if not negative:
            continue
        limit = len(text.content) if rule.within is None else min(len(text.content), rule.within)
        scope = [(0, limit)]
        if rule.gate is not None:
            scope = [
                (a, min(b, limit))
                for a, b in _regions(text, text.gated[rule.category])
                if a < limit
            ]
        hits: set[int] = set()
        for cue in negative:
            hits |= _hits(text, cue, scope, rule.carry)
        vetoed[sorted(hits), CATEGORIES.index(rule.category)] = True
    return vetoed


def _decide(
    text: Text,
    rule: Rule,
    factor: float,
    rejected: bool,
    learned: ClauseModel,
    probabilities: np.ndarray | None,
) -> tuple[list[Span], float | None]:
    """One category's spans (none when absent) and, when the model has a say, its best
    sentence's probability. The spans are the rules' when they found the clause and the
    decision counts them, else the model's best sentences at or above its threshold. When the
    previous choice was rejected, what it showed is set aside, for the rules and the model."""
    by_rules = _choose(text, rule, factor, rejected)
    decision = learned.decisions.of(rule.category)
    column = CATEGORIES.index(rule.category)
    scores = probabilities[:, column] if probabilities is not None else np.empty(0)
    if decision.use == "rules" or decision.threshold is None or np.isnan(scores).all():
        return by_rules, None
    if rejected:
        shown, _ = _decide(text, rule, factor, False, learned, probabilities)
        scores = scores.copy()
        for index, sentence in enumerate(text.sentences):
            if any(sentence.start < span.end and span.start < sentence.end for span in shown):
                scores[index] = 0.0
        by_rules = [
            span
            for span in by_rules
            if not any(span.start < old.end and old.start < span.end for old in shown)
        ]
    best = float(np.nanmax(scores))
    threshold = decision.threshold * factor
    ranked = [int(i) for i in np.argsort(-scores, kind="stable") if scores[i] >= threshold]
    if not decision.decide(bool(by_rules), best, factor):
        return [], round(best, 4)
    if by_rules and decision.use != "model":
        return by_rules, round(best, 4)
    spans = [text.sentences[index] for index in sorted(ranked[: rule.max_spans])]
    return [_span(text, sentence, rule, whole=True) for sentence in spans], round(best, 4)


def _choose(text: Text, rule: Rule, factor: float, rejected: bool) -> list[Span]:
    """The spans for one category: its best sentences at or above the threshold; when the
    previous choice was rejected, the next best after it."""
    scores = score(text, rule, rule.threshold * factor)
    ranked = sorted(
        (index for index, value in scores.items() if value >= rule.threshold * factor),
        key=lambda index: (-scores[index], index),
    )
    if rejected:
        ranked = ranked[rule.max_spans :]
    picked = sorted(ranked[: rule.max_spans])
    return [_span(text, text.sentences[index], rule) for index in picked]


def _span(text: Text, sentence: Sentence, rule: Rule, whole: bool = False) -> Span:
    """The sentence, or for an `exact` rule (unless `whole`) the text of its strongest cue
    found in it."""
    content, start, end = text.original, sentence.start, sentence.end
    if rule.exact and not whole:
        for cue in sorted((c for c in rule.cues if c.weight > 0), key=lambda c: -c.weight):
            match = next(cue.finditer(text.lowered, text.content, start, end), None)
            if match is not None and match.group(0).strip():
                start, end = match.span()
                break
    while start < end and content[start].isspace():
        start += 1
    while end > start and content[end - 1].isspace():
        end -= 1
    return Span(start=start, end=end, text=content[start:end])


def _read_feedback(feedback: list[str]) -> tuple[set[ClauseCategory], bool, list[str]]:
    """The categories whose spans were rejected, whether to read everything again, and the
    lines that ask for something these rules cannot do."""
    rejected: set[ClauseCategory] = set()
    reread = False
    unusable = []
    for line in feedback:
        match = _FEEDBACK.match(line)
        category = _BY_NAME.get(match.group(1).strip().lower()) if match else None
        if category is not None:
            rejected.add(category)
        elif _REREAD.search(line):
            reread = True
        elif line.strip():
            unusable.append(line.strip())
    return rejected, reread, unusable
