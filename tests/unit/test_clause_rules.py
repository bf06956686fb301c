"""The clause rules file: the shipped file loads, every check refuses what it is for (naming the
file, category and cue), fragments expand as its header documents, and the file drives analysis."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from agents.contract_review.clause_rules import (
    DEFAULT_RULES_PATH,
    clause_rules,
    expand,
    load_clause_rules,
)
from agents.contract_review.clauses import analyse_clauses
from agents.data_files import DataFileError
from agents.spec import AgentContext
from schemas.contract_review import ClauseCategory, ClauseReport, StageInput

ENV = "BATON_CONTRACT_REVIEW_CLAUSE_RULES_FILE"
CONTEXT = AgentContext(database_url="sqlite:///:memory:")
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


def found(content: str) -> dict[ClauseCategory, list[str]]:
    """The categories found in `content`, with their spans' text."""
    report = analyse_clauses(StageInput(contract_id="c-1", content=content), CONTEXT)
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


@pytest.mark.parametrize("threshold", [0, -1, "3", True, None], ids=repr)
def test_a_threshold_that_is_not_a_positive_number_is_refused(
    tmp_path: Path, threshold: object
) -> None:
    data = shipped()
    data["categories"]["Insurance"]["threshold"] = threshold
    message = refusal(write(tmp_path, data))
    assert "category 'Insurance'" in message
    assert f"'threshold' must be a positive number, got {threshold!r}" in message


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


def test_a_cue_outside_its_categorys_gate_finds_nothing_until_the_gate_is_widened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sentence = "The Supplier shall hold cover with a reputable underwriter."
    data = shipped()
    insurance = data["categories"]["Insurance"]
    insurance["cues"].append({"weight": 4, "pattern": r"\breputable\s+underwriter"})
    monkeypatch.setenv(ENV, str(write(tmp_path, data)))
    assert ClauseCategory.INSURANCE not in found(sentence)

    insurance["gate"] = re.sub(r"\)$", "|underwrit)", insurance["gate"])
    widened = tmp_path / "widened"
    widened.mkdir()
    monkeypatch.setenv(ENV, str(write(widened, data)))
    assert found(sentence)[ClauseCategory.INSURANCE] == [sentence]
