"""The workflows Baton ships: name -> how to build it and what its input is."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from langgraph.graph import StateGraph
from pydantic import BaseModel

from graphs.errors import UnknownWorkflow


@dataclass(frozen=True)
class WorkflowEntry:
    name: str
    module: str
    """Module exporting `graph` (for the LangGraph server) and the builder function."""
    build: str
    """Name of the module's function that builds the uncompiled graph."""
    input_contract: str
    """Dotted path of the input contract model."""

    def builder(self) -> StateGraph:
        """A new uncompiled graph, so settings read when it is built (model timeouts, retries) are
        the current ones."""
        builder: StateGraph = getattr(importlib.import_module(self.module), self.build)()
        return builder

    def input_model(self) -> type[BaseModel]:
        module, _, name = self.input_contract.rpartition(".")
        model: type[BaseModel] = getattr(importlib.import_module(module), name)
        return model


WORKFLOWS: dict[str, WorkflowEntry] = {
    "underwriting": WorkflowEntry(
        "underwriting",
        "graphs.underwriting",
        "build_underwriting",
        "schemas.underwriting.UnderwritingSubmission",
    ),
}


def get_workflow(name: str) -> WorkflowEntry:
    """A workflow by name; UnknownWorkflow listing the known ones when it is unknown."""
    try:
        return WORKFLOWS[name]
    except KeyError:
        known = ", ".join(WORKFLOWS)
        raise UnknownWorkflow(f"unknown workflow {name!r} (workflows: {known})") from None
