"""The clause rules file: the shipped file loads, every check refuses what it is for (naming the
file, category and cue), fragments expand as its header documents, and the file drives analysis."""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from agents import owner_patterns
from agents.contract_review import clauses
from agents.contract_review.clause_model import RULES_ONLY
from agents.contract_review.clause_patterns import Rule, compile_cue
from agents.contract_review.clause_rules import (
    DEFAULT_RULES_PATH,
    GATE_WORD,
    ClauseRules,
    clause_rules,
    expand,
    load_clause_rules,
)
from agents.contract_review.clauses import Text, find_clauses, score
from agents.data_files import DataFileError
from schemas.contract_review import ClauseCategory, ClauseReport
from schemas.result import Outcome

ENV = "BATON_CONTRACT_REVIEW_CLAUSE_RULES_FILE"
UNLIMITED = ClauseCategory.UNLIMITED_LICENSE.value
SENTENCE = "The Customer may make as many copies of the Software as it likes."


def shipped() -> dict[str, Any]:
    """The shipped file's content, to edit for a test."""
    data: dict[str, Any] = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    return data


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "clause_rules.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(DataFileError) as caught:
        load_clause_rules(path)
    return str(caught.value)


def cue_line(path: Path, marker: str) -> int:
    """The line of the cue whose pattern holds `marker` in a file `write` wrote (where the item
    starts: its `- weight:` line)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(n for n, text in enumerate(lines) if marker in text)
    return next(n + 1 for n in range(at, -1, -1) if lines[n].startswith("    - "))


def found(content: str) -> dict[ClauseCategory, list[str]]:
    """The categories the rules in force find in `content` (without the learned model, which
    `test_clause_model.py` covers), with their spans' text."""
    report = find_clauses(content, [], clause_rules(), RULES_ONLY)
    assert isinstance(report, ClauseReport)
    return {f.category: [span.text for span in f.spans] for f in report.findings if f.present}


def test_the_shipped_file_loads_with_every_category_in_cuads_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    rules = clause_rules()
    assert rules.path == DEFAULT_RULES_PATH
    assert [rule.category for rule in rules.rules] == list(ClauseCategory)
    assert len(rules.rules) == 41
    assert all(rule.cues and rule.threshold > 0 for rule in rules.rules)


def test_the_shipped_file_is_loaded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert clause_rules() is clause_rules()


def test_a_fragment_is_replaced_by_its_text_as_the_header_shows() -> None:
    fragments = load_clause_rules().fragments
    assert fragments["G120"] == r"[^.\n]{0,120}"
    assert (
        expand(r"\bgoverned\s+by<<G120>>\blaws?\b", fragments)
        == r"\bgoverned\s+by[^.\n]{0,120}\blaws?\b"
    )


def test_regex_braces_are_left_alone_by_fragment_expansion() -> None:
    fragments = load_clause_rules().fragments
    assert expand(r"(?:\w+\s+){0,3}licen[cs]e", fragments) == r"(?:\w+\s+){0,3}licen[cs]e"


def test_a_fragment_may_use_a_fragment_defined_above_it() -> None:
    fragments = load_clause_rules().fragments
    assert fragments["PERIOD"].startswith(fragments["NUM"])
    assert not any("<<" in text for text in fragments.values())


def test_a_cue_using_a_fragment_is_compiled_with_the_fragments_text(tmp_path: Path) -> None:
    data = shipped()
    data["fragments"]["PAYMENT"] = r"(?:payment|fee)s?"
    data["categories"][UNLIMITED]["cues"].append(
        {"weight": 1, "pattern": r"\bno\s+<<PAYMENT>><<G40>>\bcopies"}
    )
    rule = next(
        r for r in load_clause_rules(write(tmp_path, data)).rules if r.category.value == UNLIMITED
    )
    # A pattern whose every branch starts with \b is stored without it (checked per match).
    assert rule.cues[-1].pattern.pattern == r"no\s+(?:payment|fee)s?[^.\n]{0,40}\bcopies"


def test_a_fragment_using_one_defined_below_it_is_refused(tmp_path: Path) -> None:
    data = shipped()
    data["fragments"] = {"EARLY": "<<LATE>>x", **data["fragments"], "LATE": "y"}
    message = refusal(write(tmp_path, data))
    assert str(tmp_path / "clause_rules.yaml") in message
    assert "fragment 'EARLY'" in message and "<<LATE>>" in message


def test_a_missing_category_is_refused_by_name(tmp_path: Path) -> None:
    data = shipped()
    del data["categories"]["Insurance"]
    message = refusal(write(tmp_path, data))
    assert str(tmp_path / "clause_rules.yaml") in message
    assert "category 'Insurance': missing" in message


