"""The clause rules file: read, checked and compiled once.

`data/contract_review/clause_rules.yaml` (or the file `BATON_CONTRACT_REVIEW_CLAUSE_RULES_FILE`
names) holds, for each of CUAD's 41 categories, its weighted cues, its threshold and its reading
options, plus named `fragments`: shared pattern pieces written in a pattern as `<<NAME>>` and
replaced by their text when the file is loaded. The file's header explains it for its owner.

Every problem in the file is reported at once, in one `DataFileError` (a ValueError): one line
each, naming the file, the line, the category (or fragment) and the cue's index. What loads but
may not be meant (cues that reach the threshold only together where the gate opens on no word)
is kept in `ClauseRules.warnings`, in the same form, and logged at debug level: the shipped file
has such categories on purpose, and a run should not print them every time (a test lists them).
"""

from __future__ import annotations

import functools
import importlib
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic_settings import BaseSettings, SettingsConfigDict

from agents.contract_review.clause_patterns import Cue, Rule, compile_cue
from agents.data_files import DataFileError, UniqueKeyLoader
from agents.owner_patterns import runaway_problem
from schemas.contract_review import ClauseCategory

DEFAULT_RULES_PATH = (
    Path(__file__).resolve().parents[2] / "data" / "contract_review" / "clause_rules.yaml"
)

FRAGMENT = re.compile(r"<<([^<>]*)>>")
"""A fragment reference in a pattern: `<<NAME>>` (a regex never holds `<<`)."""
FRAGMENT_NAME = re.compile(r"[A-Z][A-Z0-9_]*")

_TOP_KEYS = frozenset({"fragments", "categories"})
_CATEGORY_KEYS = frozenset(
    {"threshold", "cues", "gate", "within", "max_spans", "exact", "carry", "requires"}
)
_CUE_KEYS = frozenset({"pattern", "weight"})
_BY_NAME = {category.value: category for category in ClauseCategory}
_log = logging.getLogger(__name__)


class ClauseRulesSettings(BaseSettings):
    """`BATON_CONTRACT_REVIEW_CLAUSE_RULES_FILE`: the clause rules in force (default: the
    shipped file)."""

    model_config = SettingsConfigDict(env_prefix="BATON_CONTRACT_REVIEW_", extra="ignore")

    clause_rules_file: Path = DEFAULT_RULES_PATH


@dataclass(frozen=True, eq=False)
class ClauseRules:
    """The rules of one file, one per category in CUAD's order.

    Compared and hashed by identity: loaded once per file, it keys the per-word gate cache."""

    path: Path
    rules: tuple[Rule, ...]
    fragments: Mapping[str, str]
    """Each fragment's text, with the fragments it uses already in place."""
    warnings: tuple[str, ...] = ()
    """What loads but may not be what the owner meant (logged when the file is loaded): cues
    that reach the threshold only together, in sentences the gate does not open."""


def expand(pattern: str, fragments: Mapping[str, str]) -> str:
    """`pattern` with each `<<NAME>>` replaced by its fragment's text; KeyError naming the
    first unknown name."""
    return FRAGMENT.sub(lambda match: fragments[match.group(1)], pattern)


def clause_rules() -> ClauseRules:
    """The rules in force (`BATON_CONTRACT_REVIEW_CLAUSE_RULES_FILE`, else the shipped file),
    loaded once per file."""
    return _load_cached(ClauseRulesSettings().clause_rules_file)


@functools.cache
def _load_cached(path: Path) -> ClauseRules:
    return load_clause_rules(path)


