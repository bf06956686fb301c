"""The peers: each owns a family of hypotheses (one shipment dimension, or data quality) and
debates on the board with the statistics of `agents.late_delivery.stats`.

Round 0, a peer tests its family: when one value explains a significant part of the rise (at
least `min_share`), it posts the hypothesis with its evidence (the explained rise, and the change
of the value's own late rate); otherwise evidence that no single value of its family does.

Later rounds, a peer
- reviews each hypothesis of another family it has not reviewed: the hypothesis's effect,
  controlled for the reviewer's dimension (stratified). An effect that keeps less than
  `vanish_ratio` of itself is challenged (the reviewer's dimension explains it, naming its own
  best value when it has one); one that holds and stays significant is supported;
- answers each standing challenge of its own hypothesis: it checks the challenger's stratified
  comparison itself, and concedes when it holds, or challenges the challenge with its numbers;
- when no claim stands at all, proposes that there is no single cause (`none`): the rise is
  broad, or there is no significant rise. Peers posting the same claim back it together.

A peer never posts the same thing twice, so a debate of these peers converges; the loop detector
is for peers that do not (a model's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agents.board import open_challenges, standing_claims, withdrawn
from agents.late_delivery.settings import InvestigationSettings, investigation_settings
from agents.late_delivery.stats import (
    Estimate,
    Frame,
    as_points,
    candidates,
    explained,
    frame_of,
    mask_of,
    overall,
    stratified,
)
from agents.spec import AgentContext
from schemas.blackboard import Turn
from schemas.late_delivery import InvestigationView

FAMILIES = ("supplier", "carrier", "mode", "origin_country", "destination", "data_quality")
"""Each peer's family, by the peer's name (a peer is named after its family)."""
NONE = "none"


def peer_turn(family: str) -> Callable[[InvestigationView, AgentContext], Turn]:
    """The turn of the peer owning `family`."""

    def turn(view: InvestigationView, context: AgentContext) -> Turn:
        settings = investigation_settings(context.settings)
        return Turn.model_validate({"posts": posts_of(family, view, settings)})

    turn.__doc__ = f"Tests the {family.replace('_', ' ')} hypotheses and debates the others'."
    return turn


class _Turn:
    """One peer's posts of a round; each post's id is known when it is made."""

    def __init__(self, me: str, round_: int) -> None:
        self.me, self.round, self.posts = me, round_, list[dict[str, Any]]()

    def add(self, kind: str, **fields: Any) -> str:
        self.posts.append({"kind": kind, "author": self.me, "round": self.round, **fields})
        return f"r{self.round}.{self.me}.{len(self.posts) - 1}"

    def evidence(
        self, about: str | None, measure: str, test: str, e: Estimate, n: int, summary: str
    ) -> str:
        low, high = e.ci
        return self.add(
            "evidence",
            about=about,
            measure=measure,
            test=test,
            estimate=round(e.estimate, 5),
            ci_low=round(low, 5),
            ci_high=round(high, 5),
            p_value=min(1.0, max(0.0, float(f"{e.p_value:.4g}"))),
            n=n,
            summary=summary,
        )


def posts_of(
    family: str, view: InvestigationView, settings: InvestigationSettings
) -> list[dict[str, Any]]:
    """The posts of the peer owning `family` in this round, given the board."""
    frame = frame_of(view)
    board = [p.model_dump(mode="json") for p in view.board]
    turn = _Turn(family, view.mesh_round)
    if view.mesh_round == 0:
        _propose(turn, family, frame, settings)
        return turn.posts
    _answer_challenges(turn, family, frame, board, settings)
    _review(turn, family, frame, board, settings)
    if not standing_claims(board) and not _posted_none(board, family):
        _propose_none(turn, family, frame, settings)
    return turn.posts


def _label(family: str) -> str:
    return family.replace("_", " ")


def _propose(turn: _Turn, family: str, frame: Frame, settings: InvestigationSettings) -> None:
    found = candidates(
        frame,
        family,
        alpha=settings.alpha,
        min_share=settings.min_share,
        min_rows=settings.min_rows,
    )
    if not found:
        return
    best = found[0]
    e, c = best.result.explained, best.result.cell
    if not best.significant:
        turn.evidence(
            None,
            "largest_explained_rise",
            f"delta-method z-test of the rate and volume effects ({len(found)} values, "
            f"Bonferroni limit p<{best.p_limit:.2g})",
            e,
            c.np_,
            f"no single {_label(family)} explains {settings.min_share:.0%} of the rise: the most, "
            f"{best.value}, explains {as_points(e.estimate)} ({best.share:.0%} of it)",
        )
        return
    own = best.result.own
    hypothesis = turn.add(
        "hypothesis",
        dimension=family,
        value=best.value,
        claim=(
            f"{_label(family)} {best.value} explains {best.share:.0%} of the rise in late "
            f"deliveries ({as_points(e.estimate)} of the overall late rate)"
            if overall(frame).estimate > 0
            else f"{_label(family)} {best.value} got later ({as_points(e.estimate)} of the "
            "overall late rate) while the other shipments got earlier"
        ),
    )
    turn.evidence(
        hypothesis,
        "explained_rise",
        f"delta-method z-test of the rate and volume effects ({len(found)} values, Bonferroni "
        f"limit p<{best.p_limit:.2g})",
        e,
        c.np_,
        f"rate effect and volume effect of {best.value}: its share of shipments went from "
        f"{best.result.share_b:.0%} to {best.result.share_p:.0%}; the rest's late rate changed "
        f"{as_points(best.result.rest.estimate)}",
    )
    turn.evidence(
        hypothesis,
        "late_rate_change",
        "two-proportion z-test"
        + (" against the rest's baseline (thin baseline)" if best.result.thin else ""),
        own,
        c.nb + c.np_,
        f"{best.value}'s late rate went from {c.rate_b:.1%} ({c.lb}/{c.nb}) to {c.rate_p:.1%} "
        f"({c.lp}/{c.np_})",
    )


@dataclass(frozen=True)
class Check:
    """A reviewer's verdict on a hypothesis, from the reviewer's dimension: `vanishes` (the
    dimension explains it: a challenge), `indistinguishable` (one of the reviewer's values is
    the same shipments: a challenge that stands, for an analyst), `holds` (a support), or
    `inconclusive`."""

    verdict: str
    estimate: Estimate
    test: str
    measure: str
    summary: str
    carried_by: str | None = None
    """The reviewer's value that carries the effect instead, when it has one."""