def test_an_unknown_category_is_refused_by_name(tmp_path: Path) -> None:
    data = shipped()
    data["categories"]["Force Majeure"] = {"threshold": 3, "cues": [{"weight": 3, "pattern": "x"}]}
    message = refusal(write(tmp_path, data))
    assert "category 'Force Majeure': not one of CUAD's 41 categories" in message


def test_a_category_given_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    text += "\n  Insurance:\n    threshold: 1\n    cues:\n      - {weight: 1, pattern: 'x'}\n"
    path = tmp_path / "clause_rules.yaml"
    path.write_text(text, encoding="utf-8")
    message = refusal(path)
    assert "'Insurance' is given twice" in message
    assert f"line {len(text.splitlines()) - 3}" in message


CUE_PROBLEMS = {
    "pattern that does not compile": (
        {"weight": 2, "pattern": r"\baudit(\s+rights"},
        "does not compile",
    ),
    "unknown fragment": (
        {"weight": 2, "pattern": r"\baudit<<GAP>>\brights"},
        "unknown fragment <<GAP>>",
    ),
    "boolean weight": ({"weight": True, "pattern": r"\baudit"}, "got True"),
    "text weight": ({"weight": "2", "pattern": r"\baudit"}, "got '2'"),
    "zero weight": ({"weight": 0, "pattern": r"\baudit"}, "non-zero number, got 0"),
    "missing pattern": ({"weight": 2}, "'pattern' must be a non-empty string"),
    "unknown key": (
        {"weight": 2, "pattern": r"\baudit", "heading_only": True},
        "unknown keys ['heading_only']",
    ),
    "capitals outside (?-i:...)": ({"weight": 2, "pattern": r"\bAudit"}, "upper-case letters"),
    "NaN weight": ({"weight": math.nan, "pattern": r"\baudit"}, "finite non-zero number, got nan"),
    "infinite weight": ({"weight": math.inf, "pattern": r"\baudit"}, "number, got inf"),
    "minus infinite weight": ({"weight": -math.inf, "pattern": r"\baudit"}, "number, got -inf"),
    "weight too large for a float": ({"weight": 10**400, "pattern": r"\baudit"}, "non-zero number"),
    "pattern matching nothing": ({"weight": 2, "pattern": "a*"}, "matches the empty string"),
    "pattern all optional": ({"weight": 2, "pattern": "(?:x)?"}, "matches the empty string"),
    "optional after its word start": (
        {"weight": 2, "pattern": r"\b(?:audit)?"},
        "matches the empty string",
    ),
    "optional fragment alone": ({"weight": 2, "pattern": "<<G40>>"}, "matches the empty string"),
    "pattern that backtracks without end": (
        {"weight": 2, "pattern": r"(?:a|aa)+\baudit"},
        "backtracks without end: searching 'aaaa",
    ),
}


