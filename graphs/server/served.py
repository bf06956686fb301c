"""What LangGraph servers load through `langgraph.json`: every workflow's graph (one attribute per
workflow, named as it is, compiled from its declaration), the auth object, and the custom app
whose middleware is the request boundary (`graphs.server.boundary`).

Servers load this file by its path (Aegra without registering it as a module), so it only
re-exports from the `graphs` package, where the definitions live. `langgraph.json` names one
graph per workflow; a test checks it against the registry."""

from typing import Any

from graphs.kit.tracing import trace_all_runs
from graphs.kit.workflows import all_workflows
from graphs.server.auth import auth
from graphs.server.boundary import boundary_app

trace_all_runs()
app = boundary_app()
graphs: dict[str, Any] = {workflow.name: workflow.graph for workflow in all_workflows()}
globals().update(graphs)

__all__ = ["app", "auth", *graphs]
