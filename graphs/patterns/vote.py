"""Vote and arbiter: independent voters decide by majority or by a soft vote; an arbiter
settles a split.

`build_vote` fans a case out to its voters in parallel (each a governed agent writing an
`AgentResult[Classification]`), then `tally` counts the ballot (`schemas.ballot.Ballot`): a label
with more than half of the counted votes, once the quorum is met, wins and the case goes to `then`.
With a `SoftVote`, the votes are weighed instead of counted: the workflow's `weigh` combines the
counted votes' probabilities (for example with weights learned on held-out data), and the best
label wins when its combined, calibrated probability reaches the soft vote's threshold.
A failed voter never counts (its line on the ballot says it failed, and why); nor does one that
answered `empty` or below the vote's confidence floor (it abstained), nor one that could not run
here at all (no model configured: it sat out). With no majority (a split or a tie) or no quorum,
the arbiter rules on the ballot; a ruling at or above its confidence threshold settles the case
(`then`); a weaker one, a failed arbiter, or a ballot with no votes at all sends the case to a
person (`escalate_to`, a review gate), with its reason in `escalation`. What was decided, by whom
and how surely, is the `choice`; the ballot and the ruling are trace events.

`build_arbiter` is the arbiter alone (for a workflow that makes its own ballot). Both builders
return an uncompiled `StateGraph` and reject bad input before anything runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, cast, get_type_hints

from langchain_core.runnables import RunnableConfig
from langgraph.graph import StateGraph
from langgraph.types import Command, TracePolicy
from pydantic import BaseModel

from agents.spec import AgentSpec
from graphs.kit.context import BatonContext
from graphs.kit.events import emit
from graphs.kit.governed import add_governed_agent
from graphs.patterns.entry import RECEIVE, add_receive
from schemas.ballot import Ballot, Candidate, Choice, Classification, Ruling, Vote
from schemas.result import ErrorKind, Status
from schemas.trace import EventKind

TALLY = "tally"
"""The node that counts the ballot."""
CHECK_RULING = "check_ruling"
"""The node that weighs the arbiter's ruling against its confidence threshold."""


class VoteState(TypedDict, total=False):
    """The keys a vote keeps besides its voters' results; a workflow's state extends it."""

    ballot: dict[str, Any] | None
    """The `Ballot`: every voter's line, the count and the outcome."""
    choice: dict[str, Any] | None
    """The `Choice`: the label decided (or only suggested, when a person must decide) and by whom."""
    escalation: dict[str, Any] | None
    """Why the case went to a person (stage and reason); None when it was settled."""


@dataclass(frozen=True)
class SoftVote:
    """Decide the ballot by weighing the counted votes' probabilities instead of counting labels.

    `weigh` gets the counted votes (each with its calibrated candidates) and returns the combined
    distribution over labels, best first, whose top probability is calibrated (the share of such
    answers that are right); the best label settles the case when that probability is at least
    `min_confidence`, otherwise the ballot is `not_confident` and goes to the arbiter (or a
    person). `describe` says how the votes were weighed, for the ballot's reason."""

    weigh: Callable[[Sequence[Vote]], Sequence[Candidate]]
    min_confidence: float = 0.0
    describe: str = "weighed probabilities"


@dataclass(frozen=True)
class Arbiter:
    """The agent that settles a split vote, and how sure it must be to settle it alone.

    Its spec reads `ballot` (and whatever else it declares) and writes an `AgentResult[Ruling]`."""

    spec: AgentSpec
    min_confidence: float = 0.5


