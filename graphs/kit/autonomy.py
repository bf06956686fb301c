"""The evidence for automating a review rule: how reviewers decided the cases each rule stopped.

Every review gate keeps its outcome in the ledger (`gate_outcome`: the rules that fired, the
recommendation, and the reviewer's decision). `rule_statistics` reads them back per workflow,
gate and rule (three workflows that all call their gate `review_gate` are never pooled): the
cases a rule stopped, how reviewers decided them (approve, amend, reject, refer), how often they
agreed with the agents' recommendation, the lower end of the Wilson interval on that agreement
(`statsmodels`), and whether the rule qualifies for automation against the owner's thresholds
(`automation:` in the workflow's policy file). A case several rules stopped counts for each.
A rule in shadow (`shadow: true`) still stops its cases; its would-be automated decisions, as the
gate recorded them, are compared with the people's (`shadow_agreement`).

`backtest` replays a candidate policy over a gate's recorded cases, on the agents' results as the
gate assessed them: how many it would stop, refer or let through, every case it treats otherwise,
and the cases it would let through that a person rejected, amended or referred. Nothing is re-run
and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from statsmodels.stats.proportion import proportion_confint

from checkpoints.ledger import SideEffectLedger
from graphs.kit.policy import AutomationThresholds, ReviewPolicy, assess
from graphs.kit.review_gate import GATE_OUTCOME_KIND

ACTIONS = ("approve", "amend", "reject", "refer")
SHADOW_MATCHES = {"approve": "approve", "decline": "reject"}
"""The person's action that agrees with a rule in shadow's would-be decision."""


def agreement_bound(agreed: int, compared: int, confidence: float = 0.95) -> float | None:
    """The lower end of the Wilson score interval on `agreed` of `compared` at `confidence`
    (None with nothing compared)."""
    if compared == 0:
        return None
    low, _ = proportion_confint(agreed, compared, alpha=1 - confidence, method="wilson")
    return float(low)


@dataclass
class RuleStatistics:
    """One review rule of one workflow's gate, as reviewers decided the cases it stopped."""

    workflow: str
    gate: str
    rule: str
    cases: int = 0
    decisions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIONS, 0))
    compared: int = 0
    """Cases with a recommendation to compare the reviewer's decision with."""
    agreed: int = 0
    agreement: float | None = None
    bound: float | None = None
    """The lower end of the Wilson interval on the agreement."""
    qualifies: bool = False
    why: str = ""
    shadow_cases: int = 0
    """Cases the rule stopped while in shadow with an automated decision to compare (its
    would-be decision was not `stop`)."""
    shadow_agreed: int = 0
    """Of those, how many the person decided as the automated decision would have."""
    shadow_agreement: float | None = None
    policy_versions: list[str] = field(default_factory=list)
    """The versions of the policy the rule's cases were assessed under."""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def rule_statistics(
    ledger: SideEffectLedger,
    thresholds: Mapping[str, AutomationThresholds],
    workflow: str | None = None,
) -> list[RuleStatistics]:
    """Every rule that stopped a case (of `workflow`, or of every workflow), with how reviewers
    decided; judged against each workflow's thresholds (the defaults where it sets none)."""
    found: dict[tuple[str, str, str], RuleStatistics] = {}
    for row in ledger.of_kind(GATE_OUTCOME_KIND):
        outcome = row["payload"].get("outcome") or {}
        packet, record = outcome.get("packet") or {}, outcome.get("record") or {}
        if not outcome.get("required") or not record or not packet:
            continue
        name = str(packet.get("workflow"))
        if workflow is not None and name != workflow:
            continue
        action = str((record.get("decision") or {}).get("action"))
        shadow = {c["rule"]: c["would_be"] for c in outcome.get("shadow") or []}
        version = outcome.get("policy_version")
        rules = dict.fromkeys(str(fired.get("rule")) for fired in outcome.get("fired") or [])
        for rule in rules:  # a rule firing on several agents stopped the case once
            key = (name, str(packet.get("gate")), rule)
            stats = found.setdefault(key, RuleStatistics(*key))
            stats.cases += 1
            if action in stats.decisions:
                stats.decisions[action] += 1
            if record.get("agreed") is not None:
                stats.compared += 1
                stats.agreed += 1 if record["agreed"] else 0
            if version and version not in stats.policy_versions:
                stats.policy_versions.append(version)
            would_be = shadow.get(rule)
            if would_be in SHADOW_MATCHES:
                stats.shadow_cases += 1
                stats.shadow_agreed += 1 if SHADOW_MATCHES[would_be] == action else 0
    for stats in found.values():
        _judge(stats, thresholds.get(stats.workflow) or AutomationThresholds())
    return sorted(found.values(), key=lambda s: (s.workflow, s.gate, s.rule))


