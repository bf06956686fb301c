"""Review policies: which cases stop for a person, written by the business owner as YAML.

A policy is a list of named rules over contract fields (`agent.field.path`), each with one test
(`equals`, `not_equals`, `in`, `not_in`, `greater_than`, `at_least`, `less_than`, `at_most`,
`is: true | false | empty | not_empty`, or `always: true`) and what to do when it matches
(`review`: stop for a person; `refer`: hand the case to the referral desk). `status: [empty, …]`
tests how the agent named by `field` answered rather than a field of its value. No expression is ever
evaluated: the tests are data, checked when the file is loaded. A failed or escalated agent always
forces review, whatever the file says.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any, Literal, Self, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agents.data_files import line_of
from graphs.kit.contracts import describe_errors
from schemas.result import Status
from schemas.review import FiredRule

M = TypeVar("M", bound=BaseModel)
POLICY_DIR = Path(__file__).resolve().parents[2] / "policies"
TESTS = (
    "equals",
    "not_equals",
    "in",
    "not_in",
    "greater_than",
    "at_least",
    "less_than",
    "at_most",
    "is",
    "always",
    "status",
)


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file, the rule and the problem."""


class Rule(BaseModel):
    """One named rule: a field, one test, and what happens when it matches."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = Field(min_length=1)
    field: str | None = None
    then: Literal["review", "refer", "auto"] = "review"
    """`review`: a person decides; `refer`: the referral desk; `auto`: the last rung of the
    autonomy ladder, the case is decided as the agents recommend, with no person (recorded as
    an automated decision; a case they make no recommendation on, or that the workflow would not
    let be decided so, still stops for a person)."""
    shadow: bool = False
    """A review rule on trial for automation: the case still stops for a person, and the gate
    records what the automated decision would have been (`baton gates` compares the two)."""
    equals: Any = None
    not_equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    not_in: list[Any] | None = None
    greater_than: float | None = None
    at_least: float | None = None
    less_than: float | None = None
    at_most: float | None = None
    is_: Literal[True, False, "empty", "not_empty"] | None = Field(default=None, alias="is")
    always: Literal[True] | None = None
    status: list[Literal["ok", "empty", "failed", "escalated"]] | None = None
    """Fires when the agent named by `field` answered with one of these statuses."""

    @model_validator(mode="after")
    def _shadow_reviews(self) -> Self:
        if self.shadow and self.then != "review":
            raise ValueError("only a review rule can be in shadow (then: review)")
        return self

    @model_validator(mode="after")
    def _exactly_one_test(self) -> Self:
        given = [t for t in TESTS if t in self.model_fields_set or f"{t}_" in self.model_fields_set]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one test of {', '.join(TESTS)} (found {given or 'none'})"
            )
        if given != ["always"] and not self.field:
            raise ValueError(
                "a rule needs a `field` (agent.field.path) unless it is `always: true`"
            )
        if given == ["status"] and self.field and "." in self.field:
            raise ValueError("a `status` test takes an agent name as its field, not a path")
        return self

    @property
    def test(self) -> str:
        return next(
            t for t in TESTS if t in self.model_fields_set or f"{t}_" in self.model_fields_set
        )

    def matches(self, value: Any) -> bool:
        test = self.test
        if test == "always":
            return True
        if test == "status":
            return value in (self.status or [])
        if test == "is":
            if self.is_ in ("empty", "not_empty"):
                empty = value is None or (hasattr(value, "__len__") and len(value) == 0)
                return empty if self.is_ == "empty" else not empty
            return value is self.is_
        if value is None:
            return False
        if test == "equals":
            return bool(value == self.equals)
        if test == "not_equals":
            return bool(value != self.not_equals)
        if test == "in":
            return value in (self.in_ or [])
        if test == "not_in":
            return value not in (self.not_in or [])
        number = float(value)
        bound = getattr(self, test)
        return {
            "greater_than": number > bound,
            "at_least": number >= bound,
            "less_than": number < bound,
            "at_most": number <= bound,
        }[test]

    def describe(self) -> str:
        if self.test == "always":
            return "always"
        shown = {"in": self.in_, "is": self.is_}.get(self.test, getattr(self, self.test, None))
        return f"{self.field} {self.test.replace('_', ' ')} {shown}"


BUILT_IN_RULES = (
    "escalated",
    "operator_correction",
    "agent_did_not_run",
    "agent_failed",
    "agent_escalated",
)
"""Rules every gate applies whatever its file says (see `assess`); a file may name them too."""


class SecondReviewer(BaseModel):
    """When a reviewer's decision must be confirmed by a second, different reviewer (four eyes):
    approving or amending a case on which one of `rules` fired, or (`overriding_decline`) against
    the agents' decline recommendation. Rejecting or referring never needs a second reviewer."""

    model_config = ConfigDict(extra="forbid")

    rules: list[str] = Field(default_factory=list)
    overriding_decline: bool = False

    def needed(self, fired: Sequence[FiredRule], recommendation: str) -> str | None:
        """Why a second reviewer must confirm an approval or amendment (None when not)."""
        named = sorted({rule.rule for rule in fired if rule.rule in self.rules})
        if named:
            return f"it approves a case on which {', '.join(named)} fired"
        if self.overriding_decline and recommendation == "decline":
            return "it overrides the agents' decline recommendation"
        return None


