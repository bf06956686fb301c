"""Risk scoring: the clause analysis scored by the legal owner's risk policy file.

The policy (`policies/contract_risk.yaml`) lists named rules, each with a weight and conditions
over which clause categories are present or absent (and whether an expiration date is stated);
the score is the sum of the weights of the rules that apply, and the band comes from the file's
thresholds. The file is validated when it is loaded: an unknown category, an unknown key or a
rule with no condition is refused with the file, the rule and the problem named.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agents.spec import AgentContext
from schemas.contract_review import ClauseCategory, ContractRisk, RiskBand, RiskInput, RiskPoint

RISK_POLICY = Path(__file__).resolve().parents[2] / "policies" / "contract_risk.yaml"


class RiskPolicyError(ValueError):
    """A risk policy file that cannot be used; the message names the file and the problem."""


class RiskRule(BaseModel):
    """One rule of the risk policy: its weight and when it applies (all conditions must hold)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = Field(min_length=1)
    weight: float = Field(gt=0)
    all_present: list[ClauseCategory] = Field(default_factory=list)
    any_present: list[ClauseCategory] = Field(default_factory=list)
    absent: list[ClauseCategory] = Field(default_factory=list)
    expiration_missing: bool | None = None

    @model_validator(mode="after")
    def _has_a_condition(self) -> Self:
        if not (self.all_present or self.any_present or self.absent) and (
            self.expiration_missing is None
        ):
            raise ValueError(
                "give at least one condition: all_present, any_present, absent or "
                "expiration_missing"
            )
        return self

    def applies(self, present: set[ClauseCategory], expiration_stated: bool) -> bool:
        return (
            all(category in present for category in self.all_present)
            and (not self.any_present or any(c in present for c in self.any_present))
            and not any(category in present for category in self.absent)
            and (self.expiration_missing is None or self.expiration_missing != expiration_stated)
        )

    def because(self, present: set[ClauseCategory]) -> list[ClauseCategory]:
        """The clauses that made the rule apply: those present among its conditions, or, for a
        rule about what is missing, the missing ones."""
        shown = [c for c in (*self.all_present, *self.any_present) if c in present]
        return shown or list(self.absent)


class Bands(BaseModel):
    model_config = ConfigDict(extra="forbid")

    medium: float = Field(gt=0)
    high: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.high <= self.medium:
            raise ValueError(f"bands: high ({self.high}) must be above medium ({self.medium})")
        return self

    def band(self, score: float) -> RiskBand:
        if score >= self.high:
            return "high"
        return "medium" if score >= self.medium else "low"


class RiskPolicy(BaseModel):
    """The risk policy file."""

    model_config = ConfigDict(extra="forbid")

    policy: str
    version: str
    owner: str
    bands: Bands
    rules: list[RiskRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        names = [rule.name for rule in self.rules]
        doubled = sorted({name for name in names if names.count(name) > 1})
        if doubled:
            raise ValueError(f"rule names must be unique: {doubled}")
        return self


def load_risk_policy(path: Path = RISK_POLICY) -> RiskPolicy:
    """The risk policy in `path`, read again only when the file changes."""
    try:
        stat = path.stat()
    except OSError as error:
        raise RiskPolicyError(f"risk policy {path}: {error.strerror}") from error
    return _parsed(str(path), stat.st_mtime_ns, stat.st_size)


@cache
def _parsed(path: str, mtime_ns: int, size: int) -> RiskPolicy:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise RiskPolicyError(f"risk policy {path} is not valid YAML: {error}") from error
    try:
        return RiskPolicy.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{_where(raw, item['loc'])}: {item['msg']}" for item in error.errors(include_url=False)
        )
        raise RiskPolicyError(f"risk policy {path} is invalid: {problems}") from None


def _where(raw: object, loc: tuple[int | str, ...]) -> str:
    """A validation error's location, naming the rule rather than its index."""
    parts = [str(part) for part in loc]
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int) and isinstance(raw, dict):
        rules = raw.get("rules") or []
        if loc[1] < len(rules) and isinstance(rules[loc[1]], dict):
            parts[1] = str(rules[loc[1]].get("name", loc[1]))
    return ".".join(parts) or "(file)"


def score_contract(payload: RiskInput, context: AgentContext) -> ContractRisk:
    """The contract's risk under the current policy file, with every rule that applied."""
    policy = load_risk_policy()
    present = set(payload.present)
    points = [
        RiskPoint(
            rule=rule.name,
            description=rule.description,
            weight=rule.weight,
            because=rule.because(present),
        )
        for rule in policy.rules
        if rule.applies(present, payload.expiration_stated)
    ]
    score = round(sum(point.weight for point in points), 2)
    return ContractRisk(
        score=score,
        band=policy.bands.band(score),
        points=points,
        policy=f"{policy.policy} {policy.version}",
    )
