"""A workflow's one declaration: everything Baton knows of a workflow derives from it.

Each workflow module at the top level of `graphs/` exports one `WORKFLOW = Workflow(...)`. The
registry (`graphs.kit.workflows`) finds the modules by their place, the command line, the server
entry points (`graphs/server/served.py`), the handoff map, the agent list and the model roles are
read from the declarations, and a test checks `langgraph.json` against them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel

from agents.spec import AgentSpec
from graphs.kit.inputs import InputRejected

Summary = Callable[[Mapping[str, Any]], dict[str, str]]
"""What `baton status` shows of a case in this state: `{label: text}`."""


@dataclass(frozen=True)
class Workflow:
    """A governed workflow: its name, its input, its agents, how to build its graph, and what the
    tools around it need to know (how rollback re-runs an agent, what status shows, ...)."""

    name: str
    input_contract: type[BaseModel]
    agents: Sequence[AgentSpec]
    build: Callable[[], StateGraph[Any, Any, Any, Any]]
    """Builds the uncompiled graph (a new one each call, so settings read while building, such as
    model timeouts and retries, are the current ones)."""
    description: str = ""
    """One line on what the workflow does (default: its module's docstring, first line)."""
    subject_field: str = ""
    """The input field that names what a thread is about, shown by `baton status` (default: the
    input contract's first field)."""
    rollback: Literal["reroute", "replay"] = "reroute"
    """How `baton rollback` re-runs an agent: `reroute` clears its result where its supervisor
    will send it work again; `replay` forks from the checkpoint it last ran from (graphs whose
    nodes follow by static edges and commands: a chain, a vote)."""
    document_reader: Callable[[Path], dict[str, Any]] | None = None
    """Makes the input from a document file (besides JSON input); ValueError naming the file."""
    trainer: Callable[..., dict[str, Any]] | None = None
    """`train(path=None, *, force=False) -> report` for a workflow whose agents learn from data
    (`baton train`; `baton run` calls it first, and it returns at once when its models for the
    configured data are cached)."""
    summary: Summary | None = None
    state_writers: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """State keys written by nodes that are not agents (the gate, the decision, a pattern's
    bookkeeping): key -> (writer, contract), for the handoff map."""
    file_fields: Mapping[str, Callable[[Path], Any]] = field(default_factory=dict)
    """Input fields that may name a file instead of holding its content (a CSV of rows): the
    command line and `WorkflowRun.start` read a path given there, relative to the input file
    (or the working directory), into the field. The reader raises ValueError naming the file."""
    amendment_choices: Mapping[str, Callable[[], Sequence[str]]] = field(default_factory=dict)
    """For an amendable field whose contract is open text but whose values are a known list (a
    support ticket's intent: the routing file's intents), that list, for forms to offer."""
    departments: Sequence[Any] = ()
    """A hierarchy's departments (`graphs.patterns.hierarchy.Department`): their specialists
    belong to the workflow too (`baton rollback --to` one of them; the handoff map's levels)."""

    def __post_init__(self) -> None:
        if not self.description:
            doc = sys.modules[self.build.__module__].__doc__ or self.name
            object.__setattr__(self, "description", doc.strip().splitlines()[0])
        if not self.subject_field:
            object.__setattr__(self, "subject_field", next(iter(self.input_contract.model_fields)))
        if self.subject_field not in self.input_contract.model_fields:
            raise ValueError(
                f"workflow {self.name!r}: subject_field {self.subject_field!r} is not a field of "
                f"{self.input_contract.__name__}"
            )

    def builder(self) -> StateGraph[Any, Any, Any, Any]:
        """A new uncompiled graph."""
        return self.build()

    def input_model(self) -> type[BaseModel]:
        return self.input_contract

    @cached_property
    def graph(self) -> CompiledStateGraph[Any, Any, Any, Any]:
        """The graph compiled without a checkpointer, for a LangGraph server (which brings its
        own) and for drawing. Its model-backed nodes are async: run it with `ainvoke`/`astream`,
        or use `graphs.kit.runtime.open_workflow`."""
        return self.build().compile(name=self.name)

    def summarise(self, state: Mapping[str, Any]) -> dict[str, str]:
        """What status shows of a case in this state (nothing when the workflow declares none)."""
        return self.summary(state) if self.summary is not None else {}

    def read_document(self, path: Path) -> dict[str, Any]:
        """The input made from a document file; ValueError when this workflow reads none, or
        when the file cannot be read (the message names it)."""
        if self.document_reader is None:
            raise ValueError(
                f"{self.name} takes a JSON input file, not {path.suffix or path.name!r}"
            )
        return self.document_reader(path)

    def read_files(self, submission: dict[str, Any], base: Path) -> dict[str, Any]:
        """`submission` with each of `file_fields` that names a file (a string) read from it,
        the path taken relative to `base`. InputRejected naming the field and the file."""
        read = dict(submission)
        for name, reader in self.file_fields.items():
            given = read.get(name)
            if not isinstance(given, str):
                continue
            path = base / Path(given).expanduser()
            try:
                read[name] = reader(path)
            except ValueError as error:
                raise InputRejected(f"{name}: {error}", name) from None
        return read

    def train(self, path: Path | None = None, *, force: bool = False) -> dict[str, Any] | None:
        """Train the workflow's models (None when it has nothing to train); ValueError naming
        the file when the training data cannot be used."""
        return self.trainer(path, force=force) if self.trainer is not None else None

    def specialists(self) -> list[AgentSpec]:
        """The agents inside the departments of a hierarchy (none for another pattern)."""
        return [spec for department in self.departments for spec in department.agents]

    def model_roles(self) -> set[str]:
        """The model roles this workflow's agents declare."""
        return {
            impl.model_role
            for spec in (*self.agents, *self.specialists())
            for impl in spec.implementations
            if impl.model_role is not None
        }
