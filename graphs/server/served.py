"""What LangGraph servers load through `langgraph.json`: every workflow graph, the auth object,
and the custom app whose middleware is the request boundary (`graphs.server.boundary`).

Servers load this file by its path (Aegra without registering it as a module), so it only
re-exports from the `graphs` package, where the definitions live."""

from graphs.contract_review import graph as contract_review
from graphs.server.auth import auth
from graphs.server.boundary import boundary_app
from graphs.support_triage import graph as support_triage
from graphs.underwriting import graph as underwriting

app = boundary_app()

__all__ = ["app", "auth", "contract_review", "support_triage", "underwriting"]
