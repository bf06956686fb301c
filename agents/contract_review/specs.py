"""The contract review stages as agent specs: owners, contracts and implementation chains.

Each stage that reads the contract has an LLM implementation (tried first when a model is
configured for `contract_analysis`) and a deterministic one that does the job alone offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.contract_review.clauses import analyse_clauses
from agents.contract_review.date_rules import states_an_end
from agents.contract_review.extraction import extract_facts
from agents.contract_review.llm_stages import ROLE as ROLE
from agents.contract_review.llm_stages import (
    analyse_clauses_with_model,
    extract_facts_with_model,
    summarise_with_model,
)
from agents.contract_review.risk import score_contract
from agents.contract_review.summary import summarise
from agents.spec import AgentSpec, Implementation, Owner
from schemas.contract_review import (
    ClauseReport,
    ContractFacts,
    ContractRisk,
    ContractSummary,
    RiskInput,
    StageInput,
    SummaryInput,
)

WORKFLOW = "contract_review"
LEGAL_OPS = Owner(team="Legal Operations", contact="legal-ops@baton.example")
CONTRACT_DATA = Owner(team="Contract Data", contact="contract-data@baton.example")


def ok_value(state: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    """The value of an `ok` result under `key`, or None (the input contract then names it)."""
    result = state.get(key)
    if isinstance(result, dict) and result.get("status") == "ok":
        value = result.get("value")
        return dict(value) if isinstance(value, dict) else None
    return None


def _feedback(state: Mapping[str, Any], stage: str) -> list[str]:
    return list((state.get("feedback") or {}).get(stage) or [])


def _reader_input(stage: str) -> Any:
    def select(state: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "contract_id": state.get("contract_id"),
            "content": state.get("content"),
            "feedback": _feedback(state, stage),
        }

    return select


def _risk_input(state: Mapping[str, Any]) -> dict[str, Any]:
    clauses, facts = ok_value(state, "clause_analysis"), ok_value(state, "extraction") or {}
    end = facts.get("expiration_date")
    return {
        "present": [f["category"] for f in (clauses or {}).get("findings", []) if f["present"]]
        if clauses is not None
        else None,
        "expiration_stated": end is not None
        and states_an_end(end.get("kind", "stated"), end.get("on"), end.get("value", "")),
    }


def _summary_input(state: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "contract_id": state.get("contract_id"),
        "title": state.get("title"),
        "content": state.get("content"),
        "facts": ok_value(state, "extraction"),
        "clauses": ok_value(state, "clause_analysis"),
        "risk": ok_value(state, "risk"),
        "feedback": _feedback(state, "summary"),
    }


EXTRACTION = AgentSpec(
    name="extraction",
    workflow=WORKFLOW,
    owner=CONTRACT_DATA,
    version="1.0.0",
    description="Reads the parties, dates, renewal, notice and governing law, each with its span.",
    reads=("contract_id", "content", "feedback"),
    input_contract=StageInput,
    output_contract=ContractFacts,
    implementations=(
        Implementation(
            "llm_reader",
            "llm",
            extract_facts_with_model,
            "a chat model reads the key terms, every value quoted and located in the text",
            model_role=ROLE,
        ),
        Implementation(
            "term_rules",
            "deterministic",
            extract_facts,
            "preamble, date and governing-law patterns over the text",
        ),
    ),
    select_input=_reader_input("extraction"),
)

CLAUSE_ANALYSIS = AgentSpec(
    name="clause_analysis",
    workflow=WORKFLOW,
    owner=CONTRACT_DATA,
    version="1.1.0",
    description="Finds which of CUAD's 41 clause categories the contract has, and where.",
    reads=("contract_id", "content", "feedback"),
    input_contract=StageInput,
    output_contract=ClauseReport,
    implementations=(
        Implementation(
            "llm_reader",
            "llm",
            analyse_clauses_with_model,
            "a chat model marks each category over chunks of the text, quotes located",
            model_role=ROLE,
        ),
        Implementation(
            "clause_rules",
            "deterministic",
            analyse_clauses,
            "sentence-level patterns per category, with a learned sentence model where "
            "data/contract_review/clause_model.yaml gives it a say",
        ),
    ),
    select_input=_reader_input("clause_analysis"),
)

RISK = AgentSpec(
    name="risk",
    workflow=WORKFLOW,
    owner=LEGAL_OPS,
    version="1.0.0",
    description="Scores the clauses found with the legal owner's risk policy file.",
    reads=("clause_analysis", "extraction"),
    input_contract=RiskInput,
    output_contract=ContractRisk,
    implementations=(
        Implementation(
            "risk_policy",
            "deterministic",
            score_contract,
            "weights and bands from policies/contract_risk.yaml",
        ),
    ),
    select_input=_risk_input,
)

SUMMARY = AgentSpec(
    name="summary",
    workflow=WORKFLOW,
    owner=LEGAL_OPS,
    version="1.0.0",
    description="Writes the reviewer's summary, every point citing the contract.",
    reads=("contract_id", "title", "content", "extraction", "clause_analysis", "risk", "feedback"),
    input_contract=SummaryInput,
    output_contract=ContractSummary,
    implementations=(
        Implementation(
            "llm_writer",
            "llm",
            summarise_with_model,
            "a chat model summarises, citing quotes located in the text",
            model_role=ROLE,
        ),
        Implementation(
            "summary_template",
            "deterministic",
            summarise,
            "parties, term, law, each risk rule and the notable clauses, with their spans",
        ),
    ),
    select_input=_summary_input,
)

AGENTS = (EXTRACTION, CLAUSE_ANALYSIS, RISK, SUMMARY)
