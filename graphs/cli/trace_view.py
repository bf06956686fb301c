"""One line per trace event, for people reading `baton trace`."""

from __future__ import annotations

from typing import Any

from schemas.trace import EventKind, TraceEvent


def event_summary(event: TraceEvent) -> str:
    """What happened in this event, in one line."""
    data: dict[str, Any] = event.data
    kind = event.kind
    if kind is EventKind.STEP:
        if "status" in data:
            text = f"{data.get('agent') or event.agent} → {data['status']}"
            if data.get("implementation"):
                text += f" via {data['implementation']}"
            if data.get("reason"):
                text += f": {data['reason']}"
            if data.get("fallbacks"):
                text += f" (after {len(data['fallbacks'])} fallback(s))"
        else:
            text = "done"
        if data.get("tokens"):
            text += f" [{data['tokens']['prompt']}+{data['tokens']['completion']} tokens]"
        return f"{text} ({data.get('latency_ms')} ms)"
    if kind is EventKind.ROLLBACK:
        text = f"rolled back to before {data.get('to')} by {data.get('by')} ({data.get('identified_by')})"
        if data.get("reason"):
            text += f": {data['reason']}"
        if data.get("corrected_input") is not None:
            text += f"; corrected input {data['corrected_input']}"
        return text
    if kind is EventKind.STATE_CHANGE:
        text = (
            f"{data.get('by')} ({data.get('identified_by')}) changed the history: {data.get('via')}"
        )
        for name in ("as_node", "checkpoint_id", "goto"):
            if data.get(name):
                text += f", {name.replace('_', ' ')} {data[name]}"
        if data.get("reason"):
            text += f": {data['reason']}"
        if data.get("values") is not None:
            text += f"; values {data['values']}"
        return text
    if kind is EventKind.PRUNE:
        text = f"pruned by {data.get('by')} ({data.get('identified_by')}): intermediate checkpoints dropped"
        return text + (f": {data['reason']}" if data.get("reason") else "")
    if kind is EventKind.POLICY_IN_FORCE:
        return (
            f"policy {str(data.get('version'))[:12]} in force at {data.get('gate')} "
            f"(before: {str(data.get('previous'))[:12] if data.get('previous') else 'none recorded'})"
        )
    if kind is EventKind.ROUTE:
        blocked = "; ".join(f"{k} blocked: {v}" for k, v in (data.get("blocked") or {}).items())
        route = ", ".join(data.get("route") or []) or "finish"
        return f"send to {route}" + (f" ({blocked})" if blocked else "")
    if kind is EventKind.ATTEMPT:
        return (
            f"{data['agent']} tried {data['implementation']} ({data['kind']}): {data['verdict']}"
            + (f" — {data['reason']}" if data.get("reason") else "")
        )
    if kind is EventKind.FALLBACK:
        return f"{data['agent']}: {data['from']} rejected ({data['error_kind']}: {data['reason']}) → {data['to']}"
    if kind is EventKind.CONTRACT_VIOLATION:
        return f"{data['agent']} {data['stage']} breaks {data['contract']}: {'; '.join(data['errors'])}"
    if kind is EventKind.GATE_FIRED:
        packet = data.get("packet") or {}
        rules = ", ".join(r["rule"] for r in packet.get("reasons", []))
        refused = packet.get("refused") or []
        text = f"stopped for review ({rules})"
        return text + (f"; refused: {refused[-1]}" if refused else "")
    if kind is EventKind.GATE_PASSED:
        rules = ", ".join(r["rule"] for r in data.get("fired", [])) or "no rule fired"
        return f"{data['action']} without review ({rules})"
    if kind is EventKind.REVIEW_DECISION:
        waiting = data.get("awaiting_second_review")
        if waiting:
            first = waiting.get("first") or {}
            return (
                f"{first.get('reviewer')} chose {first.get('action')}; a second reviewer must "
                f"confirm it ({waiting.get('why')})"
            )
        decision = data.get("decision") or {}
        agreed = "agreed with" if data.get("agreed") else "overrode"
        text = (
            f"{decision.get('reviewer')} chose {decision.get('action')} ({agreed} the agents' "
            f"{data.get('recommendation')})"
        )
        if data.get("confirmed_by"):
            text += f", confirmed by {data['confirmed_by'].get('reviewer')}"
        if data.get("overruled"):
            overruled = data["overruled"]
            text += f", overruling {overruled.get('reviewer')}'s {overruled.get('action')}"
        return text + ("" if data.get("created", True) else " [already recorded]")
    if kind is EventKind.REVIEW_REFUSED:
        return f"answer refused (sent by {data.get('by') or 'unknown'}): {data.get('reason')}"
    if kind is EventKind.SIDE_EFFECT:
        state = "recorded" if data.get("created") else "already recorded, not repeated"
        return f"{data.get('kind')} {data.get('outcome', '')} {state} (key {data.get('key')})"
    if kind is EventKind.INPUT_OVERRIDE:
        return f"operator corrected the input of {data.get('agent')}"
    if kind is EventKind.VERDICT:
        verdict = data.get("verdict") or {}
        text = f"{data.get('evaluator')} on {data.get('stage')}: {verdict.get('kind')}"
        if verdict.get("kind") == "loop_back":
            text += f" to {verdict.get('to')}: {'; '.join(verdict.get('feedback') or [])}"
        elif verdict.get("kind") == "escalate":
            text += f": {verdict.get('reason')}"
        return text
    if kind is EventKind.LOOP_BACK:
        return f"{data.get('to')} runs again (loop {data.get('loop')} of {data.get('cap')})"
    if kind is EventKind.ESCALATION:
        return f"escalated to {data.get('to')}: {data.get('reason')}"
    if kind is EventKind.BALLOT:
        lines = [
            f"{v.get('voter')}: {v.get('label')} ({v.get('confidence'):.2f})"
            if v.get("status") == "counted"
            else f"{v.get('voter')}: {v.get('status')}"
            + (f" ({v.get('reason')})" if v.get("reason") else "")
            for v in data.get("votes") or []
        ]
        return f"ballot {data.get('outcome')}: {data.get('reason')} | " + "; ".join(lines)
    if kind is EventKind.POST:
        return f"round {data.get('round')} · {post_line(data)}"
    if kind is EventKind.TURN_FAILED:
        return (
            f"round {data.get('round')} · {data.get('peer')}'s turn refused: {data.get('reason')}"
        )
    if kind is EventKind.DEBATE_ENDED:
        text = f"debate ended after {data.get('rounds')} round(s) by {data.get('rule')}: {data.get('reason')}"
        return text + (f" (settled {data['settled']})" if data.get("settled") else "")
    if kind is EventKind.RULING and "cites" in data:
        return (
            f"arbiter: {data.get('verdict')} (confidence {data.get('confidence')}): "
            f"{data.get('reason')} [cites {', '.join(data.get('cites') or []) or 'nothing'}]"
        )
    if kind is EventKind.RULING:
        return (
            f"arbiter {data.get('verdict')}: {data.get('label')} "
            f"(confidence {data.get('confidence')}, threshold {data.get('threshold')}): "
            f"{data.get('reason')}"
        )
    if kind is EventKind.QUEUED:
        return f"queued for a person at {data.get('gate')}: {'; '.join(data.get('reasons') or [])}"
    if kind is EventKind.STEP_ERROR:
        return f"error: {data.get('error')}"
    return str(data)[:200]