def load_clause_rules(path: Path | None = None) -> ClauseRules:
    """Reads and checks a clause rules file (default: the shipped one).

    Refused, with every problem listed: a key the file format does not have; a missing, unknown
    or repeated category; a fragment whose name is not in capitals, that uses a fragment not
    defined above it, or that does not compile; a cue without a non-empty `pattern` or with a
    `weight` that is not a finite non-zero number (true/false, .nan and .inf are not); a
    pattern naming an unknown fragment, not compiling once its fragments are in place, or
    matching the empty string; a `threshold` that is not a finite positive number, or that the
    category's positive weights cannot add up to; a `gate`, `within`, `max_spans`, `exact`,
    `carry` or `requires` of the wrong kind; a cue that reaches the threshold on its own but can
    be found where the gate opens on no word (`_Checker.gated`). Cues that reach it only
    together there are a warning, kept in `ClauseRules.warnings` (and logged at debug level).
    """
    path = DEFAULT_RULES_PATH if path is None else Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=UniqueKeyLoader)
    except OSError as error:
        raise DataFileError(f"{path}: cannot read the clause rules: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise DataFileError(f"{path}: not valid YAML ({error})") from None
    checker = _Checker(path, text)
    rules = checker.rules(data)
    if checker.problems:
        count = len(checker.problems)
        raise DataFileError(
            f"{path}: {count} problem{'s' if count > 1 else ''} in the clause rules:\n"
            + "\n".join(checker.problems)
        )
    if checker.warnings:
        count = len(checker.warnings)
        _log.debug(
            "%s: %d warning%s in the clause rules:\n%s",
            path,
            count,
            "s" if count > 1 else "",
            "\n".join(checker.warnings),
        )
    return ClauseRules(path, rules, checker.fragments, tuple(checker.warnings))


def _number(value: Any) -> float | None:
    """The value as a float when it is a finite number (true and false are not; nor are .nan,
    .inf and a whole number too large for a float), else None."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


class _Checker:
    """Walks the parsed file, building the rules and collecting every problem found."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.fragments: dict[str, str] = {}

    def problem(self, loc: tuple[Any, ...], where: str, message: str) -> None:
        self.problems.append(self.located(loc, where, message))

    def warning(self, loc: tuple[Any, ...], where: str, message: str) -> None:
        self.warnings.append(self.located(loc, where, message))

    def located(self, loc: tuple[Any, ...], where: str, message: str) -> str:
        line = self.line(loc)
        at = f"{self.path}, line {line}" if line else str(self.path)
        return f"{at}: {where}: {message}"

    @functools.cached_property
    def tree(self) -> Any:
        """The file's YAML nodes, composed once (with libyaml when PyYAML has it)."""
        return yaml.compose(self.text, Loader=UniqueKeyLoader)

    def line(self, loc: tuple[Any, ...]) -> int | None:
        """`agents.data_files.line_of`, on the nodes composed once: the shipped file has warnings
        to place, and composing it again for each took longer than all the checks."""
        node, line = self.tree, None
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if str(k.value) == str(part)), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                node = node.value[part] if part < len(node.value) else None
            else:
                node = None
            if node is None:
                break
            line = node.start_mark.line + 1
        return line

    def rules(self, data: Any) -> tuple[Rule, ...]:
        if not isinstance(data, Mapping):
            self.problem((), "file", "the top level must hold 'fragments' and 'categories'")
            return ()
        for key in sorted(set(map(str, data)) - _TOP_KEYS):
            self.problem((key,), f"key {key!r}", "unknown key (expected fragments, categories)")
        self.read_fragments(data.get("fragments", {}))
        categories = data.get("categories")
        if not isinstance(categories, Mapping):
            self.problem(("categories",), "categories", "must map each category to its rule")
            return ()
        found: dict[ClauseCategory, Rule] = {}
        for name, raw in categories.items():
            category = _BY_NAME.get(name) if isinstance(name, str) else None
            if category is None:
                self.problem(
                    ("categories", name),
                    f"category {name!r}",
                    "not one of CUAD's 41 categories (schemas.contract_review.ClauseCategory)",
                )
                continue
            rule = self.rule(category, raw)
            if rule is not None:
                found[category] = rule
        for category in ClauseCategory:
            if category.value not in categories:
                self.problem(
                    ("categories",),
                    f"category {category.value!r}",
                    "missing: every one of CUAD's 41 categories needs a rule",
                )
        return tuple(found[category] for category in ClauseCategory if category in found)

    def read_fragments(self, raw: Any) -> None:
        if not isinstance(raw, Mapping):
            self.problem(("fragments",), "fragments", "must map each NAME to a pattern piece")
            return
        for name, piece in raw.items():
            where = f"fragment {name!r}"
            loc = ("fragments", name)
            if not isinstance(name, str) or not FRAGMENT_NAME.fullmatch(name):
                self.problem(loc, where, "a name is capital letters, digits and _ (e.g. G80)")
                continue
            if not isinstance(piece, str) or not piece:
                self.problem(loc, where, "must be a non-empty pattern piece in quotes")
                continue
            unknown = self.unknown_names(piece)
            if unknown:
                self.problem(loc, where, f"uses {unknown}, not defined above it")
                continue
            expanded = expand(piece, self.fragments)
            try:
                re.compile(expanded)
            except re.error as error:
                self.problem(loc, where, f"does not compile: {error}")
                continue
            self.fragments[name] = expanded

    def unknown_names(self, pattern: str) -> str:
        names = [name for name in FRAGMENT.findall(pattern) if name not in self.fragments]
        return ", ".join(f"<<{name}>>" for name in dict.fromkeys(names))

    def rule(self, category: ClauseCategory, raw: Any) -> Rule | None:
        where = f"category {category.value!r}"
        loc: tuple[Any, ...] = ("categories", category.value)
        if not isinstance(raw, Mapping):
            self.problem(loc, where, "must be a mapping with 'threshold' and 'cues'")
            return None
        before = len(self.problems)
        for key in sorted(set(map(str, raw)) - _CATEGORY_KEYS):
            self.problem(
                (*loc, key),
                where,
                f"unknown key {key!r} (expected {', '.join(sorted(_CATEGORY_KEYS))})",
            )
        threshold = _number(raw.get("threshold"))
        if threshold is None or not threshold > 0:
            self.problem(
                (*loc, "threshold"),
                where,
                f"'threshold' must be a finite positive number, got {raw.get('threshold')!r}",
            )
        cues_raw = raw.get("cues")
        cues: list[Cue] = []
        if not isinstance(cues_raw, list) or not cues_raw:
            self.problem((*loc, "cues"), where, "'cues' must be a non-empty list of cues")
        else:
            for index, cue_raw in enumerate(cues_raw):
                cue = self.cue(category, index, cue_raw)
                if cue is not None:
                    cues.append(cue)
        gate = self.gate(category, raw.get("gate"))
        within = raw.get("within")
        if within is not None and (
            not isinstance(within, int) or isinstance(within, bool) or within <= 0
        ):
            self.problem(
                (*loc, "within"), where, f"'within' must be a positive whole number, got {within!r}"
            )
        max_spans = raw.get("max_spans", 3)
        if not isinstance(max_spans, int) or isinstance(max_spans, bool) or max_spans <= 0:
            self.problem(
                (*loc, "max_spans"),
                where,
                f"'max_spans' must be a positive whole number, got {max_spans!r}",
            )
        for flag in ("exact", "carry"):
            if flag in raw and not isinstance(raw[flag], bool):
                self.problem(
                    (*loc, flag), where, f"{flag!r} must be true or false, got {raw[flag]!r}"
                )
        requires = self.requires(category, raw.get("requires", []))
        if threshold is None or len(self.problems) > before:
            return None
        self.reachable(category, threshold, cues)
        if gate is not None:
            self.gated(category, threshold, gate, cues)
        if len(self.problems) > before:
            return None
        return Rule(
            category,
            tuple(cues),
            threshold=threshold,
            within=within,
            max_spans=max_spans,
            exact=raw.get("exact", False),
            carry=raw.get("carry", True),
            requires=requires,
            gate=gate,
        )

    def reachable(self, category: ClauseCategory, threshold: float, cues: list[Cue]) -> None:
        """Refuses a threshold no sentence can reach. A cue counts once in a sentence however
        often it is found there (or in the heading before it, whose cues count for it too), and
        `requires` adds nothing to a score: the most a sentence can score is the sum of the
        positive weights."""
        most = sum(cue.weight for cue in cues if cue.weight > 0)
        if most < threshold:
            self.problem(
                ("categories", category.value, "threshold"),
                f"category {category.value!r}",
                f"'threshold' {threshold:g} cannot be reached: the category's positive cues "
                f"add up to at most {most:g} in a sentence (each counts once)",
            )

    def gated(self, category: ClauseCategory, threshold: float, gate: Cue, cues: list[Cue]) -> None:
        """Checks the cues against the gate, which is tried on each word of a sentence: a
        sentence with no word it opens (in it, or in a heading just before it) is never read for
        the category, whatever cues it holds. A positive cue that can be found without such a
        word and reaches the threshold on its own is refused: the file says its phrase is the
        clause, the gate never lets it be. Cues that reach the threshold only together are a
        warning: the gate then acts as words the clause must also hold, which may be meant."""
        ungated = {
            index: text
            for index, cue in enumerate(cues)
            if cue.weight > 0 and (text := ungated_text(gate, cue)) is not None
        }
        weak: dict[int, str] = {}
        for index, text in ungated.items():
            if cues[index].weight < threshold:
                weak[index] = text
                continue
            self.problem(
                ("categories", category.value, "cues", index),
                f"category {category.value!r}, cue {index}",
                f"its weight {cues[index].weight:g} reaches the threshold {threshold:g} on its "
                f"own, but it can find '{text}', in which the gate opens on no word, and a "
                "sentence with no word the gate opens (in it or in a heading just before it) is "
                "never read for the category: " + _needed(text),
            )
        together = sum(cues[index].weight for index in weak)
        if together >= threshold:
            self.warning(
                ("categories", category.value, "gate"),
                f"category {category.value!r}, cues {', '.join(map(str, weak))}",
                f"together they reach the threshold {threshold:g} (up to {together:g}), yet each "
                f"can be found with no word the gate opens ({'; '.join(weak.values())}): a "
                "sentence holding only such phrases is never read for the category. Fine if "
                "the gate names words the clause must hold; if not, the gate would need to "
                "open on a word of each",
            )

    def cue(self, category: ClauseCategory, index: int, raw: Any) -> Cue | None:
        where = f"category {category.value!r}, cue {index}"
        loc = ("categories", category.value, "cues", index)
        if not isinstance(raw, Mapping):
            self.problem(loc, where, "a cue must be a mapping with 'pattern' and 'weight'")
            return None
        unknown = sorted(set(map(str, raw)) - _CUE_KEYS)
        if unknown:
            self.problem(loc, where, f"unknown keys {unknown} (expected pattern, weight)")
            return None
        weight = _number(raw.get("weight"))
        if weight is None or weight == 0:
            self.problem(
                loc,
                where,
                f"'weight' must be a finite non-zero number, got {raw.get('weight')!r}",
            )
            return None
        pattern = self.pattern(loc, where, raw.get("pattern"))
        if pattern is None:
            return None
        try:
            cue = compile_cue(pattern, weight, source=self.located(loc, where, "").rstrip(": "))
        except (re.error, ValueError) as error:
            self.problem(loc, where, f"pattern '{raw['pattern']}' does not compile: {error}")
            return None
        if can_match_empty(cue):
            self.problem(
                loc,
                where,
                f"pattern '{raw['pattern']}' matches the empty string: it would be found in "
                "every sentence (make its parts optional only around something it must find)",
            )
            return None
        if self.backtracks(loc, where, raw["pattern"], cue):
            return None
        return cue

    def backtracks(self, loc: tuple[Any, ...], where: str, written: str, cue: Cue) -> bool:
        """Whether the cue's search runs without end on a short text (recorded as a problem):
        it would hold every contract's analysis until stopped."""
        problem = runaway_problem(written, cue.pattern, cue.cased)
        if problem is not None:
            self.problem(loc, where, problem)
        return problem is not None

    def gate(self, category: ClauseCategory, raw: Any) -> Cue | None:
        if raw is None:
            return None
        where = f"category {category.value!r}, gate"
        loc = ("categories", category.value, "gate")
        pattern = self.pattern(loc, where, raw)
        if pattern is None:
            return None
        try:
            gate = compile_cue(pattern, 0, source=self.located(loc, where, "").rstrip(": "))
        except (re.error, ValueError) as error:
            self.problem(loc, where, f"pattern '{raw}' does not compile: {error}")
            return None
        if can_match_empty(gate):
            self.problem(
                loc,
                where,
                f"pattern '{raw}' matches the empty string: it would open on every word "
                "(leave 'gate' out to read every sentence)",
            )
            return None
        if self.backtracks(loc, where, str(raw), gate):
            return None
        return gate

    def pattern(self, loc: tuple[Any, ...], where: str, raw: Any) -> str | None:
        """The pattern with its fragments in place, or None (with the problem recorded)."""
        if not isinstance(raw, str) or not raw:
            self.problem(loc, where, f"'pattern' must be a non-empty string, got {raw!r}")
            return None
        unknown = self.unknown_names(raw)
        if unknown:
            self.problem(
                loc, where, f"unknown fragment {unknown} (defined: {', '.join(self.fragments)})"
            )
            return None
        return expand(raw, self.fragments)

    def requires(self, category: ClauseCategory, raw: Any) -> tuple[ClauseCategory, ...]:
        where = f"category {category.value!r}, requires"
        loc = ("categories", category.value, "requires")
        if not isinstance(raw, list):
            self.problem(loc, where, "must be a list of category names")
            return ()
        needed = []
        for name in raw:
            other = _BY_NAME.get(name) if isinstance(name, str) else None
            if other is None or other is category:
                self.problem(loc, where, f"{name!r} is not another of CUAD's 41 categories")
            else:
                needed.append(other)
        return tuple(needed)


