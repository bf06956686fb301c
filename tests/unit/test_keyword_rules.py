"""Support triage's keyword rules: the shipped file covers Banking77, scores cite phrases, bad files fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents import owner_patterns
from agents.owner_patterns import SlowPattern
from agents.support_triage.keyword_rules import (
    MAX_TEXT_CHARS,
    KeywordMatch,
    KeywordRules,
    default_keyword_rules,
    load_keyword_rules,
)
from schemas.support_triage import INTENTS


@pytest.fixture(scope="module")
def intents() -> list[str]:
    """The 77 intents, from the copy of Banking77's categories the repository ships."""
    return list(INTENTS)


@pytest.fixture(scope="module")
def rules(intents: list[str]) -> KeywordRules:
    return load_keyword_rules(intents=intents)


def test_shipped_rules_cover_every_intent(rules: KeywordRules, intents: list[str]) -> None:
    assert len(intents) == 77
    assert set(rules.rules) == set(intents)
    for intent, intent_rules in rules.rules.items():
        assert intent_rules, intent
        assert all(weight > 0 for _, weight in intent_rules), intent


def test_default_rules_are_cached() -> None:
    assert default_keyword_rules() is default_keyword_rules()
    assert len(default_keyword_rules().rules) == 77


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("I am still waiting on my card?", "card_arrival"),
        ("I was charged twice for the same coffee.", "transaction_charged_twice"),
        ("How do I activate my new card?", "activate_my_card"),
        ("My phone was stolen last night, what should I do?", "lost_or_stolen_phone"),
        ("I want to close my account.", "terminate_account"),
        ("The ATM swallowed my card!", "card_swallowed"),
        ("My top-up is still pending after an hour.", "pending_top_up"),
        ("Can I top up with Apple Pay?", "apple_pay_or_google_pay"),
        (
            "There is a direct debit on my account I don't recognise.",
            "direct_debit_payment_not_recognised",
        ),
        ("I forgot my passcode.", "passcode_forgotten"),
        ("Why do you need to verify my identity?", "why_verify_identity"),
        (
            "The exchange rate on my cash withdrawal was wrong.",
            "wrong_exchange_rate_for_cash_withdrawal",
        ),
    ],
)
def test_clear_messages_classify_right(rules: KeywordRules, message: str, intent: str) -> None:
    matches = rules.score(message)
    assert matches, message
    best = matches[0]
    assert best.intent == intent
    assert best.score > 0
    assert best.phrases
    lowered = message.lower()
    for phrase in best.phrases:
        assert phrase.lower() in lowered


def test_scores_are_sums_of_weights_best_first(rules: KeywordRules) -> None:
    matches = rules.score("I was charged twice and I need a refund")
    assert matches == sorted(matches, key=lambda m: (-m.score, m.intent))
    for match in matches:
        matched = [
            w
            for p, w in rules.rules[match.intent]
            if p.search("I was charged twice and I need a refund")
        ]
        assert match.score == pytest.approx(sum(matched))
        assert len(match.phrases) == len(matched)


def test_ties_are_broken_by_intent_name(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "zeta:\n  - {pattern: 'card', weight: 1}\nalpha:\n  - {pattern: 'card', weight: 1}\n",
        encoding="utf-8",
    )
    matches = load_keyword_rules(path).score("my card")
    assert [m.intent for m in matches] == ["alpha", "zeta"]
    assert matches[0] == KeywordMatch("alpha", 1.0, ("card",))


def test_matching_is_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "card_arrival:\n  - {pattern: 'still waiting', weight: 2.5}\n", encoding="utf-8"
    )
    assert load_keyword_rules(path).score("STILL WAITING!") == [
        KeywordMatch("card_arrival", 2.5, ("STILL WAITING",))
    ]


def test_no_match_gives_empty_list(rules: KeywordRules) -> None:
    assert rules.score("") == []
    assert rules.score("Lorem ipsum dolor sit amet.") == []