def _judge(stats: RuleStatistics, thresholds: AutomationThresholds) -> None:
    if stats.shadow_cases:
        stats.shadow_agreement = stats.shadow_agreed / stats.shadow_cases
    if stats.compared:
        stats.agreement = stats.agreed / stats.compared
    stats.bound = agreement_bound(stats.agreed, stats.compared, thresholds.confidence)
    level = f"{thresholds.confidence:.0%}"
    if stats.compared < thresholds.min_cases:
        stats.why = (
            f"{stats.compared} case(s) with a recommendation to compare, fewer than the "
            f"{thresholds.min_cases} the owner asks for"
        )
    elif (stats.bound or 0) < thresholds.min_agreement_bound:
        stats.why = (
            f"agreement {stats.agreement:.1%}, {level} lower bound {stats.bound:.1%}, below the "
            f"owner's {thresholds.min_agreement_bound:.1%}"
        )
    else:
        stats.qualifies = True
        stats.why = (
            f"{stats.agreed} of {stats.compared} decisions agreed ({level} lower bound "
            f"{stats.bound:.1%}, at least the owner's {thresholds.min_agreement_bound:.1%}): the "
            "owner may move it to shadow, then to auto"
        )


@dataclass
class BacktestCase:
    """One recorded case as the candidate policy would have treated it."""

    thread_id: str
    recorded_at: str
    recorded: str
    """What the policy in force did: `review`, `refer` or `approve`."""
    candidate: str
    """What the candidate policy would do."""
    fired: list[str]
    """The candidate's rules that fired."""
    person: str | None
    """What the reviewer decided, when one did."""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Backtest:
    """A candidate policy replayed over a gate's recorded cases: nothing re-run, nothing written."""

    workflow: str
    gate: str
    cases: int = 0
    would_stop: int = 0
    would_refer: int = 0
    would_pass: int = 0
    would_automate: int = 0
    """Cases a rule in `auto` would decide as the agents recommend, with no person."""
    stopped_before: int = 0
    changed: list[BacktestCase] = field(default_factory=list)
    """Every case the candidate treats otherwise than the policy in force did."""
    let_through: list[BacktestCase] = field(default_factory=list)
    """Cases the candidate would let through that a person rejected, amended or referred, and
    cases it would decide automatically that a person decided otherwise than the agents
    recommended."""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def gate_of(outcome_key: str) -> str:
    """The gate's node name from a gate outcome's ledger key (`gate_outcome:<thread>:<task>`,
    the task a checkpoint namespace: `review_gate:<id>`, or `dept:<id>|dept_review:<id>`)."""
    task = outcome_key.split(":", 2)[-1]
    return task.split("|")[-1].split(":")[0]


def backtest(
    ledger: SideEffectLedger,
    workflow_of: Callable[[str], str | None],
    workflow: str,
    candidate: ReviewPolicy,
    since: datetime | None = None,
) -> Backtest:
    """Replay `candidate` over every outcome `workflow`'s gate named by the candidate recorded
    (since `since`), on the agents' results as the gate assessed them. The escalations and input
    corrections the gate saw stand as they were (they are not the policy's to change)."""
    report = Backtest(workflow=workflow, gate=candidate.gate)
    for row in ledger.of_kind(GATE_OUTCOME_KIND):
        key, payload = str(row["key"]), row["payload"]
        if gate_of(key) != candidate.gate or workflow_of(str(row["thread_id"])) != workflow:
            continue
        at = row["recorded_at"]
        if since is not None and _aware(at) < since:
            continue
        outcome, results = payload.get("outcome") or {}, payload.get("results") or {}
        fired = outcome.get("fired") or []
        escalations = [f["detail"] for f in fired if f["rule"] == "escalated"]
        corrected = [
            name
            for f in fired
            if f["rule"] == "operator_correction"
            for name in str(f["detail"]).removeprefix("corrected input of ").split(", ")
        ]
        judged = assess(candidate, results, list(results), corrected, escalations)
        recorded = str(outcome.get("action"))
        record = outcome.get("record") or {}
        # A decision a rule in auto took is the policy's, not a person's: nothing to compare.
        person = None if record.get("automated") else (record.get("decision") or {}).get("action")
        case = BacktestCase(
            thread_id=str(row["thread_id"]),
            recorded_at=str(at),
            recorded=recorded,
            candidate=judged.action,
            fired=sorted({f.rule for f in judged.fired}),
            person=person,
        )
        report.cases += 1
        report.stopped_before += recorded == "review"
        report.would_stop += judged.action == "review"
        report.would_refer += judged.action == "refer"
        report.would_pass += judged.action == "approve"
        report.would_automate += judged.action == "auto"
        if judged.action != recorded:
            report.changed.append(case)
        if judged.action == "approve" and person in ("reject", "amend", "refer"):
            report.let_through.append(case)
        recommended = record.get("recommendation") or (outcome.get("packet") or {}).get(
            "recommendation"
        )
        automated_as = {"approve": "approve", "decline": "reject"}.get(str(recommended))
        if judged.action == "auto" and person is not None and person != automated_as:
            report.let_through.append(case)
    return report


def _aware(moment: Any) -> datetime:
    value = moment if isinstance(moment, datetime) else datetime.fromisoformat(str(moment))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
