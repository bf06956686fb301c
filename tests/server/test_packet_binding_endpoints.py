"""A reviewer's decision through `langgraph_sdk` names the packet it answers: when the case
changed since (an operator's rollback with a corrected input), the server refuses it (409) with
the new packet's hash, records nothing, and the decision on the new packet completes the run."""

from __future__ import annotations

import httpx
import pytest

from checkpoints.ledger import SideEffectLedger
from graphs.kit.review_gate import REVIEW_DECISION_KIND
from graphs.kit.runtime import open_workflow
from tests.integration.test_packet_binding import RISKIER
from tests.server.conftest import Server
from tests.server.test_workflow_endpoints import _as, _to_gate

pytestmark = pytest.mark.slow


def _shown(server: Server, thread: str) -> str:
    state = _as(server, "rita").threads.get_state(thread)
    packet_hash: str = state["interrupts"][0]["value"]["packet_hash"]
    return packet_hash


def test_a_stale_packet_is_refused_through_the_sdk(server: Server) -> None:
    thread = _to_gate(server)
    seen = _shown(server, thread)
    with open_workflow("underwriting", server.database_url) as flow:
        flow.rollback(
            thread, "risk", RISKIER, by="otto", identified_by="test", reason="corrected input"
        )
    now = _shown(server, thread)
    assert now != seen
    reviewer = server.client("rita")
    decision = {"action": "reject", "reviewer": "rita", "packet": seen}
    with pytest.raises(httpx.HTTPStatusError) as raised:  # runs.wait raises httpx's own
        reviewer.runs.wait(thread, "underwriting", command={"resume": decision})
    assert raised.value.response.status_code == 409
    refusal = raised.value.response.json()
    assert refusal["field"] == "command.resume.packet"
    assert refusal["detail"].startswith("command.resume.packet: stale packet")
    assert seen[:12] in refusal["detail"] and now[:12] in refusal["detail"]
    assert SideEffectLedger(server.database_url).for_thread(thread, REVIEW_DECISION_KIND) == []

    final = reviewer.runs.wait(
        thread, "underwriting", command={"resume": {**decision, "packet": now[:12]}}
    )
    assert isinstance(final, dict) and final["decision"]["outcome"] == "declined"
    [record] = SideEffectLedger(server.database_url).for_thread(thread, REVIEW_DECISION_KIND)
    assert record["payload"]["decision"]["packet"] == now