def build_vote(
    state_schema: type,
    voters: Sequence[AgentSpec],
    *,
    then: str,
    escalate_to: str,
    arbiter: Arbiter | None = None,
    quorum: int | None = None,
    min_vote_confidence: float = 0.0,
    soft: SoftVote | None = None,
    input_contract: type[BaseModel] | None = None,
    context_schema: type | None = None,
    input_schema: type | None = None,
) -> StateGraph:
    """The vote, uncompiled: START → receive → every voter (in parallel) → tally → `then`, or
    → arbiter → check_ruling → `then` / `escalate_to`; a ballot with no votes goes to `escalate_to`
    (without an arbiter, so does any ballot that is not a majority). `then` and `escalate_to` may
    be one node (it reads `choice` and `escalation`); the caller adds them.

    `quorum` is how many counted votes the ballot needs (default: two, or one with a single
    voter); a vote below `min_vote_confidence` is an abstention. ValueError before anything runs on:
    fewer than two voters, duplicate names or state keys, names colliding with the pattern's own
    nodes, a voter whose output contract is not a `Classification`, an arbiter that does not read
    `ballot` or does not answer a `Ruling`, a quorum beyond the number of voters, a threshold
    outside [0, 1], or a state schema without `VoteState`'s keys.

    Args:
        state_schema: the workflow's state; it extends `VoteState` (ballot, choice, escalation).
        voters: the classifiers, each answering a `Classification`.
        then: where the vote carries on with a `choice`.
        escalate_to: where a case goes to a person when the vote cannot settle it.
        arbiter: settles a split ballot, when its ruling clears its confidence threshold.
        soft: weigh the votes' probabilities instead of counting labels (see `SoftVote`).
        input_contract: the workflow's input, checked when a run starts.

    Example:
        builder = build_vote(TicketState, VOTERS, then="router", escalate_to="router",
                             arbiter=Arbiter(ARBITER, min_confidence=0.6),
                             input_contract=SupportTicket)
    """
    quorum = _check_vote(state_schema, voters, then, escalate_to, arbiter, quorum)
    if not 0 <= min_vote_confidence <= 1:
        raise ValueError(f"min_vote_confidence must be within [0, 1], not {min_vote_confidence}")
    if soft is not None and not 0 <= soft.min_confidence <= 1:
        raise ValueError(
            f"the soft vote's min_confidence must be within [0, 1], not {soft.min_confidence}"
        )
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(
        state_schema,
        context_schema=context_schema or BatonContext,
        input_schema=input_schema or input_contract,
    )
    add_receive(builder, input_contract)
    for spec in voters:
        builder.add_edge(RECEIVE, spec.name)
        # The voters run in one step, so the tally after them runs once, with every result.
        add_governed_agent(builder, spec, then=TALLY)
    no_decision = arbiter.spec.name if arbiter is not None else escalate_to
    builder.add_node(
        TALLY,
        cast(
            Any, _tally(voters, quorum, min_vote_confidence, soft, then, no_decision, escalate_to)
        ),
        input_schema=_slice(state_schema, "TallySlice", [spec.writes for spec in voters]),
        destinations=tuple(dict.fromkeys((then, no_decision, escalate_to))),
        trace_policy=TracePolicy(process_inputs=lambda _: {}),  # the voters' outputs are traced
    )
    if arbiter is not None:
        add_arbiter(builder, arbiter, then=then, escalate_to=escalate_to)
    return builder


def build_arbiter(
    state_schema: type,
    arbiter: Arbiter,
    *,
    then: str,
    escalate_to: str,
    input_contract: type[BaseModel] | None = None,
    context_schema: type | None = None,
    input_schema: type | None = None,
) -> StateGraph:
    """The arbiter alone, uncompiled: START → receive → arbiter → check_ruling → `then` /
    `escalate_to`, for a workflow whose input (or an earlier graph) carries the `ballot`.
    ValueError before anything runs on the arbiter checks of `build_vote`."""
    _check_state(state_schema)
    _check_arbiter(state_schema, arbiter, then, escalate_to)
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(
        state_schema, context_schema=context_schema, input_schema=input_schema
    )
    add_receive(builder, input_contract)
    builder.add_edge(RECEIVE, arbiter.spec.name)
    add_arbiter(builder, arbiter, then=then, escalate_to=escalate_to)
    return builder


def add_arbiter(builder: StateGraph, arbiter: Arbiter, *, then: str, escalate_to: str) -> None:
    """Add the arbiter (a governed agent) and `check_ruling` after it to `builder`."""
    add_governed_agent(builder, arbiter.spec, then=CHECK_RULING)
    builder.add_node(
        CHECK_RULING,
        cast(Any, _check_ruling(arbiter, then, escalate_to)),
        input_schema=_slice(builder.state_schema, "CheckRulingSlice", [arbiter.spec.writes]),
        destinations=tuple(dict.fromkeys((then, escalate_to))),
        trace_policy=TracePolicy(process_inputs=lambda _: {}),  # the ruling is traced with it
    )


