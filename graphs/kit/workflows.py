"""The workflows Baton ships: name -> how to build it and what its input is."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from langgraph.graph import StateGraph
from pydantic import BaseModel

from graphs.kit.errors import UnknownWorkflow


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
    rollback: Literal["reroute", "replay"] = "reroute"
    """How `baton rollback` re-runs an agent: `reroute` clears its result where its supervisor
    will send it work again; `replay` forks from the checkpoint it last ran from (graphs whose
    nodes follow by static edges and commands: a chain, a vote)."""
    trainer: str | None = None
    """Dotted path of `train(path=None, *, force=False) -> dict` for a workflow whose agents
    learn from data (`baton train`; `baton run` calls it first, and it returns at once when the
    models for the configured data are cached)."""

    summary: str | None = None
    """Dotted path of `summary(state) -> {label: text}`: what `baton status` shows of a case."""

    def summarise(self, state: Any) -> dict[str, str]:
        """What status shows of a case in this state (nothing when the workflow declares none)."""
        if self.summary is None:
            return {}
        module, _, name = self.summary.rpartition(".")
        summary: Any = getattr(importlib.import_module(module), name)
        shown: dict[str, str] = summary(state)
        return shown

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

    def train(self, path: Path | None = None, *, force: bool = False) -> dict[str, Any] | None:
        """Train the workflow's models (None when it has nothing to train); ValueError naming
        the file when the training data cannot be used."""
        if self.trainer is None:
            return None
        module, _, name = self.trainer.rpartition(".")
        train: Any = getattr(importlib.import_module(module), name)
        report: dict[str, Any] = train(path, force=force)
        return report

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
        summary="graphs.kit.summaries.underwriting",
    ),
    "contract_review": WorkflowEntry(
        "contract_review",
        "graphs.contract_review",
        "build_contract_review",
        "schemas.contract_review.ContractDocument",
        subject_field="contract_id",
        document_reader="agents.contract_review.documents.contract_input",
        rollback="replay",
        summary="graphs.kit.summaries.contract_review",
    ),
    "support_triage": WorkflowEntry(
        "support_triage",
        "graphs.support_triage",
        "build_support_triage",
        "schemas.support_triage.SupportTicket",
        subject_field="ticket_id",
        rollback="replay",
        trainer="agents.support_triage.training.train",
        summary="graphs.kit.summaries.support_triage",
    ),
}


def get_workflow(name: str) -> WorkflowEntry:
    """A workflow by name; UnknownWorkflow listing the known ones when it is unknown."""
    try:
        return WORKFLOWS[name]
    except KeyError:
        known = ", ".join(WORKFLOWS)
        raise UnknownWorkflow(f"unknown workflow {name!r} (workflows: {known})") from None
