"""What `baton status` shows of a support triage case: the result a business reads, a line per fact
(`label → text`), taken from the agents' results; sensitive fields are not shown, and a result
that is not `ok` is shown with its status and reason."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.spec import value_or_why


def status_lines(state: Mapping[str, Any]) -> dict[str, str]:
    route, why = value_or_why(state, "routing")
    if route is None:
        return {"route": f"({why})"}
    confidence = route.get("confidence")
    shown = f", confidence {confidence:.2f}" if isinstance(confidence, float) else ""
    return {
        "intent": str(route["intent"]),
        "route": f"{route['team']} → {route['queue']} (decided by {route['decided_by']}{shown})",
    }
