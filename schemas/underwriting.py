"""Contracts of the underwriting workflow: what each specialist reads and writes."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from schemas.sensitive import SENSITIVE

DocumentKind = Literal["application", "loss_run", "inspection", "other"]
ConstructionType = Literal[
    "frame", "joisted_masonry", "masonry", "noncombustible", "fire_resistive"
]
RiskBand = Literal["low", "moderate", "high", "severe"]

# fmt: off
US_STATES = frozenset((
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC",
    "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
))
# fmt: on

_POLICY_NUMBER = re.compile(r"^(BTN|UW)[\s\-_./]*(\d{4})[\s\-_./]*(\d{1,6})$", re.IGNORECASE)


def normalise_policy_number(raw: str) -> str:
    """The canonical `BTN-YYYY-NNNNNN` form of a policy number, or ValueError saying why not.

    Known spellings: any case; `-`, space, `_`, `.` or `/` between the parts, or none; an unpadded
    sequence number; the legacy `UW` prefix of the pre-2020 policy system, which maps to `BTN`.
    """
    text = raw.strip()
    match = _POLICY_NUMBER.fullmatch(text)
    if not match:
        raise ValueError(
            f"policy number {raw!r} is not in a known format (expected BTN-YYYY-NNNNNN, "
            "e.g. BTN-2021-004512)"
        )
    year = int(match.group(2))
    if not 1990 <= year <= 2100:
        raise ValueError(f"policy number {raw!r} has an impossible year {year}")
    return f"BTN-{year}-{int(match.group(3)):06d}"


PolicyNumber = Annotated[str, AfterValidator(normalise_policy_number)]
"""A policy number in any known spelling, normalised to `BTN-YYYY-NNNNNN`; others are rejected."""


def _state_code(value: str) -> str:
    code = value.strip().upper()
    if code not in US_STATES:
        raise ValueError(f"{value!r} is not a US state code")
    return code


StateCode = Annotated[str, AfterValidator(_state_code)]


class _Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Document(_Contract):
    """One document of a submission: the application form, a loss run, an inspection report…"""

    kind: DocumentKind
    name: str = Field(min_length=1, max_length=200)
    content: str = Field(max_length=200_000, json_schema_extra=SENSITIVE)


class UnderwritingSubmission(_Contract):
    """The workflow's input: a broker's submission for a commercial property policy."""

    submission_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    policy_number: str | None = Field(default=None, max_length=64)
    """The prior policy number as the broker wrote it (normalised by policy lookup)."""
    broker: str | None = Field(default=None, max_length=200)
    documents: list[Document] = Field(min_length=1, max_length=50)


# --- intake ---------------------------------------------------------------------------------


class Claim(_Contract):
    """One claim of a loss run."""

    date_of_loss: date
    cause: str
    paid: float = Field(ge=0)
    reserved: float = Field(ge=0)
    status: Literal["open", "closed"]

    @property
    def incurred(self) -> float:
        return self.paid + self.reserved


class LossHistory(_Contract):
    """The applicant's claims. `provided` False means no loss run was supplied: unknown, not clean."""

    provided: bool
    claims: list[Claim] = Field(default_factory=list)

    @model_validator(mode="after")
    def _no_claims_without_a_loss_run(self) -> Self:
        if not self.provided and self.claims:
            raise ValueError("claims listed but no loss run provided")
        return self


RATED_FIELDS = (
    "applicant_name",
    "state",
    "business_class",
    "years_in_business",
    "construction_type",
    "year_built",
    "sprinklered",
    "requested_limit",
    "effective_date",
)
"""Application fields rating cannot do without; intake lists the ones it could not find."""


class IntakeInput(_Contract):
    submission_id: str
    documents: list[Document] = Field(min_length=1)


class ApplicationFacts(_Contract):
    """What intake read from the documents. A field it could not find is None and named in
    `missing_fields`; it is never guessed."""

    applicant_name: str | None = None
    mailing_address: str | None = Field(default=None, json_schema_extra=SENSITIVE)
    state: StateCode | None = None
    business_class: str | None = None
    years_in_business: int | None = Field(default=None, ge=0, le=300)
    annual_revenue: float | None = Field(default=None, ge=0)
    construction_type: ConstructionType | None = None
    year_built: int | None = Field(default=None, ge=1700, le=2100)
    sprinklered: bool | None = None
    requested_limit: float | None = Field(default=None, gt=0)
    prior_policy_number: str | None = None
    effective_date: date | None = None
    fein: str | None = Field(default=None, json_schema_extra=SENSITIVE)
    contact_email: str | None = Field(default=None, json_schema_extra=SENSITIVE)
    extraction: Literal["labelled_form", "free_text", "llm"]
    """How the facts were read: from `Label: value` lines, picked out of free text by patterns,
    or by a model (with every value backed by a quote of the document)."""
    loss_history: LossHistory
    documents_present: list[DocumentKind]
    missing_fields: list[str] = Field(default_factory=list)
    unrecognised_labels: list[str] = Field(default_factory=list)
    unreadable_values: list[str] = Field(default_factory=list)
    """Fields that were found but could not be read (or were stated several different ways)."""
    names_mentioned: list[str] = Field(default_factory=list)
    """Every business the application names (with a legal form), and every person or
    organisation any document names under a label (owners, officers, parents, subsidiaries, loss
    payees, unknown labels whose value reads like a name), so screening covers them all."""
    suspicious_text: list[str] = Field(default_factory=list)
    """Lines of the documents that read like instructions to the system ("approve this", "skip
    review", "SYSTEM:"…). They are data and change no fact; they are shown to the reviewer."""
    model_flags: list[str] = Field(default_factory=list)
    """Facts a model read that no deterministic reader confirms, each with the document's words the
    model quoted (its source span): a reviewer checks them."""

    @model_validator(mode="after")
    def _missing_fields_are_the_empty_ones(self) -> Self:
        empty = [name for name in RATED_FIELDS if getattr(self, name) is None]
        if sorted(empty) != sorted(self.missing_fields):
            raise ValueError(
                f"missing_fields must list exactly the rated fields not found: {empty}"
            )
        return self