def _slice(state_schema: type, name: str, keys: Sequence[str]) -> type:
    hints = get_type_hints(state_schema)
    fields = {key: hints[key] for key in dict.fromkeys((*keys, "ballot"))}
    return TypedDict(name, fields, total=False)  # type: ignore[operator]


def _check_state(state_schema: type) -> None:
    hints = get_type_hints(state_schema)
    missing = [key for key in VoteState.__annotations__ if key not in hints]
    if missing:
        raise ValueError(
            f"{state_schema.__name__} lacks the vote's keys {missing}: extend "
            "graphs.patterns.vote.VoteState"
        )


def _check_vote(
    state_schema: type,
    voters: Sequence[AgentSpec],
    then: str,
    escalate_to: str,
    arbiter: Arbiter | None,
    quorum: int | None,
) -> int:
    if len(voters) < 2:
        raise ValueError(f"a vote needs at least two voters (got {len(voters)})")
    _check_state(state_schema)
    names = [spec.name for spec in voters]
    keys = [spec.writes for spec in voters]
    for what, values in (("voter names", names), ("voter state keys", keys)):
        doubled = sorted({value for value in values if values.count(value) > 1})
        if doubled:
            raise ValueError(f"duplicate {what}: {doubled}")
    own = {RECEIVE, TALLY, CHECK_RULING, *VoteState.__annotations__}
    clashes = sorted(set(names) & (own | {then, escalate_to}) | ({then, escalate_to} & own))
    if clashes:
        raise ValueError(
            f"names {clashes} collide with the vote's own nodes or keys ({RECEIVE!r}, "
            f"{TALLY!r}, {CHECK_RULING!r}, then={then!r}, escalate_to={escalate_to!r})"
        )
    for spec in voters:
        if not issubclass(spec.output_contract, Classification):
            raise ValueError(
                f"voter {spec.name!r} answers {spec.output_contract.__name__}, not a "
                "schemas.ballot.Classification"
            )
    if arbiter is not None:
        _check_arbiter(state_schema, arbiter, then, escalate_to)
        if arbiter.spec.name in names:
            raise ValueError(f"the arbiter {arbiter.spec.name!r} is also a voter")
    chosen = quorum if quorum is not None else min(2, len(voters))
    if not 1 <= chosen <= len(voters):
        raise ValueError(f"quorum must be between 1 and the {len(voters)} voters, not {chosen}")
    return chosen


def _check_arbiter(state_schema: type, arbiter: Arbiter, then: str, escalate_to: str) -> None:
    spec = arbiter.spec
    if not issubclass(spec.output_contract, Ruling):
        raise ValueError(
            f"arbiter {spec.name!r} answers {spec.output_contract.__name__}, not a "
            "schemas.ballot.Ruling"
        )
    if "ballot" not in spec.reads:
        raise ValueError(f"arbiter {spec.name!r} must read 'ballot' (it rules on the ballot)")
    if spec.name in {RECEIVE, TALLY, CHECK_RULING, then, escalate_to}:
        raise ValueError(f"the arbiter's name {spec.name!r} collides with a node of the vote")
    if not 0 <= arbiter.min_confidence <= 1:
        raise ValueError(
            f"the arbiter's min_confidence must be within [0, 1], not {arbiter.min_confidence}"
        )
    _check_state(state_schema)


