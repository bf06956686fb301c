"""`baton handoffs --diff OLD.json`: a contract change that breaks a consumer (a field it reads
removed or retyped) is breaking (exit code 1, naming producer, consumer and field); a field added
or a change nobody reads is not (exit code 0); an OLD file that is not an export is refused
(exit code 2, naming the file)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, create_model

from graphs.kit import handoff_doc
from graphs.kit.handoffs import Handoff, handoffs_of
from schemas.result import AgentResult
from schemas.underwriting import RiskAssessment
from tests.integration.cli_helpers import baton

URL = "memory://"
EDGE = {"from": "a", "to": "b", "key": "k", "contract": "C"}
RISK_TO_QUOTE = {
    "from": "risk", "to": "quote", "key": "risk", "contract": "AgentResult[RiskAssessment]",
    "reads": ["value.band"],
}  # fmt: skip


def _export(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> Path:
    exported = baton(monkeypatch, URL, "handoffs", *args, "--json")
    path = tmp_path / "old.json"
    path.write_text(json.dumps(exported), encoding="utf-8")
    return path


def _diff(monkeypatch: pytest.MonkeyPatch, old: Path, code: int) -> dict[str, Any]:
    out = baton(
        monkeypatch, URL, "handoffs", "underwriting", "--diff", str(old), "--json", code=code
    )
    return out if isinstance(out, dict) else json.loads(out)


def _risk_contract_becomes(monkeypatch: pytest.MonkeyPatch, changed: type[BaseModel]) -> None:
    """The code now has `changed` as the risk agent's output contract (still `RiskAssessment`)."""

    def patched(workflow: str) -> list[Handoff]:
        return [
            replace(h, carried=AgentResult[changed]) if h.key == "risk" else h  # type: ignore[valid-type]
            for h in handoffs_of(workflow)
        ]

    monkeypatch.setattr(handoff_doc, "handoffs_of", patched)


def _risk_assessment(**changes: Any) -> type[BaseModel]:
    """RiskAssessment with fields retyped (name: type), removed (name: None) or added."""
    fields: dict[str, Any] = {
        name: (info.annotation, info) for name, info in RiskAssessment.model_fields.items()
    }
    for name, kind in changes.items():
        if kind is None:
            del fields[name]
        else:
            fields[name] = (kind, ...)
    made: type[BaseModel] = create_model("RiskAssessment", **fields)
    return made


def _where(changes: list[dict[str, Any]]) -> Callable[..., list[dict[str, Any]]]:
    def matching(**wanted: Any) -> list[dict[str, Any]]:
        return [c for c in changes if all(c[k] == v for k, v in wanted.items())]

    return matching


def test_the_same_map_has_no_changes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    old = _export(monkeypatch, tmp_path, "underwriting")
    assert _diff(monkeypatch, old, 0) == {"old": str(old), "breaking": [], "non_breaking": []}
    out = baton(monkeypatch, URL, "handoffs", "underwriting", "--diff", str(old))
    assert "0 breaking change(s), 0 other(s)" in out


