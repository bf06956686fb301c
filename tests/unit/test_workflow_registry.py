"""The workflow registry: one declaration per workflow, and everything derived from it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from graphs.kit.declaration import Workflow
from graphs.kit.errors import UnknownWorkflow
from graphs.kit.workflows import declared_model_roles, get_workflow, workflow_names
from tests.conftest import ROOT


def test_every_top_level_module_of_graphs_is_a_declared_workflow() -> None:
    assert workflow_names() == [
        "contract_review",
        "invoice_review",
        "late_delivery",
        "supply_chain",
        "support_triage",
        "underwriting",
    ]
    for name in workflow_names():
        declared = get_workflow(name)
        assert isinstance(declared, Workflow) and declared.name == name
        assert declared.agents, f"{name} declares no agents"


def test_langgraph_json_serves_exactly_the_declared_workflows() -> None:
    config = json.loads((ROOT / "langgraph.json").read_text(encoding="utf-8"))
    assert config["graphs"] == {
        name: f"./graphs/server/served.py:{name}" for name in workflow_names()
    }


def test_an_unknown_workflow_names_the_known_ones() -> None:
    with pytest.raises(
        UnknownWorkflow,
        match="workflows: contract_review, invoice_review, late_delivery, supply_chain, support_triage",
    ):
        get_workflow("nope")


def test_model_roles_are_the_ones_the_specs_declare() -> None:
    assert declared_model_roles() == {
        "supervisor",
        "review_summary",
        "intake",
        "contract_analysis",
        "support_triage",
        "invoice_intake",
        "late_delivery",
    }


def test_listing_workflows_loads_no_workflow() -> None:
    """The command line lists workflows without importing their agents, data or models."""
    probe = (
        "import sys; from graphs.kit.workflows import workflow_names; workflow_names(); "
        "print(sorted(m for m in sys.modules if m.startswith(('agents.underwriting', "
        "'agents.contract_review', 'agents.support_triage', 'graphs.underwriting', 'sklearn'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    assert loaded == "[]"