def test_long_messages_are_cut(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("card_arrival:\n  - {pattern: 'tracking', weight: 1}\n", encoding="utf-8")
    rules = load_keyword_rules(path)
    assert rules.score("x" * MAX_TEXT_CHARS + " tracking") == []
    assert rules.score("tracking " + "x" * MAX_TEXT_CHARS)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "intent", "index", "problem"),
    [
        (
            "not_an_intent:\n  - {pattern: 'card', weight: 1}\n",
            "not_an_intent",
            0,
            "not a known intent",
        ),
        (
            "card_arrival:\n  - {pattern: 'card', weight: 1}\n  - {pattern: '(unclosed', weight: 1}\n",
            "card_arrival",
            1,
            "does not compile",
        ),
        (
            "card_arrival:\n  - {pattern: 'card', weight: 1}\n"
            "  - {pattern: 'track', weight: 2}\n  - {pattern: 'parcel', weight: 0}\n",
            "card_arrival",
            2,
            "positive number",
        ),
        (
            "card_arrival:\n  - {pattern: 'card', weight: -1.5}\n",
            "card_arrival",
            0,
            "positive number",
        ),
        (
            "card_arrival:\n  - {pattern: 'card', weight: 'high'}\n",
            "card_arrival",
            0,
            "positive number",
        ),
        (
            "card_arrival:\n  - {pattern: 'card', weight: true}\n",
            "card_arrival",
            0,
            "positive number",
        ),
        ("card_arrival:\n  - {weight: 1}\n", "card_arrival", 0, "'pattern'"),
        ("card_arrival:\n  - just a string\n", "card_arrival", 0, "mapping"),
        (
            "card_arrival:\n  - {pattern: 'card', weight: 1, wieght: 2}\n",
            "card_arrival",
            0,
            "unknown keys",
        ),
        ("card_arrival: []\n", "card_arrival", 0, "non-empty list"),
        (
            "card_arrival:\n  - {pattern: 'card', weight: 1}\n"
            "  - {pattern: '(?:a|aa)+card', weight: 1}\n",
            "card_arrival",
            1,
            "backtracks without end: searching 'aaaa",
        ),
    ],
)
def test_bad_rules_name_file_intent_and_rule(
    tmp_path: Path, text: str, intent: str, index: int, problem: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ValueError) as error:
        load_keyword_rules(path, intents=["card_arrival", "card_linking"])
    message = str(error.value)
    assert str(path) in message
    assert repr(intent) in message
    assert f"rule {index}" in message
    assert problem in message


def test_missing_intent_is_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, "card_arrival:\n  - {pattern: 'card', weight: 1}\n")
    with pytest.raises(ValueError, match=r"intent 'card_linking'.*no rules"):
        load_keyword_rules(path, intents=["card_arrival", "card_linking"])


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", ""])
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ValueError, match="top level must be a mapping") as error:
        load_keyword_rules(path)
    assert str(path) in str(error.value)


def test_unreadable_yaml_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "card_arrival: [\n")
    with pytest.raises(ValueError, match="cannot read") as error:
        load_keyword_rules(path)
    assert str(path) in str(error.value)
    with pytest.raises(ValueError, match="cannot read"):
        load_keyword_rules(tmp_path / "missing.yaml")


def test_without_intents_any_name_is_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path, "anything_goes:\n  - {pattern: 'x', weight: 0.5}\n")
    assert set(load_keyword_rules(path).rules) == {"anything_goes"}


def test_a_rule_whose_search_runs_past_its_time_is_stopped_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pattern the load-time probes let through can still meet a message it backtracks on
    without end: the search is stopped and the error names the file, the intent and the rule
    (the keyword voter then fails and the vote goes on without it), instead of holding the
    vote."""
    monkeypatch.setattr(owner_patterns, "MATCH_TIMEOUT", 0.05)
    path = _write(
        tmp_path,
        "card_arrival:\n  - {pattern: 'card', weight: 1}\n"
        "  - {pattern: 'refund\\s+(?:a|aa)+x', weight: 1}\n",
    )
    rules = load_keyword_rules(path)
    assert rules.score("my card, please") != []
    with pytest.raises(SlowPattern) as stopped:
        rules.score("refund " + "a" * 64)
    message = str(stopped.value)
    assert message.startswith(
        f"{path}: intent 'card_arrival', rule 1: pattern 'refund\\s+(?:a|aa)+x' took more than "
        "0.05 s"
    )
    assert "backtracks without end" in message