def post_line(post: dict[str, Any]) -> str:
    """One blackboard post, in words: its id, author and kind, and what it says."""
    kind = post.get("kind")
    head = f"{post.get('id')} {post.get('author')} {kind}"
    if kind == "hypothesis":
        return f"{head}: {post.get('dimension')} = {post.get('value')}: {post.get('claim')}"
    if kind == "evidence":
        about = f" about {post['about']}" if post.get("about") else ""
        p_value = post.get("p_value")
        test = f"{post.get('test')}" + (f", p={p_value:.3g}" if p_value is not None else "")
        return (
            f"{head}{about}: {post.get('measure')} {post.get('estimate'):+.4g} "
            f"[{post.get('ci_low'):+.4g}, {post.get('ci_high'):+.4g}] (n={post.get('n')}; "
            f"{test}): {post.get('summary')}"
        )
    if kind == "request":
        return f"{head} to {post.get('to')}: {post.get('ask')}"
    return f"{head} of {post.get('target')}: {post.get('reason')}"


def debate_rounds(events: list[TraceEvent]) -> list[tuple[int, list[str]]]:
    """A mesh thread's debate, round by round: each round's posts and refused turns, in words
    (empty for a thread without a debate)."""
    rounds: dict[int, list[str]] = {}
    for event in events:
        data = event.data
        if event.kind is EventKind.POST:
            rounds.setdefault(int(data.get("round") or 0), []).append(post_line(data))
        elif event.kind is EventKind.TURN_FAILED:
            rounds.setdefault(int(data.get("round") or 0), []).append(
                f"{data.get('peer')}'s turn refused: {data.get('reason')}"
            )
        elif event.kind is EventKind.DEBATE_ENDED:
            last = int(data.get("rounds") or 1) - 1
            rounds.setdefault(last, []).append(
                f"— the debate ended ({data.get('rule')}): {data.get('reason')}"
            )
    return sorted(rounds.items())
