"""Contracts of the contract review workflow: what each stage of the chain reads and writes.

Every value a stage reads out of a contract comes with the span of the contract text it was read
from (`Span`: character offsets into `ContractDocument.content`, and the text found there), so an
evaluator, a reviewer or a test can check that the contract really says it.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.sensitive import SENSITIVE


class ClauseCategory(StrEnum):
    """CUAD's 41 categories (Hendrycks et al., 2021), named exactly as in CUAD's label file."""

    DOCUMENT_NAME = "Document Name"
    PARTIES = "Parties"
    AGREEMENT_DATE = "Agreement Date"
    EFFECTIVE_DATE = "Effective Date"
    EXPIRATION_DATE = "Expiration Date"
    RENEWAL_TERM = "Renewal Term"
    NOTICE_PERIOD_TO_TERMINATE_RENEWAL = "Notice Period To Terminate Renewal"
    GOVERNING_LAW = "Governing Law"
    MOST_FAVORED_NATION = "Most Favored Nation"
    COMPETITIVE_RESTRICTION_EXCEPTION = "Competitive Restriction Exception"
    NON_COMPETE = "Non-Compete"
    EXCLUSIVITY = "Exclusivity"
    NO_SOLICIT_OF_CUSTOMERS = "No-Solicit Of Customers"
    NO_SOLICIT_OF_EMPLOYEES = "No-Solicit Of Employees"
    NON_DISPARAGEMENT = "Non-Disparagement"
    TERMINATION_FOR_CONVENIENCE = "Termination For Convenience"
    ROFR_ROFO_ROFN = "Rofr/Rofo/Rofn"
    CHANGE_OF_CONTROL = "Change Of Control"
    ANTI_ASSIGNMENT = "Anti-Assignment"
    REVENUE_PROFIT_SHARING = "Revenue/Profit Sharing"
    PRICE_RESTRICTIONS = "Price Restrictions"
    MINIMUM_COMMITMENT = "Minimum Commitment"
    VOLUME_RESTRICTION = "Volume Restriction"
    IP_OWNERSHIP_ASSIGNMENT = "Ip Ownership Assignment"
    JOINT_IP_OWNERSHIP = "Joint Ip Ownership"
    LICENSE_GRANT = "License Grant"
    NON_TRANSFERABLE_LICENSE = "Non-Transferable License"
    AFFILIATE_LICENSE_LICENSOR = "Affiliate License-Licensor"
    AFFILIATE_LICENSE_LICENSEE = "Affiliate License-Licensee"
    UNLIMITED_LICENSE = "Unlimited/All-You-Can-Eat-License"
    IRREVOCABLE_OR_PERPETUAL_LICENSE = "Irrevocable Or Perpetual License"
    SOURCE_CODE_ESCROW = "Source Code Escrow"
    POST_TERMINATION_SERVICES = "Post-Termination Services"
    AUDIT_RIGHTS = "Audit Rights"
    UNCAPPED_LIABILITY = "Uncapped Liability"
    CAP_ON_LIABILITY = "Cap On Liability"
    LIQUIDATED_DAMAGES = "Liquidated Damages"
    WARRANTY_DURATION = "Warranty Duration"
    INSURANCE = "Insurance"
    COVENANT_NOT_TO_SUE = "Covenant Not To Sue"
    THIRD_PARTY_BENEFICIARY = "Third Party Beneficiary"


class ContractDocument(BaseModel):
    """The workflow's input: one contract as plain text, with optional metadata."""

    model_config = ConfigDict(extra="forbid")

    contract_id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][\w.\-]*$")
    title: str | None = Field(default=None, max_length=500)
    source_name: str | None = Field(default=None, max_length=500)
    """The file the text came from, if any."""
    content: str = Field(min_length=200, max_length=2_000_000, json_schema_extra=SENSITIVE)
    """The contract's full text (confidential commercial terms: redacted in traces)."""
    metadata: dict[str, str] = Field(default_factory=dict)
    """Anything the submitter wants carried along (matter number, counterparty, requester)."""


class Span(BaseModel):
    """Where a value was read: `content[start:end] == text`."""

    model_config = ConfigDict(extra="forbid")

    start: int = Field(ge=0)
    end: int = Field(ge=1)
    text: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.end - self.start != len(self.text):
            raise ValueError(
                f"span {self.start}:{self.end} is {self.end - self.start} characters long but its "
                f"text has {len(self.text)}"
            )
        return self


