"""The clause rules file: read, checked and compiled once.

`data/contract_review/clause_rules.yaml` (or the file `BATON_CONTRACT_REVIEW_CLAUSE_RULES_FILE`
names) holds, for each of CUAD's 41 categories, its weighted cues, its threshold and its reading
options, plus named `fragments`: shared pattern pieces written in a pattern as `<<NAME>>` and
replaced by their text when the file is loaded. The file's header explains it for its owner.

Every problem in the file is reported at once, in one `DataFileError` (a ValueError): one line
each, naming the file, the line, the category (or fragment) and the cue's index.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic_settings import BaseSettings, SettingsConfigDict

from agents.contract_review.clause_patterns import Cue, Rule, compile_cue
from agents.data_files import DataFileError, line_of
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
    `weight` that is not a non-zero number (true/false are not numbers); a pattern naming an
    unknown fragment or not compiling once its fragments are in place; a `threshold` that is not
    a positive number; a `gate`, `within`, `max_spans`, `exact`, `carry` or `requires` of the
    wrong kind.
    """
    path = DEFAULT_RULES_PATH if path is None else Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=_UniqueKeyLoader)
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
    return ClauseRules(path, rules, checker.fragments)


_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it: it reads the file ten times faster."""


class _UniqueKeyLoader(_SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (the second would silently
    replace the first: a category's cues, say)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, list | dict):
                continue  # unhashable: the base class refuses it with its own message
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _number(value: Any) -> float | None:
    """The value as a float when it is a number (true and false are not), else None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


class _Checker:
    """Walks the parsed file, building the rules and collecting every problem found."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.problems: list[str] = []
        self.fragments: dict[str, str] = {}

    def problem(self, loc: tuple[Any, ...], where: str, message: str) -> None:
        line = line_of(self.text, loc)
        at = f"{self.path}, line {line}" if line else str(self.path)
        self.problems.append(f"{at}: {where}: {message}")

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
                f"'threshold' must be a positive number, got {raw.get('threshold')!r}",
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
                loc, where, f"'weight' must be a non-zero number, got {raw.get('weight')!r}"
            )
            return None
        pattern = self.pattern(loc, where, raw.get("pattern"))
        if pattern is None:
            return None
        try:
            return compile_cue(pattern, weight)
        except (re.error, ValueError) as error:
            self.problem(loc, where, f"pattern '{raw['pattern']}' does not compile: {error}")
            return None

    def gate(self, category: ClauseCategory, raw: Any) -> Cue | None:
        if raw is None:
            return None
        where = f"category {category.value!r}, gate"
        loc = ("categories", category.value, "gate")
        pattern = self.pattern(loc, where, raw)
        if pattern is None:
            return None
        try:
            return compile_cue(pattern, 0)
        except (re.error, ValueError) as error:
            self.problem(loc, where, f"pattern '{raw}' does not compile: {error}")
            return None

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