def test_a_read_field_retyped_is_breaking(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    old = _export(monkeypatch, tmp_path, "underwriting")
    _risk_contract_becomes(monkeypatch, _risk_assessment(score=str))
    found = _diff(monkeypatch, old, 1)
    retyped = _where(found["breaking"])(**{"from": "risk", "to": "quote", "field": "value.score"})
    assert len(retyped) == 1
    assert retyped[0]["change"] == "field retyped"
    assert retyped[0]["detail"] == "integer -> string"
    out = baton(monkeypatch, URL, "handoffs", "underwriting", "--diff", str(old), code=1)
    assert "risk → quote" in out and "value.score" in out and "field retyped" in out


def test_a_read_field_removed_breaks_its_readers_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    old = _export(monkeypatch, tmp_path, "underwriting")
    _risk_contract_becomes(monkeypatch, _risk_assessment(band=None, rating_table=None))
    found = _diff(monkeypatch, old, 1)
    breaking, other = _where(found["breaking"]), _where(found["non_breaking"])
    assert breaking(to="quote", field="value.band", change="field removed")
    # the quote agent does not read the rating table: not breaking for it; the gate reads it all
    assert other(to="quote", field="value.rating_table", change="field removed")
    assert breaking(to="review_gate", field="value.rating_table", change="field removed")
    assert not breaking(to="quote", field="value.rating_table")


def test_a_field_added_is_not_breaking(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    old = _export(monkeypatch, tmp_path, "underwriting")
    _risk_contract_becomes(monkeypatch, _risk_assessment(reviewer_hint=str | None))
    found = _diff(monkeypatch, old, 0)
    assert found["breaking"] == []
    added = _where(found["non_breaking"])(field="value.reviewer_hint", change="field added")
    assert {(c["from"], c["to"]) for c in added} == {("risk", "quote"), ("risk", "review_gate")}


def test_an_edited_old_export_shows_a_read_field_made_nullable_and_a_handoff_removed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    old = _export(monkeypatch, tmp_path, "underwriting")
    exported = json.loads(old.read_text(encoding="utf-8"))
    for e in exported["handoffs"]:
        if (e["to"], e["key"]) == ("quote", "intake"):
            facts = e["schema"]["$defs"]["ApplicationFacts"]["properties"]
            facts["business_class"] = {"type": "string"}  # it was never null before
    exported["handoffs"].append({**exported["handoffs"][0], "to": "gone", "reads": []})
    old.write_text(json.dumps(exported), encoding="utf-8")
    breaking = _where(_diff(monkeypatch, old, 1)["breaking"])
    assert breaking(to="quote", field="value.business_class", change="field now nullable")
    assert breaking(to="gone", change="handoff removed")


def test_an_export_from_before_schemas_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    legacy = {
        "workflow": "underwriting",
        "handoffs": [
            {k: e[k] for k in ("from", "to", "key", "contract")}
            for e in baton(monkeypatch, URL, "handoffs", "underwriting", "--json")["handoffs"]
        ],
    }
    old = tmp_path / "legacy.json"
    old.write_text(json.dumps(legacy), encoding="utf-8")
    assert _diff(monkeypatch, old, 0)["breaking"] == []


def test_every_workflow_is_exported_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    from graphs.kit.workflows import workflow_names

    exported = json.loads(baton(monkeypatch, URL, "handoffs", "--format", "json"))
    assert exported["version"] == 1
    assert list(exported["workflows"]) == workflow_names()
    one = baton(monkeypatch, URL, "handoffs", "underwriting", "--json")
    assert one == json.loads(
        baton(monkeypatch, URL, "handoffs", "underwriting", "--format", "json")
    )
    assert one["handoffs"] == exported["workflows"]["underwriting"]["handoffs"]
    assert set(one["handoffs"][0]) == {"from", "to", "key", "contract", "reads", "schema"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read handoff map file"),
        ("not json", "is not valid JSON"),
        ('{"handoffs": 3}', "is not a `baton handoffs --format json` export"),
        ('{"workflow": "underwriting", "handoffs": [{"from": "a"}]}', "needs the strings"),
        (
            json.dumps({"workflow": "w", "handoffs": [{**EDGE, "schema": {"properties": []}}]}),
            "is not a JSON Schema object",
        ),
        (
            json.dumps({"workflow": "w", "handoffs": [{**EDGE, "schema": {"required": [{}]}}]}),
            "is not a JSON Schema object",
        ),
        (
            json.dumps(
                {
                    "workflow": "underwriting",
                    "handoffs": [
                        {
                            **RISK_TO_QUOTE,
                            "schema": {
                                "$ref": "#/$defs/d0",
                                "$defs": {
                                    f"d{i}": {
                                        "anyOf": [
                                            {"$ref": f"#/$defs/d{i + 1}"},
                                            {"$ref": f"#/$defs/d{i + 1}"},
                                        ]
                                    }
                                    for i in range(40)
                                }
                                | {"d40": {"type": "string"}},
                            },
                        }
                    ],
                }
            ),
            "expands past",
        ),
    ],
)
def test_an_old_file_that_is_not_an_export_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, content: str | None, message: str
) -> None:
    old = tmp_path / "old.json"
    if content is not None:
        old.write_text(content, encoding="utf-8")
    out = baton(monkeypatch, URL, "handoffs", "--diff", str(old), code=2)
    assert message in out and str(old) in out


def test_json_and_markdown_together_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    out = baton(monkeypatch, URL, "handoffs", "--format", "markdown", "--json", code=2)
    assert "choose one" in out