class Extracted(BaseModel):
    """One value read from the contract, normalised, with the span it was read from."""

    model_config = ConfigDict(extra="forbid")

    value: str = Field(min_length=1)
    """As the contract states it, tidied (whitespace collapsed, defined-term quotes removed)."""
    span: Span


DateKind = Literal["stated", "computed", "rule", "perpetual"]
"""How a date-valued field was read: see `ExtractedDate.kind`."""


class DateRule(BaseModel):
    """An end stated as a period counted from an anchor ("five (5) years following the Effective
    Date", "the fifth anniversary of the date hereof"), as read, so that a reviewer can check the
    date computed from it."""

    model_config = ConfigDict(extra="forbid")

    amount: int = Field(ge=1)
    unit: Literal["day", "week", "month", "year"]
    anchor: str = Field(min_length=1)
    """What the period runs from, as the contract names it ("the Effective Date", "the date
    hereof"); "the start of the term" when the contract names only the period ("shall continue
    for five (5) years")."""
    anchor_field: Literal["effective_date", "agreement_date"] | None = None
    """The extracted date the anchor was taken to be; None when it is an event the contract does
    not date ("the Launch Date") or a date stated in the clause itself."""
    anchor_on: date | None = None
    """The anchor's calendar date, when known (the `on` of `anchor_field`, or the date the clause
    states); the end is computed from it."""


class ExtractedDate(Extracted):
    """A date-valued field: `on` is the calendar date when the span states one ("March 1, 2019")
    or when it was computed from a rule the span states ("five years after the Effective Date"),
    and None otherwise; `kind` says which."""

    on: date | None = None
    kind: DateKind = "stated"
    """"stated": the span states the date (`on`; None for a date with blanks, "[___], 2020");
    "computed": the span states a rule and `on` was computed from it (`rule` says how);
    "rule": the span states a rule whose date cannot be computed (its anchor is not dated, it is
    not a period, "until the end of the current calendar year", or its period is left blank,
    "____ (__) years after the Effective Date"), `on` is None;
    "perpetual": the span states that there is no fixed end ("until terminated", "in
    perpetuity"), `on` is None. A field with nothing stated is None, not an ExtractedDate."""
    rule: DateRule | None = None
    """The period and anchor, for "computed" (always) and "rule" (when read as a period)."""

    @model_validator(mode="after")
    def _kind_consistent(self) -> Self:
        if self.kind == "computed" and (self.on is None or self.rule is None):
            raise ValueError("a computed date needs the date (`on`) and the rule it came from")
        if self.kind in ("rule", "perpetual") and self.on is not None:
            raise ValueError(f"a {self.kind} date has no calendar date (`on` must be None)")
        if self.kind in ("stated", "perpetual") and self.rule is not None:
            raise ValueError(f"a {self.kind} date has no rule")
        return self


class StageInput(BaseModel):
    """What a stage that reads the contract text gets: the text and its evaluator's feedback."""

    model_config = ConfigDict(extra="forbid")

    contract_id: str
    content: str = Field(min_length=1, json_schema_extra=SENSITIVE)
    feedback: list[str] = Field(default_factory=list)
    """Problems the stage's evaluator found in its previous attempt (empty on the first)."""


class ContractFacts(BaseModel):
    """Extraction's output: the contract's key terms, each with its source span."""

    model_config = ConfigDict(extra="forbid")

    parties: list[Extracted] = Field(default_factory=list)
    agreement_date: ExtractedDate | None = None
    effective_date: ExtractedDate | None = None
    expiration_date: ExtractedDate | None = None
    renewal_term: Extracted | None = None
    notice_period: Extracted | None = None
    """Notice needed to stop a renewal (or to terminate), e.g. "90 days"."""
    governing_law: Extracted | None = None
    """The jurisdiction whose law governs, e.g. "New York"."""