GATE_WORD = re.compile(r"[a-z]+|%|\*{3,}")
"""What a gate is tried on (`clauses` cuts sentences so): each word of the lower-cased text (a
run of letters, `%` or `***`); the gate opens on a word when it matches at the word's start."""

_sre_parse: Any = importlib.import_module("re._parser")
"""The parser behind `re` (private, unchanged since Python 3.11): what a pattern can find, for
the checks that need more than compiling it."""
_MOST_READINGS = 5000
"""Beyond this many ways of reading a pattern, `ungated_text` gives up (and refuses nothing)."""


def _needed(text: str) -> str:
    """What the gate would need to open on a text a cue finds."""
    words = [f"'{word}'" for word in dict.fromkeys(GATE_WORD.findall(text))]
    if not words:
        return "it holds no word for a gate to open on: give the pattern one, or lower the weight"
    if len(words) == 1:
        return f"the gate would need to open on {words[0]}"
    return f"the gate would need to open on one of {', '.join(words)}"


def can_match_empty(cue: Cue) -> bool:
    """Whether the cue's pattern (fragments in place, as compiled) can match the empty string:
    it would then be found in every sentence."""
    if cue.pattern.search("") is not None:
        return True
    return bool(_parsed(cue).getwidth()[0] == 0)


def _parsed(cue: Cue) -> Any:
    """The cue's pattern as Python's `re` parses it (its flags that `re` shares)."""
    shared = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.UNICODE | re.VERBOSE
    return _sre_parse.parse(cue.pattern.pattern, cue.pattern.flags & shared)