class AutomationThresholds(BaseModel):
    """When the owner will consider automating a review rule (`automation:` in the policy file):
    `baton gates` says a rule qualifies once reviewers decided at least `min_cases` of the cases
    it stopped with a recommendation to compare, and the lower end of the `confidence` interval
    (Wilson's) on how often they agreed with the agents is at least `min_agreement_bound`. Baton
    never changes a rule by itself: moving one is a policy change the owner commits."""

    model_config = ConfigDict(extra="forbid")

    min_cases: int = Field(default=30, ge=1, le=1_000_000)
    min_agreement_bound: float = Field(default=0.95, gt=0, le=1)
    confidence: float = Field(default=0.95, gt=0.5, lt=1)


class ReviewPolicy(BaseModel):
    """A workflow's review policy file."""

    model_config = ConfigDict(extra="forbid")

    workflow: str
    owner: str
    gate: str = "review_gate"
    when_no_rule_fires: Literal["approve", "review"] = "review"
    rules: list[Rule] = Field(default_factory=list)
    second_reviewer: SecondReviewer | None = None
    """Which decisions a second, different reviewer must confirm (none when absent)."""
    automation: AutomationThresholds = Field(default_factory=AutomationThresholds)
    """When a review rule qualifies for automation (`baton gates`)."""
    settings: dict[str, Any] = Field(default_factory=dict)
    """The owner's settings the workflow's agents read (tolerances, windows, thresholds): each
    workflow checks them with its own model (`policy_settings`); agents get them in
    `AgentContext.settings`."""

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        names = [rule.name for rule in self.rules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate rule names: {duplicates}")
        if self.second_reviewer is not None:
            unknown = sorted(set(self.second_reviewer.rules) - {*names, *BUILT_IN_RULES})
            if unknown:
                raise ValueError(
                    f"second_reviewer names no rule {unknown} (rules: {', '.join(names)}; "
                    f"built in: {', '.join(BUILT_IN_RULES)})"
                )
        return self


def load_policy(path: Path, contracts: Mapping[str, type[BaseModel]]) -> ReviewPolicy:
    """Load and check a policy file. `contracts` maps each agent name to its output contract, so
    that a rule naming an unknown agent or field is refused at load, not ignored at run time."""
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as error:
        raise PolicyError(f"{path}: cannot read the policy file: {error}") from error
    try:
        policy = ReviewPolicy.model_validate(raw)
    except ValidationError as error:
        lines = [line_of(text, item["loc"]) for item in error.errors(include_url=False)]
        described = [
            f"{problem} (line {line})" if line else problem
            for problem, line in zip(describe_errors(error), lines, strict=True)
        ]
        raise PolicyError(f"{path}: " + "; ".join(_rule_named(raw, described))) from error
    for rule in policy.rules:
        if rule.field is not None:
            problem = _field_problem(rule.field, contracts)
            if problem:
                raise PolicyError(f"{path}: rule {rule.name!r}: {problem}")
    return policy


def workflow_policy(workflow: str, agents: Sequence[Any]) -> ReviewPolicy:
    """The workflow's policy file (`policies/<workflow>.yaml`), checked against the output
    contracts of its agents (`AgentSpec`s)."""
    return load_policy(
        POLICY_DIR / f"{workflow}.yaml", {spec.name: spec.output_contract for spec in agents}
    )


def policy_settings(workflow: str, model: type[M], path: Path | None = None) -> M:
    """The `settings:` of the workflow's policy file, checked against `model`; PolicyError naming
    the file, the setting and its line."""
    path = path or POLICY_DIR / f"{workflow}.yaml"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    raw = raw_settings(path)
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        problems = [
            f"settings.{problem}" + (f" (line {line})" if line else "")
            for problem, line in zip(
                describe_errors(error),
                [line_of(text, ("settings", *item["loc"])) for item in error.errors()],
                strict=True,
            )
        ]
        raise PolicyError(f"{path}: " + "; ".join(problems)) from error


def policy_version(policy: ReviewPolicy) -> str:
    """The policy's version: a content hash of what it says (its rules, thresholds and settings),
    recorded with every gate outcome so a decision names the policy in force."""
    text = policy.model_dump_json(by_alias=True)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def automation_thresholds(workflow: str, path: Path | None = None) -> AutomationThresholds:
    """The owner's `automation:` thresholds in the workflow's policy file (the defaults without
    a file or the section); PolicyError naming the file and the field."""
    path = path or POLICY_DIR / f"{workflow}.yaml"
    if not path.is_file():
        return AutomationThresholds()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PolicyError(f"{path}: cannot read the policy file: {error}") from error
    section = raw.get("automation") if isinstance(raw, dict) else None
    try:
        return AutomationThresholds.model_validate(section or {})
    except ValidationError as error:
        problems = "; ".join(f"automation.{p}" for p in describe_errors(error))
        raise PolicyError(f"{path}: {problems}") from None


def raw_settings(path: Path) -> dict[str, Any]:
    """The `settings:` mapping of a policy file as written ({} without a file or settings);
    PolicyError when the file cannot be read or `settings` is not a mapping."""
    if not path.is_file():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PolicyError(f"{path}: cannot read the policy file: {error}") from error
    settings = raw.get("settings") if isinstance(raw, dict) else None
    if settings is not None and not isinstance(settings, dict):
        raise PolicyError(f"{path}: settings: a mapping of names to values, not {settings!r}")
    return dict(settings or {})


def _rule_named(raw: Any, errors: list[str]) -> list[str]:
    named = []
    for line in errors:
        parts = line.split(".")
        if parts[0] == "rules" and len(parts) > 1 and parts[1].split(":")[0].isdigit():
            index = int(parts[1].split(":")[0])
            with suppress(KeyError, IndexError, TypeError, AttributeError):
                line = f"rule {raw['rules'][index].get('name', index)!r}: {line}"
        named.append(line)
    return named


def _field_problem(path: str, contracts: Mapping[str, type[BaseModel]]) -> str | None:
    agent, _, rest = path.partition(".")
    if agent not in contracts:
        return f"field {path!r} names no agent of this workflow (agents: {', '.join(contracts)})"
    model: Any = contracts[agent]
    for part in rest.split(".") if rest else []:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return f"field {path!r}: {getattr(model, '__name__', model)} has no field {part!r}"
        annotation = fields[part].annotation
        model = next(
            (a for a in getattr(annotation, "__args__", ()) if hasattr(a, "model_fields")),
            annotation,
        )
    return None


class Assessment(BaseModel):
    """What a policy says about one case."""

    action: Literal["approve", "review", "refer", "auto"]
    fired: list[FiredRule]


def assess(
    policy: ReviewPolicy,
    results: Mapping[str, Any],
    agents: list[str],
    corrected: Sequence[str] = (),
    escalations: Sequence[str] = (),
    hidden: frozenset[str] = frozenset(),
) -> Assessment:
    """Apply the policy to a case's agent results (JSON `AgentResult`s keyed by agent name).

    Any agent that failed, escalated or did not run forces review, and so does an agent whose input
    an operator corrected (`corrected`): a person's change to the evidence is reviewed by a person;
    so does every escalation (`escalations`, e.g. a chain evaluator that gave up on a stage).
    A rule over an agent whose answer is `empty` does not fire (there is nothing to test). The
    value a rule matched is named in its detail, unless it sits under a field of `hidden`."""
    fired: list[FiredRule] = [
        FiredRule(
            rule="escalated",
            action="review",
            description="The workflow escalated the case to a person.",
            detail=reason,
        )
        for reason in escalations
    ]
    if corrected:
        fired.append(
            FiredRule(
                rule="operator_correction",
                action="review",
                description="An operator corrected an agent's input; a reviewer must see the result.",
                detail=f"corrected input of {', '.join(corrected)}",
            )
        )
    for name in agents:
        result = results.get(name)
        if result is None:
            fired.append(
                FiredRule(
                    rule="agent_did_not_run",
                    action="review",
                    description="An agent did not run, so its checks were not made.",
                    detail=f"{name} did not run",
                )
            )
        elif result["status"] in (Status.FAILED, Status.ESCALATED):
            kind = f" ({result['error_kind']})" if result.get("error_kind") else ""
            fired.append(
                FiredRule(
                    rule=f"agent_{result['status']}",
                    action="review",
                    description="An agent could not do its job; a person must.",
                    detail=f"{name} {result['status']}{kind}: {result['reason']}",
                )
            )
    for rule in policy.rules:
        if rule.test == "always":
            fired.append(
                FiredRule(
                    rule=rule.name, description=rule.description, action=rule.then, detail="always"
                )
            )
            continue
        assert rule.field is not None
        agent, _, path = rule.field.partition(".")
        result = results.get(agent)
        if rule.test == "status":
            value = result["status"] if result else None
        elif not result or result["status"] != Status.OK:
            continue
        else:
            value = _lookup(result["value"], path)
        if rule.matches(value):
            fired.append(
                FiredRule(
                    rule=rule.name,
                    description=rule.description,
                    action=rule.then,
                    detail=f"{rule.describe()} (value: {_shown(value, path, hidden)})",
                )
            )
    if any(f.action == "review" for f in fired):
        action: Literal["approve", "review", "refer", "auto"] = "review"
    elif any(f.action == "refer" for f in fired):
        action = "refer"
    elif fired:
        action = "auto"
    else:
        action = policy.when_no_rule_fires
    return Assessment(action=action, fired=fired)


def _shown(value: Any, path: str, hidden: frozenset[str]) -> str:
    """The value a rule matched, as the reviewer sees it: redacted when any part of its path is
    a sensitive field (the detail is shown and traced as text, out of redaction's reach)."""
    if any(part in hidden for part in path.split(".")):
        return "[redacted]"
    return repr(value)


def _lookup(value: Any, path: str) -> Any:
    for part in path.split(".") if path else []:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