FACT_FIELDS = (
    "parties",
    "agreement_date",
    "effective_date",
    "expiration_date",
    "renewal_term",
    "notice_period",
    "governing_law",
)
CUAD_ANSWER_COLUMNS = {
    "parties": "Parties-Answer",
    "agreement_date": "Agreement Date-Answer",
    "effective_date": "Effective Date-Answer",
    "expiration_date": "Expiration Date-Answer",
    "renewal_term": "Renewal Term-Answer",
    "notice_period": "Notice Period To Terminate Renewal- Answer",
    "governing_law": "Governing Law-Answer",
}
"""The CUAD `master_clauses.csv` answer column of each key term (CUAD's own spelling)."""


class ClauseFinding(BaseModel):
    """Whether the contract has a clause of one category, and where."""

    model_config = ConfigDict(extra="forbid")

    category: ClauseCategory
    present: bool
    spans: list[Span] = Field(default_factory=list)
    """The clause text found (at least one span when present, none when absent)."""
    model_probability: float | None = Field(default=None, ge=0, le=1)
    """When a learned model helps decide this category: its probability for the contract's
    best sentence (the clause's spans are the rules' when they found it, else the model's)."""

    @model_validator(mode="after")
    def _spans_match_presence(self) -> Self:
        if self.present and not self.spans:
            raise ValueError(f"{self.category.value}: a present clause needs a span")
        if not self.present and self.spans:
            raise ValueError(f"{self.category.value}: an absent clause cannot have spans")
        return self


class ClauseReport(BaseModel):
    """Clause analysis's output: one finding for each of the 41 categories."""

    model_config = ConfigDict(extra="forbid")

    findings: list[ClauseFinding]
    clause_model: str | None = None
    """When a learned model had a say: its cache key (its training data's SHA-256 prefix and
    versions), so the run can be reproduced."""

    @model_validator(mode="after")
    def _every_category_once(self) -> Self:
        seen = [finding.category for finding in self.findings]
        missing = [c.value for c in ClauseCategory if c not in seen]
        doubled = sorted({c.value for c in seen if seen.count(c) > 1})
        if missing or doubled:
            raise ValueError(f"every category exactly once: missing {missing}, doubled {doubled}")
        return self

    def present(self) -> list[ClauseCategory]:
        return [finding.category for finding in self.findings if finding.present]


RiskBand = Literal["low", "medium", "high"]


class RiskInput(BaseModel):
    """What risk scoring reads: which clauses the contract has, and its key dates."""

    model_config = ConfigDict(extra="forbid")

    present: list[ClauseCategory]
    expiration_stated: bool
    """Whether extraction found when the contract ends: a date, or a rule to compute one; not a
    term that runs until terminated, nor one whose date or period is left blank (a contract
    without an end may run forever)."""


class RiskPoint(BaseModel):
    """One rule of the risk policy that applied, with its weight and the clauses behind it."""

    model_config = ConfigDict(extra="forbid")

    rule: str
    description: str
    weight: float
    because: list[ClauseCategory] = Field(default_factory=list)


class ContractRisk(BaseModel):
    """Risk scoring's output."""

    model_config = ConfigDict(extra="forbid")

    score: float = Field(ge=0)
    band: RiskBand
    points: list[RiskPoint]
    policy: str
    """Which risk policy (file and version) scored it."""


class SummaryInput(BaseModel):
    """What the summary reads: the other stages' outputs and the text (to cite)."""

    model_config = ConfigDict(extra="forbid")

    contract_id: str
    title: str | None = None
    content: str = Field(min_length=1, json_schema_extra=SENSITIVE)
    facts: ContractFacts
    clauses: ClauseReport
    risk: ContractRisk
    feedback: list[str] = Field(default_factory=list)


class Cited(BaseModel):
    """A sentence of the summary and the spans it rests on."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    cites: list[Span] = Field(default_factory=list)


class ContractSummary(BaseModel):
    """The reviewer-facing summary: a headline and points, each citing the contract."""

    model_config = ConfigDict(extra="forbid")

    headline: str = Field(min_length=1)
    points: list[Cited] = Field(min_length=1)


class ContractDecision(BaseModel):
    """What the workflow concludes, recorded once in the ledger."""

    model_config = ConfigDict(extra="forbid")

    contract_id: str
    outcome: Literal["cleared", "cleared_by_reviewer", "rejected", "referred"]
    decided_by: str
    band: RiskBand | None
    reasons: list[str]
    decision_key: str
    supersedes: str | None = None
