"""Hand-written keyword rules for support triage: one of the classifiers that vote on an intent.

The rules live in `data/support_triage/intent_keywords.yaml`, plain data a support lead can read
and edit: for each Banking77 intent, a list of `{pattern, weight}` rules. A pattern is a Python
regular expression searched case-insensitively in the customer's message; a message's score for
an intent is the sum of the weights of that intent's rules that match, and the text each rule
matched is kept as the evidence for the vote. Patterns run as `agents.owner_patterns` runs an
owner's patterns: one that backtracks without end is refused when the file loads if a short probe
text shows it, and otherwise its search is stopped after a time limit (`SlowPattern`, naming the
intent and the rule), failing the keyword voter rather than holding the vote.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from agents import owner_patterns
from agents.owner_patterns import SlowPattern, compile_pattern, runaway_problem

MAX_TEXT_CHARS = 1000
"""Only a message's first characters are scored: the rules pair phrases across the message, which
costs time that grows quickly with its length, and a request's intent is stated at its start."""

DEFAULT_RULES_PATH = (
    Path(__file__).resolve().parents[2] / "data" / "support_triage" / "intent_keywords.yaml"
)


@dataclass(frozen=True)
class KeywordMatch:
    """An intent whose rules matched a message."""

    intent: str
    score: float
    """The sum of the weights of the rules that matched."""
    phrases: tuple[str, ...]
    """The text each matching rule matched (`m.group(0)`), in rule order, for citing as evidence."""


@dataclass(frozen=True)
class KeywordRules:
    """For each intent, its compiled patterns and their weights."""

    rules: Mapping[str, tuple[tuple[Any, float], ...]]
    """Intent → its (compiled `regex` pattern, weight) rules, in the file's order."""
    path: Path | None = None
    """The file they were read from (named when a pattern's search is stopped)."""

    def score(self, text: str) -> list[KeywordMatch]:
        """Every intent with at least one matching rule, best first (ties broken by intent name).

        Only the first `MAX_TEXT_CHARS` characters of `text` are searched. `SlowPattern` when
        a rule's search runs past `owner_patterns.MATCH_TIMEOUT`.
        """
        text = text[:MAX_TEXT_CHARS]
        matches: list[KeywordMatch] = []
        for intent, intent_rules in self.rules.items():
            total = 0.0
            phrases: list[str] = []
            for index, (pattern, weight) in enumerate(intent_rules):
                try:
                    found = pattern.search(text, timeout=owner_patterns.MATCH_TIMEOUT)
                except TimeoutError:
                    where = f"{self.path}: intent {intent!r}, rule {index}"
                    raise SlowPattern(where, pattern.pattern) from None
                if found is not None:
                    total += weight
                    phrases.append(found.group(0))
            if phrases:
                matches.append(KeywordMatch(intent, total, tuple(phrases)))
        matches.sort(key=lambda match: (-match.score, match.intent))
        return matches


def _rule(path: Path, intent: str, index: int, raw: Any) -> tuple[Any, float]:
    """One rule of the file, compiled; ValueError naming the file, intent and rule if invalid."""
    where = f"{path}: intent {intent!r}, rule {index}"
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: a rule must be a mapping with 'pattern' and 'weight'")
    unknown = set(raw) - {"pattern", "weight"}
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(map(str, unknown))}")
    pattern = raw.get("pattern")
    if not isinstance(pattern, str) or not pattern:
        raise ValueError(f"{where}: 'pattern' must be a non-empty string")
    try:
        compiled = compile_pattern(pattern, re.IGNORECASE)
    except re.error as error:
        raise ValueError(f"{where}: pattern {pattern!r} does not compile: {error}") from error
    runaway = runaway_problem(pattern, compiled)
    if runaway is not None:
        raise ValueError(f"{where}: {runaway}")
    weight = raw.get("weight")
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight > 0:
        raise ValueError(f"{where}: 'weight' must be a positive number, got {weight!r}")
    return compiled, float(weight)


def load_keyword_rules(
    path: Path | None = None, intents: Sequence[str] | None = None
) -> KeywordRules:
    """Reads and validates the rules file (default: the shipped `intent_keywords.yaml`).

    The top level must be a mapping from intent to a non-empty list of rules; when `intents` is
    given, every key must be one of them and every one of them must have rules. Each rule needs
    a `pattern` that compiles and a positive numeric `weight`. Any problem raises ValueError
    naming the file, the intent and the rule index.
    """
    path = DEFAULT_RULES_PATH if path is None else Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"{path}: cannot read the keyword rules: {error}") from error
    if not isinstance(data, Mapping):
        raise ValueError(f"{path}: the top level must be a mapping from intent to rules")
    known = None if intents is None else set(intents)
    rules: dict[str, tuple[tuple[Any, float], ...]] = {}
    for intent, raw_rules in data.items():
        if not isinstance(intent, str):
            raise ValueError(f"{path}: intent {intent!r}: intent names must be strings")
        if known is not None and intent not in known:
            raise ValueError(f"{path}: intent {intent!r}, rule 0: not a known intent")
        if not isinstance(raw_rules, list) or not raw_rules:
            raise ValueError(
                f"{path}: intent {intent!r}, rule 0: expected a non-empty list of rules"
            )
        rules[intent] = tuple(
            _rule(path, intent, index, raw) for index, raw in enumerate(raw_rules)
        )
    if intents is not None:
        missing = [intent for intent in intents if intent not in rules]
        if missing:
            raise ValueError(
                f"{path}: intent {missing[0]!r}, rule 0: no rules (missing: {missing})"
            )
    return KeywordRules(rules, path)


@functools.cache
def default_keyword_rules() -> KeywordRules:
    """The shipped rules, loaded once."""
    return load_keyword_rules()