def count_ballot(
    voters: Sequence[AgentSpec],
    results: Mapping[str, Any],
    quorum: int,
    min_vote_confidence: float = 0.0,
    soft: SoftVote | None = None,
) -> Ballot:
    """The ballot of the voters' results (JSON `AgentResult`s by state key): counted, or weighed
    when `soft` is given."""
    votes = [_line(spec, results.get(spec.writes), min_vote_confidence) for spec in voters]
    counted = [vote for vote in votes if vote.status == "counted"]
    counts = dict(Counter(str(vote.label) for vote in counted).most_common())
    cast_votes = len(counted)
    winner: str | None = None
    combined: list[Candidate] = []
    if cast_votes == 0:
        outcome, reason = "no_votes", "no voter gave a vote that counts"
    elif cast_votes < quorum:
        outcome = "no_quorum"
        reason = f"{cast_votes} vote(s) counted, fewer than the quorum of {quorum}"
    elif soft is not None:
        combined, trouble = _weighed(soft, counted)
        if trouble is not None:
            outcome, reason = "not_confident", f"the soft vote could not weigh the votes: {trouble}"
        else:
            best = combined[0]
            backers = ", ".join(f"{v.voter} {v.label}" for v in counted)
            said = f"{best.label} at {best.probability:.2f} by {soft.describe} ({backers})"
            if best.probability >= soft.min_confidence:
                outcome, winner, reason = "weighted", best.label, said
            else:
                outcome = "not_confident"
                reason = f"{said}, below the vote's threshold of {soft.min_confidence:.2f}"
    else:
        top = max(counts.values())
        leaders = sorted(label for label, count in counts.items() if count == top)
        if len(leaders) == 1 and top * 2 > cast_votes:
            outcome, winner = "majority", leaders[0]
            reason = f"{winner} has {top} of {cast_votes} counted votes"
        elif len(leaders) > 1:
            outcome = "no_majority"
            reason = f"tie between {', '.join(leaders)} ({top} vote(s) each of {cast_votes})"
        else:
            outcome = "no_majority"
            reason = f"{leaders[0]} leads with {top} of {cast_votes}, not more than half"
    return Ballot(
        votes=votes,
        counts=counts,
        cast=cast_votes,
        quorum=quorum,
        outcome=cast(Any, outcome),
        winner=winner,
        reason=reason,
        method="soft" if soft is not None else "majority",
        combined=combined,
    )


def _weighed(soft: SoftVote, counted: Sequence[Vote]) -> tuple[list[Candidate], str | None]:
    """The soft vote's combined candidates, best first, or why they cannot be used: `weigh`
    raised, answered nothing, named a label no counted vote named, or did not put the best
    first. A vote that cannot be weighed is not confident: it goes to the arbiter (or a person),
    never fails the run."""
    try:
        combined = list(soft.weigh(counted))
    except Exception as error:  # the workflow's code: its failure must not lose the run
        return [], f"{type(error).__name__}: {error}"
    if not combined:
        return [], "it answered no candidate"
    named = {c.label for vote in counted for c in vote.candidates} | {
        str(vote.label) for vote in counted
    }
    unknown = sorted({c.label for c in combined} - named)
    if unknown:
        return [], f"it answered labels no counted vote named: {unknown}"
    if any(c.probability > combined[0].probability + 1e-9 for c in combined[1:]):
        return [], "it did not put the most probable label first"
    return combined, None


def _line(spec: AgentSpec, result: Any, floor: float) -> Vote:
    if not isinstance(result, Mapping):
        return Vote(voter=spec.name, status="failed", reason="the voter did not run")
    status = result.get("status")
    implementation = result.get("implementation")
    if status == Status.OK:
        value = result["value"]
        vote = Vote(
            voter=spec.name,
            status="counted",
            label=value["label"],
            confidence=value["confidence"],
            candidates=value.get("candidates") or [],
            evidence=value.get("evidence") or [],
            implementation=implementation,
        )
        if vote.confidence is not None and vote.confidence < floor:
            why = f"confidence {vote.confidence:.2f} is below the vote's floor of {floor:.2f}"
            return vote.model_copy(update={"status": "abstained", "reason": why})
        return vote
    reason = str(result.get("reason") or status)
    if status == Status.FAILED:
        sat_out = result.get("attempts") == 0 and result.get("error_kind") == ErrorKind.UNAVAILABLE
        return Vote(voter=spec.name, status="sat_out" if sat_out else "failed", reason=reason)
    return Vote(voter=spec.name, status="abstained", reason=f"{status}: {reason}")


def _suggestion(ballot: Ballot) -> tuple[str | None, float | None]:
    """The best label a person can start from when the ballot did not decide: the soft vote's
    best, else the best-supported counted label (then the most confident one), or None without any
    vote."""
    if ballot.combined:
        return ballot.combined[0].label, ballot.combined[0].probability
    counted = [v for v in ballot.votes if v.status == "counted" and v.label]
    if not counted:
        return None, None
    best = max(counted, key=lambda v: (ballot.counts.get(str(v.label), 0), v.confidence or 0))
    return best.label, best.confidence