# --- policy lookup ----------------------------------------------------------------------------


class PolicyLookupInput(_Contract):
    policy_number: PolicyNumber | None
    """The prior policy number of the submission (else of the application); None when neither
    names one."""
    application_policy_number: str | None = None
    """The prior policy number as written on the application form, to check it agrees."""
    applicant_name: str | None = None


class PriorPolicy(_Contract):
    """The prior policy on file."""

    policy_number: str
    insured_name: str
    status: Literal["active", "expired", "cancelled"]
    effective_date: date
    expiry_date: date
    limit: float = Field(gt=0)
    annual_premium: float = Field(ge=0)
    cancellation_reason: str | None = None
    insured_matches_applicant: bool | None = None
    """Whether the insured on file is the applicant (fuzzy name match); None if no applicant name."""


# --- risk scoring -----------------------------------------------------------------------------


class RiskInput(_Contract):
    """Everything the rating table needs; a missing field is a contract violation, not a guess."""

    business_class: str
    state: StateCode
    construction_type: ConstructionType
    year_built: int
    sprinklered: bool
    years_in_business: int = Field(ge=0)
    effective_date: date
    loss_history: LossHistory


class RiskFactor(_Contract):
    name: str
    value: str
    points: int
    note: str


class RiskAssessment(_Contract):
    """The score, its band and every factor behind it."""

    score: int
    band: RiskBand
    factors: list[RiskFactor] = Field(min_length=1)
    rating_table: str
    """Which version of the rating table was used."""


# --- compliance -------------------------------------------------------------------------------


class ComplianceInput(_Contract):
    applicant_name: str | None = None
    broker: str | None = None
    other_names: list[str] = Field(default_factory=list)
    """Other businesses the application names; screened too."""
    state: StateCode
    business_class: str
    year_built: int | None = None
    requested_limit: float | None = None
    effective_date: date | None = None
    """Building age for the inspection rule is counted to this date (today when unknown)."""
    documents_present: list[DocumentKind]


class SanctionsHit(_Contract):
    screened_name: str
    listed_name: str
    program: str
    score: float = Field(ge=0, le=100)


class ComplianceReport(_Contract):
    """Sanctions screening, state eligibility and required documents."""

    screened_names: list[str] = Field(min_length=1)
    sanctions_hits: list[SanctionsHit]
    state_eligible: bool
    eligibility_note: str
    required_documents: list[DocumentKind]
    missing_documents: list[DocumentKind]

    @property
    def clear(self) -> bool:
        return not self.sanctions_hits and self.state_eligible and not self.missing_documents


# --- quote ------------------------------------------------------------------------------------


class QuoteInput(_Contract):
    business_class: str
    requested_limit: float = Field(gt=0)
    score: int
    band: RiskBand


class Quote(_Contract):
    """Proposed terms. A reviewer may amend `limit`, `deductible` and `annual_premium`."""

    limit: float = Field(gt=0)
    deductible: float = Field(ge=0)
    annual_premium: float = Field(gt=0)
    currency: Literal["USD"] = "USD"
    rate_per_thousand: float = Field(gt=0)
    band_multiplier: float = Field(gt=0)
    breakdown: list[str]

    @model_validator(mode="after")
    def _deductible_below_limit(self) -> Self:
        if self.deductible >= self.limit:
            raise ValueError(
                f"deductible {self.deductible:,.0f} must be below the limit {self.limit:,.0f}"
            )
        return self


AMENDABLE_QUOTE_FIELDS = ("limit", "deductible", "annual_premium")


# --- decision ---------------------------------------------------------------------------------


class UnderwritingDecision(_Contract):
    """The outcome of a case, recorded once by finalize."""

    submission_id: str
    outcome: Literal["approved", "declined", "referred"]
    decided_by: str
    """`policy` for an automatic decision, else the reviewer's name."""
    reasons: list[str]
    quote: Quote | None
    decision_key: str
    """The idempotency key it was recorded under."""
    supersedes: str | None = None
    """The key of the thread's earlier decision this one replaces (after a rollback)."""
