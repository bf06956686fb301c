"""The workflows Baton ships: name -> how to build it and what its input is."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    subject_field: str = "submission_id"
    """The input field that names what a thread is about (shown by `baton status`)."""
    document_reader: str | None = None
    """Dotted path of a function making the input from a document file (besides JSON input)."""

    def builder(self) -> StateGraph:
        """A new uncompiled graph, so settings read when it is built (model timeouts, retries) are
        the current ones."""
        builder: StateGraph = getattr(importlib.import_module(self.module), self.build)()
        return builder

    def read_document(self, path: Path) -> dict[str, Any]:
        """The input made from a document file; ValueError when this workflow reads none, or
        when the file cannot be read (the message names it)."""
        if self.document_reader is None:
            raise ValueError(
                f"{self.name} takes a JSON input file, not {path.suffix or path.name!r}"
            )
        module, _, name = self.document_reader.rpartition(".")
        read: Any = getattr(importlib.import_module(module), name)
        document: dict[str, Any] = read(path)
        return document

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
    "contract_review": WorkflowEntry(
        "contract_review",
        "graphs.contract_review",
        "build_contract_review",
        "schemas.contract_review.ContractDocument",
        subject_field="contract_id",
        document_reader="agents.contract_review.documents.contract_input",
    ),
}


def get_workflow(name: str) -> WorkflowEntry:
    """A workflow by name; UnknownWorkflow listing the known ones when it is unknown."""
    try:
        return WORKFLOWS[name]
    except KeyError:
        known = ", ".join(WORKFLOWS)
        raise UnknownWorkflow(f"unknown workflow {name!r} (workflows: {known})") from None