def check(
    frame: Frame, dimension: str, value: str, reviewer: str, settings: InvestigationSettings
) -> Check:
    """Does `dimension` = `value`'s effect survive controlling for `reviewer`'s dimension?

    Stratified by the reviewer's values where they compare (`stats.stratified`); where the
    reviewer's values are nested in the hypothesis's set (a country's suppliers), whether one of
    them carries it: a value of the reviewer's, significant on its own, mostly inside the set,
    that outruns the set's other shipments while those did not rise against the rest."""
    mask = mask_of(frame, dimension, value)
    result = stratified(frame, mask, reviewer, settings.min_rows)
    mine = [
        c
        for c in candidates(
            frame,
            reviewer,
            alpha=settings.alpha,
            min_share=settings.min_share,
            min_rows=settings.min_rows,
        )
        if c.significant
    ]
    label = _label(reviewer)
    if result.coverage >= 0.5:
        within = result.within
        summary = (
            f"controlling for {label}, {value} explains {as_points(within.estimate)} of the rise "
            f"({result.ratio:.0%} of its {as_points(result.unstratified.estimate)} unstratified)"
        )
        test = f"delta-method z-test stratified by {label} ({result.strata} strata)"
        if result.ratio < settings.vanish_ratio and within.ci[1] < result.unstratified.estimate:
            carrier = next((c.value for c in mine if c.value != value), None)
            return Check(
                "vanishes", within, test, f"explained_rise_within_{reviewer}", summary, carrier
            )
        verdict = "holds" if within.p_value < settings.alpha else "inconclusive"
        return Check(verdict, within, test, f"explained_rise_within_{reviewer}", summary)
    column = frame.columns[reviewer]
    for candidate in mine:
        inside = mask_of(frame, reviewer, candidate.value)
        overlap = int((inside & mask).sum())
        if overlap >= 0.95 * max(int(inside.sum()), int(mask.sum())):
            return Check(
                "indistinguishable",
                result.unstratified,
                "the same shipments",
                f"same_shipments_as_{reviewer}",
                f"{value} and {label} {candidate.value} are the same shipments ({overlap} of "
                f"them): the data cannot tell which is the cause",
                candidate.value,
            )
        if (inside & mask).sum() < 0.8 * inside.sum():
            continue
        share = explained(frame, inside, among=mask, min_rows=settings.min_rows).explained
        others = explained(frame, mask & ~inside, among=~inside, min_rows=settings.min_rows)
        others_rose = others.explained.estimate > 0 and others.explained.p_value < settings.alpha
        if share.estimate > 0 and share.p_value < settings.alpha and not others_rose:
            return Check(
                "vanishes",
                share,
                f"delta-method z-test within {value}'s shipments ({label} nested in it)",
                f"explained_rise_of_{reviewer}_within",
                f"{label} {candidate.value} outruns the rest of {value}'s shipments by "
                f"{as_points(share.estimate)}: the rise of {value} is {candidate.value}'s",
                candidate.value,
            )
    values = len({str(v) for v in column[mask]})
    unstratified = result.unstratified
    return Check(
        "holds" if unstratified.p_value < settings.alpha else "inconclusive",
        unstratified,
        f"delta-method z-test ({label} nested in {value}: {values} values, none carries it)",
        f"explained_rise_spread_over_{reviewer}",
        f"{value}'s rise is spread over its {values} {label} values: none outruns the others",
    )


