"""The contract review chain's evaluators: each reads a stage's result (and the contract text) and
returns a verdict: proceed, loop back with the problems found, or escalate.

They check what can be checked without a second opinion: that required terms were found, that
dates are consistent, and that every span really is the contract's text and contains the value
read from it. A stage that answered anything but `ok` never reaches its evaluator (the chain
escalates it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from agents.contract_review.durations import plain_periods
from schemas.contract_review import (
    FACT_FIELDS,
    ClauseReport,
    ContractFacts,
    ContractSummary,
    Span,
)
from schemas.verdict import LoopBack, Proceed

Verdict = Proceed | LoopBack


def _span_problems(label: str, span: Span, content: str, value: str | None = None) -> list[str]:
    problems = []
    if content[span.start : span.end] != span.text:
        problems.append(f"{label}: span {span.start}:{span.end} is not the contract's text")
    elif value is not None and _squash(plain_periods(value)) not in _squash(
        plain_periods(span.text)
    ):
        problems.append(f"{label}: span text does not contain the value {value!r}")
    return problems


def _squash(text: str) -> str:
    """Case, whitespace and curly quotes aside; periods are compared as written plainly, so
    "thirty (30) days" contains "30 days"."""
    return " ".join(text.lower().replace("\u201c", '"').replace("\u201d", '"').split())


def _content_read_by(state: Mapping[str, Any], stage: str) -> str:
    """The text the stage actually read: the operator's corrected input when a rollback gave one
    (`overrides`), else the contract's."""
    corrected = (state.get("overrides") or {}).get(stage) or {}
    return str(corrected.get("content") or state.get("content") or "")


def judge_extraction(state: Mapping[str, Any]) -> Verdict:
    """Required terms found (two parties; an agreement or effective date), the expiration after
    the start, and every value inside its span, which is the contract's own text."""
    facts = ContractFacts.model_validate(state["extraction"]["value"])
    content = _content_read_by(state, "extraction")
    problems: list[str] = []
    if len(facts.parties) < 2:
        problems.append(f"parties: {len(facts.parties)} found, a contract has at least two")
    if facts.agreement_date is None and facts.effective_date is None:
        problems.append("agreement_date: neither an agreement nor an effective date was found")
    start = facts.effective_date or facts.agreement_date
    end = facts.expiration_date.on if facts.expiration_date else None
    if start and start.on and end and end <= start.on:
        problems.append(
            f"expiration_date: {end} is not after "
            f"{'effective' if facts.effective_date else 'agreement'}_date {start.on}"
        )
    for field in FACT_FIELDS:
        value = getattr(facts, field)
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(i for i in items if i is not None):
            label = f"{field}[{index}]" if isinstance(value, list) else field
            checked = None if field.endswith("_date") else item.value
            problems += _span_problems(label, item.span, content, checked)
    if problems:
        return LoopBack(to="extraction", feedback=problems)
    return Proceed(notes=[f"{len(facts.parties)} parties; dates consistent; spans verified"])


def judge_clauses(state: Mapping[str, Any]) -> Verdict:
    """Every span of a present clause is the contract's text; a report finding no clause at all
    in a real contract is read again."""
    report = ClauseReport.model_validate(state["clause_analysis"]["value"])
    content = _content_read_by(state, "clause_analysis")
    problems = [
        problem
        for finding in report.findings
        for span in finding.spans
        for problem in _span_problems(finding.category.value, span, content)
    ]
    if not report.present():
        problems.append("no clause of any category was found; read the whole contract again")
    if problems:
        return LoopBack(to="clause_analysis", feedback=problems)
    return Proceed(notes=[f"{len(report.present())} of {len(report.findings)} categories present"])


def judge_summary(state: Mapping[str, Any]) -> Verdict:
    """Every citation is the contract's text, and every risk rule that applied is in the summary."""
    summary = ContractSummary.model_validate(state["summary"]["value"])
    content = _content_read_by(state, "summary")
    problems = [
        problem
        for index, point in enumerate(summary.points)
        for span in point.cites
        for problem in _span_problems(f"points[{index}]", span, content)
    ]
    risk = (state.get("risk") or {}).get("value") or {}
    mentioned = " ".join(point.text for point in summary.points)
    problems += [
        f"risk rule {rule} is not mentioned"
        for rule in _rules(risk.get("points") or [])
        if rule not in mentioned
    ]
    if problems:
        return LoopBack(to="summary", feedback=problems)
    return Proceed(notes=[f"{len(summary.points)} points, every citation verified"])


def _rules(points: Iterable[Mapping[str, Any]]) -> list[str]:
    return [str(point.get("rule")) for point in points]
