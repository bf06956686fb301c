"""The invoice review specialists: intake, the three-way match, duplicate detection, vendor
checks and the anomaly assessment."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from agents.invoice_review.assessment import assess_anomalies
from agents.invoice_review.duplicates import DuplicateInput, find_duplicates
from agents.invoice_review.intake import facts_of, read_invoice
from agents.invoice_review.llm_reader import read_invoice_with_model
from agents.invoice_review.matching import MatchingInput, match_invoice
from agents.invoice_review.vendors import VendorInput, check_vendor
from agents.spec import AgentSpec, Implementation, Owner, rules_agent
from schemas.invoice_review import AssessmentInput, InvoiceFacts, InvoiceSubmission

WORKFLOW = "invoice_review"
AP_OPERATIONS = Owner(team="Accounts Payable", contact="ap-operations@baton.example")
AP_CONTROLS = Owner(team="AP Controls", contact="ap-controls@baton.example")
VENDOR_MASTER = Owner(team="Vendor Master Data", contact="vendor-master@baton.example")


def _from_intake(contract: type[BaseModel]) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """A check's input: the fields of its contract, from the intake facts."""

    def select(state: Mapping[str, Any]) -> dict[str, Any]:
        facts = facts_of(state)
        return {name: facts.get(name) for name in contract.model_fields if name in facts}

    return select


def _all_checks(state: Mapping[str, Any]) -> dict[str, Any]:
    return {key: (state.get(key) or {}).get("value") for key in AssessmentInput.model_fields}


INTAKE: AgentSpec[InvoiceSubmission, InvoiceFacts] = AgentSpec(
    name="intake",
    workflow=WORKFLOW,
    owner=AP_OPERATIONS,
    version="1.0.0",
    description="Reads the invoice (its fields, or its document: by labels and line table, else by "
    "a model quoting every value) and checks that the lines and the tax make the total.",
    reads=tuple(InvoiceSubmission.model_fields),
    input_contract=InvoiceSubmission,
    output_contract=InvoiceFacts,
    implementations=(
        Implementation(
            "label_reader",
            "deterministic",
            read_invoice,
            "fields, or a document's labels and line table",
            runs_inline=True,
        ),
        Implementation(
            "llm_reader",
            "llm",
            read_invoice_with_model,
            "a chat model reads a document the labels do not, every value quoted and checked",
            model_role="invoice_intake",
        ),
    ),
)
MATCHING = rules_agent(
    match_invoice,
    "matching",
    WORKFLOW,
    AP_OPERATIONS,
    reads=("intake",),
    select_input=_from_intake(MatchingInput),
    does_io=True,
)
DUPLICATES = rules_agent(
    find_duplicates,
    "duplicates",
    WORKFLOW,
    AP_CONTROLS,
    reads=("intake",),
    select_input=_from_intake(DuplicateInput),
    does_io=True,
)
VENDOR_CHECK = rules_agent(
    check_vendor,
    "vendor_check",
    WORKFLOW,
    VENDOR_MASTER,
    reads=("intake",),
    select_input=_from_intake(VendorInput),
    does_io=True,
)
ASSESSMENT = rules_agent(
    assess_anomalies,
    "assessment",
    WORKFLOW,
    AP_CONTROLS,
    reads=tuple(AssessmentInput.model_fields),
    select_input=_all_checks,
)
AGENTS: tuple[AgentSpec[Any, Any], ...] = (INTAKE, MATCHING, DUPLICATES, VENDOR_CHECK, ASSESSMENT)
