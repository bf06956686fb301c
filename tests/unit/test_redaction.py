"""Redaction of sensitive fields in what tracers record."""

from __future__ import annotations

from collections import OrderedDict

from pydantic import BaseModel

from graphs.kit.redaction import REDACTED, redact, registered_sensitive_fields
from graphs.kit.workflows import all_workflows
from schemas.sensitive import sensitive_fields

KEYS = frozenset({"fein", "content"})


class Applicant(BaseModel):
    name: str
    fein: str


def test_sensitive_values_are_masked_at_any_depth() -> None:
    value = {
        "facts": {"name": "Harbor Light", "fein": "01-2345678"},
        "documents": [{"kind": "application", "content": "FEIN: 01-2345678"}],
        "pairs": ({"fein": 12},),
    }

    hidden = redact(value, KEYS)

    assert hidden["facts"] == {"name": "Harbor Light", "fein": f"{REDACTED} (10 chars)"}
    assert hidden["documents"][0]["content"] == f"{REDACTED} (16 chars)"
    assert hidden["pairs"][0]["fein"] == REDACTED
    assert value["facts"]["fein"] == "01-2345678", "the original is never changed"


def test_dict_subclasses_and_models_are_redacted_too() -> None:
    hidden = redact(OrderedDict(applicant=Applicant(name="Harbor Light", fein="01-2345678")), KEYS)

    assert hidden == {"applicant": {"name": "Harbor Light", "fein": f"{REDACTED} (10 chars)"}}


def test_values_without_sensitive_fields_are_returned_as_they_are() -> None:
    value = {"facts": {"name": "Harbor Light", "years": 12}, "fein": None, "tags": ["a", 1]}

    assert redact(value, KEYS) is value


def test_only_the_changed_branch_is_copied() -> None:
    untouched = {"years": 12}
    value = {"facts": {"fein": "01"}, "other": untouched}

    hidden = redact(value, KEYS)

    assert hidden is not value
    assert hidden["other"] is untouched


def test_a_long_list_is_traced_as_its_length_and_first_items() -> None:
    from graphs.kit.redaction import MAX_TRACED_ITEMS, bounded

    rows = [{"shipment_id": f"SH-{i}", "supplier": "Acme"} for i in range(MAX_TRACED_ITEMS + 1)]
    traced = bounded({"investigation_id": "LD-1", "shipments": rows, "board": rows[:5]})
    assert traced["shipments"] == {
        "traced": f"the first 3 of {MAX_TRACED_ITEMS + 1} items",
        "items": MAX_TRACED_ITEMS + 1,
        "head": rows[:3],
    }
    assert traced["board"] == rows[:5] and traced["investigation_id"] == "LD-1"
    short = {"lines": rows[:MAX_TRACED_ITEMS]}
    assert bounded(short) is short, "nothing is copied when nothing is bounded"


def test_every_workflows_sensitive_fields_are_among_the_registered_ones() -> None:
    """The registered set is read from the `schemas` package (cheaply, without importing the
    workflows): every registered workflow's contracts, specialists' too, must be covered."""
    for workflow in all_workflows():
        specs = (*workflow.agents, *workflow.specialists())
        contracts = [m for spec in specs for m in (spec.input_contract, spec.output_contract)]
        declared = sensitive_fields(workflow.input_contract, *contracts)
        assert declared <= registered_sensitive_fields(), (workflow.name, declared)
    assert {"fein", "content", "bank_account", "customer_id"} <= registered_sensitive_fields()