def _tally(
    voters: Sequence[AgentSpec],
    quorum: int,
    floor: float,
    soft: SoftVote | None,
    then: str,
    no_decision: str,
    escalate_to: str,
) -> Callable[..., Command[str]]:
    def tally(state: Mapping[str, Any], config: RunnableConfig) -> Command[str]:
        ballot = count_ballot(voters, state, quorum, floor, soft)
        emit(EventKind.BALLOT, ballot.model_dump(mode="json"), config)
        update: dict[str, Any] = {"ballot": ballot.model_dump(mode="json")}
        if ballot.outcome == "weighted":
            choice = Choice(
                label=ballot.winner,
                confidence=min(ballot.combined[0].probability, 1.0),
                decided_by="vote",
                settled=True,
                reason=ballot.reason,
            )
            update.update(choice=choice.model_dump(mode="json"), escalation=None)
            return Command(goto=then, update=update)
        if ballot.outcome == "majority":
            majority = [v.confidence or 0 for v in ballot.votes if v.label == ballot.winner]
            choice = Choice(
                label=ballot.winner,
                confidence=max(majority),
                decided_by="majority",
                settled=True,
                reason=ballot.reason,
            )
            update.update(choice=choice.model_dump(mode="json"), escalation=None)
            return Command(goto=then, update=update)
        label, confidence = _suggestion(ballot)
        if ballot.outcome == "no_votes" or no_decision == escalate_to:
            why = f"the vote did not decide: {ballot.reason}" + "".join(
                f"; {v.voter} {v.status}: {v.reason}" for v in ballot.votes if v.reason
            )
            return _to_person(update, "vote", why, label, confidence, escalate_to, config)
        update.update(choice=None, escalation=None)
        return Command(goto=no_decision, update=update)

    return tally


def _to_person(
    update: dict[str, Any],
    stage: str,
    why: str,
    label: str | None,
    confidence: float | None,
    escalate_to: str,
    config: RunnableConfig,
) -> Command[str]:
    choice = Choice(
        label=label, confidence=confidence, decided_by="none", settled=False, reason=why
    )
    emit(EventKind.ESCALATION, {"stage": stage, "reason": why, "to": escalate_to}, config)
    update.update(choice=choice.model_dump(mode="json"), escalation={"stage": stage, "reason": why})
    return Command(goto=escalate_to, update=update)


def _check_ruling(arbiter: Arbiter, then: str, escalate_to: str) -> Callable[..., Command[str]]:
    threshold = arbiter.min_confidence
    name = arbiter.spec.name

    def check_ruling(state: Mapping[str, Any], config: RunnableConfig) -> Command[str]:
        result = state.get(arbiter.spec.writes)
        ballot = Ballot.model_validate(state["ballot"]) if state.get("ballot") else None
        update: dict[str, Any] = {}
        if not isinstance(result, Mapping) or result.get("status") != Status.OK:
            why = (
                f"the arbiter could not rule: {(result or {}).get('status', 'did not run')}: "
                f"{(result or {}).get('reason')}"
            )
            label, confidence = _suggestion(ballot) if ballot else (None, None)
            emit(EventKind.RULING, {"verdict": "failed", "reason": why}, config)
            return _to_person(update, name, why, label, confidence, escalate_to, config)
        ruling = Ruling.model_validate(result["value"])
        settled = ruling.confidence >= threshold
        emit(
            EventKind.RULING,
            {
                "verdict": "settled" if settled else "not confident enough",
                "label": ruling.label,
                "confidence": round(ruling.confidence, 4),
                "threshold": threshold,
                "reason": ruling.reason,
            },
            config,
        )
        if not settled:
            why = (
                f"the arbiter's ruling {ruling.label} has confidence {ruling.confidence:.2f}, "
                f"below the threshold of {threshold:.2f}: {ruling.reason}"
            )
            return _to_person(
                update, name, why, ruling.label, ruling.confidence, escalate_to, config
            )
        choice = Choice(
            label=ruling.label,
            confidence=ruling.confidence,
            decided_by="arbiter",
            settled=True,
            reason=ruling.reason,
        )
        update.update(choice=choice.model_dump(mode="json"), escalation=None)
        return Command(goto=then, update=update)

    return check_ruling
