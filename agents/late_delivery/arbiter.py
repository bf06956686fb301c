"""The arbiter: settles what the debate leaves open, from the board alone, citing posts.

When a consensus ended the debate, the finding is its claim. Otherwise the arbiter weighs the
claims still standing: the one with no standing challenge and the most backers is settled when
no other unchallenged claim has as many backers (a tie is left to the analyst). Its confidence
is the part of the peers backing it, less the part backing its best unchallenged rival. The finding's numbers are the evidence its backers posted
(the explained rise, the change of its own late rate), so every figure in it has a post behind it.
"""

from __future__ import annotations

from typing import Any

from agents.board import open_challenges, standing_claims
from agents.spec import AgentContext
from schemas.late_delivery import ArbiterView, Effect, Finding

EFFECT_MEASURES = ("explained_rise", "overall_change")


def settle(view: ArbiterView, context: AgentContext) -> Finding:
    """Settles the debate on the board: the consensus's claim, else the best-backed claim no
    challenge stands against; says why and cites the posts it rests on."""
    board = [p.model_dump(mode="json") for p in view.board]
    debate = view.debate or {}
    ending = debate.get("ending") or {}
    peers = len(debate.get("peers") or {p["author"] for p in board}) or 1
    claims = standing_claims(board)
    how = f"the debate ended by {ending.get('rule', 'an unknown rule')}: {ending.get('reason')}"
    chosen: tuple[str, str] | None = None
    settled = False
    rival = 0
    if ending.get("settled"):
        chosen = next((k for k, c in claims.items() if ending["settled"] in c["ids"]), None)
        settled = chosen is not None
        rival = max(
            (len(c["backers"]) for k, c in claims.items() if k != chosen and not c["challenges"]),
            default=0,
        )
        reason = f"{how}" + (
            f"; its best unchallenged rival has {rival} backer(s)" if rival else ""
        )
    else:
        clear = sorted(
            ((k, c) for k, c in claims.items() if not c["challenges"]),
            key=lambda kc: (-len(kc[1]["backers"]), kc[1]["ids"][0]),
        )
        if clear:
            chosen = clear[0][0]
            tied = [k for k, c in clear[1:] if len(c["backers"]) == len(clear[0][1]["backers"])]
            settled = not tied
            rival = max((len(c["backers"]) for _, c in clear[1:]), default=0)
            reason = (
                f"{how}; {_named(chosen)} has the most backers "
                f"({len(clear[0][1]['backers'])}, its best unchallenged rival {rival}) and no "
                "standing challenge"
                if settled
                else f"{how}; {_named(chosen)} and {', '.join(_named(k) for k in tied)} are "
                "backed alike and unchallenged: an analyst must choose"
            )
        else:
            contested = ", ".join(_named(k) for k in claims) or "no claim"
            reason = f"{how}; every claim left is challenged ({contested})"
    if chosen is None:
        return _unsettled(board, reason)
    claim = claims[chosen]
    ids = set(claim["ids"])
    evidence = [p for p in board if p["kind"] == "evidence" and p.get("about") in ids]
    supports = [p["id"] for p in board if p["kind"] == "support" and p["target"] in ids]
    survived = [
        p["id"]
        for p in board
        if p["kind"] == "challenge"
        and p["target"] in ids
        and p not in [c for i in ids for c in open_challenges(board, i)]
    ]
    effect = effect_of(evidence, EFFECT_MEASURES)
    if effect is None:
        return _unsettled(board, f"{reason}; but no evidence of its effect is on the board")
    backers = sorted(claim["backers"])
    supporting = [*claim["ids"], *(p["id"] for p in evidence), *supports]
    dimension, value = chosen
    return Finding(
        settled=settled,
        confidence=round(min(1.0, (len(backers) - rival) / peers), 4) if settled else 0.0,
        reason=f"{reason}. {_named(chosen)} is backed by {', '.join(backers)}",
        cites=[*supporting, *survived],
        dimension=dimension,
        value=None if dimension == "none" else value,
        effect=effect,
        value_change=effect_of(evidence, ("late_rate_change",)),
        supporting_posts=supporting,
        challenges_survived=survived,
        backers=backers,
    )


def _named(claim: tuple[str, str]) -> str:
    return f"{claim[0]} = {claim[1]}"


def effect_of(evidence: list[dict[str, Any]], measures: tuple[str, ...]) -> Effect | None:
    chosen = next((p for p in evidence if p["measure"] in measures), None)
    if chosen is None:
        return None
    return Effect(
        measure=chosen["measure"],
        estimate=chosen["estimate"],
        ci_low=chosen["ci_low"],
        ci_high=chosen["ci_high"],
        p_value=chosen.get("p_value"),
    )


def _unsettled(board: list[dict[str, Any]], reason: str) -> Finding:
    """No finding: the overall change (when a peer posted it) for the analyst to start from."""
    overall = [p for p in board if p["kind"] == "evidence" and p["measure"] == "overall_change"]
    return Finding(
        settled=False,
        confidence=0.0,
        reason=reason,
        cites=[p["id"] for p in overall[:1]],
        dimension="none",
        effect=effect_of(overall, ("overall_change",)),
    )
