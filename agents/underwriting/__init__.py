"""The underwriting specialists: specs with owners, contracts and implementation chains."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.spec import AgentSpec, Implementation, Owner
from agents.underwriting.compliance import check_compliance
from agents.underwriting.intake import read_application, read_free_text_application
from agents.underwriting.llm_intake import read_application_with_model
from agents.underwriting.policy_lookup import lookup_prior_policy
from agents.underwriting.quote import price_quote
from agents.underwriting.risk import score_risk
from schemas.review import Recommendation
from schemas.underwriting import (
    ApplicationFacts,
    ComplianceInput,
    ComplianceReport,
    IntakeInput,
    PolicyLookupInput,
    PriorPolicy,
    Quote,
    QuoteInput,
    RiskAssessment,
    RiskInput,
)

WORKFLOW = "underwriting"
INTAKE_TEAM = Owner(team="Submission Intake", contact="intake-oncall@baton.example")
UNDERWRITING_TEAM = Owner(team="Commercial Underwriting", contact="uw-governance@baton.example")
COMPLIANCE_TEAM = Owner(team="Compliance", contact="compliance-screening@baton.example")


def ok_value(state: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The value of an `ok` result stored under `key`, or {} (so the contract names what is
    missing) when the agent has not run or did not answer ok."""
    result = state.get(key)
    if (
        isinstance(result, dict)
        and result.get("status") == "ok"
        and isinstance(result.get("value"), dict)
    ):
        return dict(result["value"])
    return {}


def _policy_lookup_input(state: Mapping[str, Any]) -> dict[str, Any]:
    facts = ok_value(state, "intake")
    return {
        "policy_number": state.get("policy_number") or facts.get("prior_policy_number"),
        "application_policy_number": facts.get("prior_policy_number"),
        "applicant_name": facts.get("applicant_name"),
    }


def _risk_input(state: Mapping[str, Any]) -> dict[str, Any]:
    facts = ok_value(state, "intake")
    return {
        key: facts.get(key)
        for key in RiskInput.model_fields
        if facts.get(key) is not None or key == "loss_history"
    }


def _compliance_input(state: Mapping[str, Any]) -> dict[str, Any]:
    facts = ok_value(state, "intake")
    fields = (
        "applicant_name",
        "state",
        "business_class",
        "year_built",
        "requested_limit",
        "effective_date",
        "documents_present",
    )
    return {
        "broker": state.get("broker"),
        "other_names": facts.get("names_mentioned", []),
        **{key: facts[key] for key in fields if facts.get(key) is not None},
    }


def _quote_input(state: Mapping[str, Any]) -> dict[str, Any]:
    facts, risk = ok_value(state, "intake"), ok_value(state, "risk")
    return {
        "business_class": facts.get("business_class"),
        "requested_limit": facts.get("requested_limit"),
        "score": risk.get("score"),
        "band": risk.get("band"),
    }


INTAKE = AgentSpec(
    name="intake",
    workflow=WORKFLOW,
    owner=INTAKE_TEAM,
    version="1.0.0",
    description="Reads the application form and loss run into application facts; lists what is missing.",
    reads=("submission_id", "documents"),
    input_contract=IntakeInput,
    output_contract=ApplicationFacts,
    implementations=(
        Implementation(
            "llm_reader",
            "llm",
            read_application_with_model,
            "a chat model reads the application into the contract, every value quoted",
            model_role="intake",
        ),
        Implementation(
            "label_parser",
            "deterministic",
            read_application,
            "Label: value form parser and loss-run table reader",
        ),
        Implementation(
            "prose_reader",
            "deterministic",
            read_free_text_application,
            "facts stated plainly in free text (emails, letters), by patterns",
        ),
    ),
)

POLICY_LOOKUP = AgentSpec(
    name="policy_lookup",
    workflow=WORKFLOW,
    owner=UNDERWRITING_TEAM,
    version="1.0.0",
    description="Finds the prior policy on file; normalises policy-number spellings, rejects the rest.",
    reads=("policy_number", "intake"),
    input_contract=PolicyLookupInput,
    output_contract=PriorPolicy,
    implementations=(
        Implementation(
            "policy_table", "deterministic", lookup_prior_policy, "lookup in the policy table"
        ),
    ),
    select_input=_policy_lookup_input,
)

RISK = AgentSpec(
    name="risk",
    workflow=WORKFLOW,
    owner=UNDERWRITING_TEAM,
    version="1.0.0",
    description="Scores the risk from the rating table: construction, age, protection, losses, class, state.",
    reads=("intake",),
    input_contract=RiskInput,
    output_contract=RiskAssessment,
    implementations=(
        Implementation(
            "rating_table",
            "deterministic",
            score_risk,
            "rating_table.yaml applied factor by factor",
        ),
    ),
    select_input=_risk_input,
)

COMPLIANCE = AgentSpec(
    name="compliance",
    workflow=WORKFLOW,
    owner=COMPLIANCE_TEAM,
    version="1.0.0",
    description="Screens names against the sanctions list, checks state eligibility and documents.",
    reads=("broker", "intake"),
    input_contract=ComplianceInput,
    output_contract=ComplianceReport,
    implementations=(
        Implementation(
            "screening_rules",
            "deterministic",
            check_compliance,
            "fuzzy sanctions screening, eligibility and document rules",
        ),
    ),
    select_input=_compliance_input,
)

QUOTE = AgentSpec(
    name="quote",
    workflow=WORKFLOW,
    owner=UNDERWRITING_TEAM,
    version="1.0.0",
    description="Prices the policy from the class rate, the requested limit and the risk band.",
    reads=("intake", "risk"),
    input_contract=QuoteInput,
    output_contract=Quote,
    implementations=(
        Implementation(
            "rate_table", "deterministic", price_quote, "limit x class rate x band multiplier"
        ),
    ),
    select_input=_quote_input,
)

AGENTS: tuple[AgentSpec, ...] = (INTAKE, POLICY_LOOKUP, RISK, COMPLIANCE, QUOTE)


def recommendation(results: Mapping[str, Any]) -> Recommendation:
    """What the agents' results point to, for measuring how often reviewers agree: `none` when an
    agent failed, escalated or did not run (there is nothing to agree with); `decline` on a
    sanctions hit, an ineligible state or a severe risk band; else `approve`."""
    for spec in AGENTS:
        result = results.get(spec.writes)
        if not isinstance(result, dict) or result.get("status") in ("failed", "escalated"):
            return "none"
    compliance, risk = ok_value(results, "compliance"), ok_value(results, "risk")
    if compliance.get("sanctions_hits") or compliance.get("state_eligible") is False:
        return "decline"
    if risk.get("band") == "severe":
        return "decline"
    return "approve"