@pytest.mark.parametrize("case", list(CUE_PROBLEMS), ids=list(CUE_PROBLEMS))
def test_a_bad_cue_is_refused_naming_file_category_cue_and_line(tmp_path: Path, case: str) -> None:
    cue, problem = CUE_PROBLEMS[case]
    data = shipped()
    data["categories"]["Audit Rights"]["cues"][2] = cue
    path = write(tmp_path, data)
    message = refusal(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("  Audit Rights:")
    items = [n + 1 for n in range(start, len(lines)) if lines[n].startswith("    - ")]
    assert f"{path}, line {items[2]}: category 'Audit Rights', cue 2: " in message
    assert problem in message


@pytest.mark.parametrize("threshold", [0, -1, "3", True, None, math.inf, math.nan], ids=repr)
def test_a_threshold_that_is_not_a_finite_positive_number_is_refused(
    tmp_path: Path, threshold: object
) -> None:
    data = shipped()
    data["categories"]["Insurance"]["threshold"] = threshold
    message = refusal(write(tmp_path, data))
    assert "category 'Insurance'" in message
    assert f"'threshold' must be a finite positive number, got {threshold!r}" in message


def test_a_nan_weight_is_refused_as_written_in_yaml(tmp_path: Path) -> None:
    """`.nan` in the file (a sentence's score would be NaN: never at the threshold)."""
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    line = "      - {weight: 2, pattern: '\\binsurance\\b'}"
    assert text.count(line) == 1
    path = tmp_path / "clause_rules.yaml"
    path.write_text(text.replace(line, line.replace("weight: 2", "weight: .nan")), "utf-8")
    message = refusal(path)
    number = text.splitlines().index(line) + 1
    assert f"{path}, line {number}: category 'Insurance', cue 0: " in message
    assert "'weight' must be a finite non-zero number, got nan" in message


def test_a_threshold_no_sentence_can_reach_is_refused_with_the_most_its_cues_add_up_to(
    tmp_path: Path,
) -> None:
    data = shipped()
    insurance = data["categories"]["Insurance"]
    most = sum(cue["weight"] for cue in insurance["cues"] if cue["weight"] > 0)
    insurance["threshold"] = 300
    path = write(tmp_path, data)
    message = refusal(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    line = lines.index("    threshold: 300") + 1
    assert (
        f"{path}, line {line}: category 'Insurance': 'threshold' 300 cannot be reached" in message
    )
    assert f"add up to at most {most:g}" in message

    insurance["threshold"] = most  # every positive cue in one sentence reaches it
    assert load_clause_rules(write(tmp_path, data)).rules


def test_a_cue_found_in_a_heading_and_in_the_sentence_after_it_counts_once() -> None:
    """Why the most a sentence can score is the sum of the positive weights, each once."""
    rule = Rule(ClauseCategory.INSURANCE, (compile_cue(r"\binsurance\b", 2),), threshold=1)
    rules = ClauseRules(Path("rules.yaml"), (rule,), {})
    text = Text.of("Insurance\nThe Supplier shall carry insurance, insurance and insurance.", rules)
    assert score(text, rule, 1) == {0: 2, 1: 2}


def test_an_unknown_key_of_a_category_is_refused(tmp_path: Path) -> None:
    data = shipped()
    data["categories"]["Insurance"]["heading_only"] = True
    message = refusal(write(tmp_path, data))
    assert "category 'Insurance'" in message and "unknown key 'heading_only'" in message


def test_an_unknown_top_level_key_is_refused(tmp_path: Path) -> None:
    data = shipped()
    data["defaults"] = {"threshold": 3}
    assert "key 'defaults': unknown key" in refusal(write(tmp_path, data))


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    data = shipped()
    data["categories"]["Insurance"]["cues"][0]["weight"] = False
    data["categories"]["Parties"]["cues"][3]["pattern"] = "<<NOPE>>"
    message = refusal(write(tmp_path, data))
    assert message.splitlines()[0].endswith("2 problems in the clause rules:")
    assert "category 'Parties', cue 3" in message and "category 'Insurance', cue 0" in message


def test_a_new_cue_in_the_file_changes_what_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert ClauseCategory.UNLIMITED_LICENSE not in found(SENTENCE)
    data = shipped()
    data["categories"][UNLIMITED]["cues"].append(
        {"weight": 3, "pattern": r"\bas\s+many\s+copies<<G>>\bas\s+it\s+likes\b"}
    )
    monkeypatch.setenv(ENV, str(write(tmp_path, data)))
    assert found(SENTENCE)[ClauseCategory.UNLIMITED_LICENSE] == [SENTENCE]


def test_a_cue_reaching_the_threshold_outside_its_categorys_gate_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sentence = "The Supplier shall hold cover with a reputable underwriter."
    data = shipped()
    insurance = data["categories"]["Insurance"]
    insurance["cues"].append({"weight": 4, "pattern": r"\breputable\s+underwriter"})
    index = len(insurance["cues"]) - 1
    path = write(tmp_path, data)
    message = refusal(path)
    assert (
        f"{path}, line {cue_line(path, 'reputable')}: category 'Insurance', cue {index}: "
        in message
    )
    assert "its weight 4 reaches the threshold 3.5 on its own" in message
    assert "the gate would need to open on one of 'reputable', 'underwriter'" in message

    insurance["gate"] = re.sub(r"\)$", "|underwrit)", insurance["gate"])
    widened = tmp_path / "widened"
    widened.mkdir()
    monkeypatch.setenv(ENV, str(write(widened, data)))
    assert found(sentence)[ClauseCategory.INSURANCE] == [sentence]


def test_only_the_part_of_a_cue_the_gate_misses_is_named(tmp_path: Path) -> None:
    data = shipped()
    data["categories"]["Non-Compete"]["gate"] = r"\b(?:compet|engage|restricted|similar)"
    message = refusal(write(tmp_path, data))
    # "non-compete" opens the gate on "compete"; "noncompete", one word, opens it on nothing.
    assert (
        "category 'Non-Compete', cue 0: its weight 3 reaches the threshold 3 on its own" in message
    )
    assert "it can find 'noncompet'" in message
    assert "the gate would need to open on 'noncompet'" in message
    assert message.splitlines()[0].endswith("1 problem in the clause rules:")


def test_the_shipped_gates_open_on_a_clause_written_as_one_word(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    sentence = "The Distributor shall observe the noncompete covenant of Schedule B."
    assert found(sentence)[ClauseCategory.NON_COMPETE] == [sentence]


def test_weak_cues_outside_the_gate_that_reach_the_threshold_together_are_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = shipped()
    insurance = data["categories"]["Insurance"]
    insurance["cues"] += [
        {"weight": 2, "pattern": r"\breputable\s+underwriter"},
        {"weight": 1.5, "pattern": r"\bcover\s+note"},
    ]
    first = len(insurance["cues"]) - 2
    path = write(tmp_path, data)
    with caplog.at_level(logging.DEBUG, logger="agents.contract_review.clause_rules"):
        rules = load_clause_rules(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    gate = next(
        n + 1 for n, text in enumerate(lines) if text.startswith("    gate: ") and "insur" in text
    )
    warning = next(w for w in rules.warnings if "'Insurance'" in w)
    assert warning.startswith(f"{path}, line {gate}: category 'Insurance', cues ")
    assert f", {first}, {first + 1}: together" in warning
    assert "reach the threshold 3.5 (up to 4.5)" in warning  # with "per occurrence" (1)
    assert "reputable underwriter; cover note" in warning
    assert warning in caplog.text


def test_the_shipped_files_warnings_are_the_gates_it_uses_as_required_words(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="agents.contract_review.clause_rules"):
        rules = load_clause_rules()
    # Each of these gates names words its clause must hold (Termination For Convenience:
    # "terminat", "cancel"): "at will, at any time, on 30 days' notice" alone is not the clause.
    # The benchmark relies on it: without the gate Uncapped Liability finds one more, wrongly.
    named = {w.split(": category '", 1)[1].split("', cues ", 1)[0] for w in rules.warnings}
    assert named == {
        "Expiration Date",
        "Notice Period To Terminate Renewal",
        "Competitive Restriction Exception",
        "Termination For Convenience",
        "Post-Termination Services",
        "Uncapped Liability",
        "Cap On Liability",
    }
    assert "7 warnings in the clause rules" in caplog.text


@pytest.mark.parametrize(
    ("gate", "problem"),
    [
        (r"\b(?:insur)?", "matches the empty string"),
        (r"\b(?:_|__)+insur", "backtracks without end: searching '____"),
    ],
    ids=["matching the empty string", "backtracking without end"],
)
def test_a_gate_that_would_hold_or_open_everything_is_refused(
    tmp_path: Path, gate: str, problem: str
) -> None:
    data = shipped()
    data["categories"]["Insurance"]["gate"] = gate
    message = refusal(write(tmp_path, data))
    assert "category 'Insurance', gate: pattern" in message
    assert problem in message


def test_gates_are_tried_on_the_words_the_analysis_cuts() -> None:
    assert GATE_WORD.pattern == clauses._WORD.pattern


def test_a_pattern_re_runs_for_ever_on_is_read_at_once() -> None:
    """Cues run under the `regex` engine: a nested repetition that Python's `re` backtracks on
    without end (minutes on one sentence) is searched at once, and still found where it is."""
    cue = compile_cue(r"(?:\w+\s?)+zzq", 3)
    text = "the licensee shall keep the records of every sale for audit " * 3
    assert list(cue.finditer(text, text, 0, len(text))) == []
    assert [m.group(0) for m in cue.finditer("ab zzq", "ab zzq", 0, 6)] == ["ab zzq"]


@pytest.mark.parametrize("where", ["cue", "gate"])
def test_a_cue_whose_search_runs_past_its_time_fails_the_analysis_naming_the_cue(
    monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """A pattern the load-time probes let through can still meet a text it backtracks on
    without end: its search is stopped, and the analysis fails naming the cue (its stage's
    fallback and the review queue take over), instead of holding the run."""
    monkeypatch.setattr(owner_patterns, "MATCH_TIMEOUT", 0.05)
    source = f"clause_rules.yaml, line 7: category 'Audit Rights', {where} 9"
    written = r"\baudit\s+(?:a|aa)+x" if where == "cue" else r"(?:a|aa)+x"
    slow = compile_cue(written, 5 if where == "cue" else 0, source=source)
    rules = clause_rules()
    edited = tuple(
        (
            dataclasses.replace(rule, cues=(*rule.cues, slow))
            if where == "cue"
            else dataclasses.replace(rule, gate=slow)
        )
        if rule.category is ClauseCategory.AUDIT_RIGHTS
        else rule
        for rule in rules.rules
    )
    in_force = dataclasses.replace(rules, rules=edited)
    content = "The Company shall permit an audit " + "a" * 64 + " of its books.\n"
    found = find_clauses(content, [], in_force, RULES_ONLY)
    assert isinstance(found, Outcome) and found.status == "failed"
    assert found.reason.startswith(f"{source}: pattern '{written}' took more than 0.05 s")
    assert "backtracks without end" in found.reason