def _mine(board: list[dict[str, Any]], family: str) -> list[dict[str, Any]]:
    return [p for p in board if p["author"] == family]


def _answered(board: list[dict[str, Any]], family: str, post_id: str) -> bool:
    return any(
        p.get("about") == post_id or p.get("target") == post_id for p in _mine(board, family)
    )


def _answer_challenges(
    turn: _Turn,
    family: str,
    frame: Frame,
    board: list[dict[str, Any]],
    settings: InvestigationSettings,
) -> None:
    for hypothesis in _mine(board, family):
        if hypothesis["kind"] != "hypothesis" or hypothesis["dimension"] == NONE:
            continue
        if withdrawn(board, hypothesis):
            continue
        for challenge in open_challenges(board, hypothesis["id"]):
            if _answered(board, family, challenge["id"]):
                continue
            other = challenge["author"]
            if other not in FAMILIES or other == hypothesis["dimension"]:
                continue
            verdict = check(frame, hypothesis["dimension"], hypothesis["value"], other, settings)
            if verdict.verdict == "indistinguishable":
                continue  # it is so: the challenge stands, and an analyst decides
            if verdict.verdict == "vanishes":
                turn.add(
                    "concession",
                    target=hypothesis["id"],
                    reason=f"{challenge['id']} holds: {verdict.summary}",
                )
                break
            evidence = turn.evidence(
                challenge["id"],
                verdict.measure,
                verdict.test,
                verdict.estimate,
                int(mask_of(frame, hypothesis["dimension"], hypothesis["value"]).sum()),
                verdict.summary,
            )
            turn.add(
                "challenge",
                target=challenge["id"],
                reason=f"{hypothesis['value']}'s effect does not vanish within "
                f"{_label(other)} (see {evidence})",
            )


def _review(
    turn: _Turn,
    family: str,
    frame: Frame,
    board: list[dict[str, Any]],
    settings: InvestigationSettings,
) -> None:
    for hypothesis in (p for p in board if p["kind"] == "hypothesis"):
        if hypothesis["author"] == family or hypothesis["dimension"] in (NONE, family):
            continue
        if withdrawn(board, hypothesis) or _answered(board, family, hypothesis["id"]):
            continue
        mask = mask_of(frame, hypothesis["dimension"], hypothesis["value"])
        if not mask.any():
            continue
        verdict = check(frame, hypothesis["dimension"], hypothesis["value"], family, settings)
        evidence = turn.evidence(
            hypothesis["id"],
            verdict.measure,
            verdict.test,
            verdict.estimate,
            int(mask.sum()),
            verdict.summary,
        )
        if verdict.verdict == "indistinguishable":
            turn.add(
                "challenge", target=hypothesis["id"], reason=f"{verdict.summary} (see {evidence})"
            )
        elif verdict.verdict == "vanishes":
            carrier = (
                f"; {_label(family)} {verdict.carried_by} carries it" if verdict.carried_by else ""
            )
            turn.add(
                "challenge",
                target=hypothesis["id"],
                reason=f"{hypothesis['value']}'s effect vanishes within {_label(family)} "
                f"(see {evidence}){carrier}",
            )
        elif verdict.verdict == "holds":
            turn.add(
                "support",
                target=hypothesis["id"],
                reason=f"{hypothesis['value']}'s effect holds within {_label(family)} "
                f"(p={verdict.estimate.p_value:.2g}; see {evidence})",
            )


def _posted_none(board: list[dict[str, Any]], family: str) -> bool:
    return any(p["kind"] == "hypothesis" and p["dimension"] == NONE for p in _mine(board, family))


def _propose_none(turn: _Turn, family: str, frame: Frame, settings: InvestigationSettings) -> None:
    rise = overall(frame)
    broad = rise.estimate > 0 and rise.p_value < settings.alpha
    value = "broad rise" if broad else "no significant rise"
    claim = (
        "no single cause: the rise is broad (no value of any family explains "
        f"{settings.min_share:.0%} of it and survives the others' checks)"
        if broad
        else "the late rate did not rise significantly"
    )
    hypothesis = turn.add("hypothesis", dimension=NONE, value=value, claim=claim)
    known = frame.known
    turn.evidence(
        hypothesis,
        "overall_change",
        "two-proportion z-test",
        rise,
        int(known.sum()),
        f"the overall late rate changed {as_points(rise.estimate)} (baseline "
        f"{int((frame.late & known & ~frame.period).sum())}/{int((known & ~frame.period).sum())}"
        f", period {int((frame.late & known & frame.period).sum())}/"
        f"{int((known & frame.period).sum())})",
    )