def ungated_text(gate: Cue, cue: Cue) -> str | None:
    """A text the cue can find that holds no word the gate opens, or None when every text it
    finds holds one (or the pattern is too intricate to tell: it is then given the benefit).

    The pattern is read as the texts it finds: each alternative; each optional or repeated part
    as few times as it may and up to twice more; a character class as a space when it allows
    one (the gaps between words), else as its letters; `\\w` as a letter; a lookaround as
    nothing. A word running to either end of the match is taken as a whole word. Only the words
    matter, so the texts are told apart by the word being read at their end, keeping them few."""
    try:
        reading = _GateReading(gate.pattern)
        ends = reading.sequence({"": ""}, _parsed(cue))
    except _TooIntricate:
        return None
    left = [text for run, text in ends.items() if not reading.opens(run)]
    return " ".join(min(left, key=len).split()) if left else None


class _TooIntricate(Exception):
    """A pattern `ungated_text` cannot read (or would read in too many ways)."""


_CATEGORY_CHARS = {
    "CATEGORY_DIGIT": " ",
    "CATEGORY_NOT_DIGIT": " a",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": " ",
}
"""What `\\d`, `\\s`, `\\w` and their opposites are read as: a letter, a gap or either."""


def _in_class(items: Any, char: str) -> bool:
    """Whether `char` is one of a `[...]`'s items."""
    for op, value in items:
        kind = op.name
        if kind == "LITERAL" and chr(value).lower() == char:
            return True
        if kind == "RANGE" and value[0] <= ord(char) <= value[1]:
            return True
        if kind == "CATEGORY" and re.fullmatch(_CATEGORY_PATTERN[value.name], char):
            return True
    return False


_CATEGORY_PATTERN = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}


class _GateReading:
    """Reads a pattern as the texts it finds, keeping only those in which the gate has not yet
    opened: a mapping from the word being read at a text's end (letters or `*`, lower-cased) to
    one such text."""

    def __init__(self, gate: Any) -> None:
        self.gate = gate

    def opens(self, word: str) -> bool:
        return bool(word and GATE_WORD.fullmatch(word) and self.gate.match(word))

    def step(self, run: str, char: str) -> str | None:
        """The word being read once `char` (a lower-case letter, `*`, `%` or a space) follows
        `run`; None when the gate opens on the word `char` ends (or on `%`)."""
        if run and char not in " %" and char.isalpha() == run[0].isalpha():
            return run + char
        if self.opens(run) or (char == "%" and self.opens("%")):
            return None
        return "" if char in " %" else char

    def chars(self, texts: dict[str, str], chars: str) -> dict[str, str]:
        """The texts once one of `chars` follows each."""
        found: dict[str, str] = {}
        for char in dict.fromkeys(map(_as_the_gate_reads, chars)):
            for run, text in texts.items():
                after = self.step(run, char)
                if after is not None:
                    found.setdefault(after, text + char)
        if len(found) > _MOST_READINGS:
            raise _TooIntricate
        return found

    def sequence(self, texts: dict[str, str], items: Any) -> dict[str, str]:
        for op, value in items:
            if not texts:
                break
            texts = self.item(texts, op.name, value)
        return texts

    def item(self, texts: dict[str, str], op: str, value: Any) -> dict[str, str]:
        if op == "LITERAL":
            return self.chars(texts, chr(value))
        if op in ("NOT_LITERAL", "ANY"):
            return self.chars(texts, "a" if op == "NOT_LITERAL" and chr(value) == " " else " ")
        if op == "IN":
            return self.chars(texts, self.class_chars(value))
        if op == "CATEGORY":
            return self.chars(texts, _CATEGORY_CHARS[value.name])
        if op == "AT":
            return self.chars(texts, " ") if value.name == "AT_BOUNDARY" else texts
        if op == "BRANCH":
            return _union(self.sequence(texts, branch) for branch in value[1])
        if op == "SUBPATTERN":
            return self.sequence(texts, value[-1])
        if op == "ATOMIC_GROUP":
            return self.sequence(texts, value)
        if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            least, most, body = value
            for _ in range(min(least, 4)):
                texts = self.sequence(texts, body)
            readings = [texts]
            for _ in range(min(most - least, 2)):
                readings.append(self.sequence(readings[-1], body))
            return _union(readings)
        if op == "GROUPREF_EXISTS":
            return _union([self.sequence(texts, value[1]), self.sequence(texts, value[2] or [])])
        if op in ("ASSERT", "ASSERT_NOT", "GROUPREF"):
            return texts
        raise _TooIntricate

    def class_chars(self, items: Any) -> str:
        """What a `[...]` is read as: a gap when it allows one, else its letters."""
        if items and items[0][0].name == "NEGATE":
            return next((c for c in " 0a%*" if not _in_class(items[1:], c)), "")
        chars = ""
        for op, value in items:
            if op.name == "LITERAL":
                chars += chr(value)
            elif op.name == "RANGE":
                chars += chr(value[0])
            elif op.name == "CATEGORY":
                chars += _CATEGORY_CHARS[value.name]
            else:
                raise _TooIntricate
        normal = "".join(dict.fromkeys(map(_as_the_gate_reads, chars)))
        return " " if " " in normal else normal


def _as_the_gate_reads(char: str) -> str:
    """A character as gates read it: an ASCII letter in lower case, `%`, `*`, else a gap."""
    lowered = char.lower() if char.isascii() else char
    return lowered if "a" <= lowered <= "z" or lowered in "%*" else " "


def _union(readings: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for texts in readings:
        for run, text in texts.items():
            found.setdefault(run, text)
    return found
