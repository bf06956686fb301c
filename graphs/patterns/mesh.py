"""The mesh pattern: peers that debate on a shared blackboard, with no coordinator.

`build_mesh` runs the debate in rounds: START → receive → every peer (in parallel) →
close_round → every peer again … until a rule ends it → the arbiter → check_settlement → `then`,
or `escalate_to` when the arbiter cannot settle it. Each peer is a governed agent that reads the
board (and the case) and answers a `Turn`: the posts it adds. No peer routes to another; the
board is the only medium. `close_round` checks every turn against the board's rules (a failed or
malformed turn adds nothing), appends the round's posts (each a trace event), and asks the
termination rules whether the debate is over.

The governed parts: the blackboard (an append-only log of typed posts in state, `append_posts`
its reducer), the termination rules a workflow composes (consensus, stagnation, a round limit,
a token budget), and the loop detector (a peer repeating its own post, two peers flipping each
other back and forth). Whatever ends a debate says why (`Ending`), and a debate always ends: a
builder refuses a mesh without a round limit (a token budget alone never ends a debate whose
peers spend no tokens).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Protocol, TypedDict, cast, get_type_hints

from langchain_core.runnables import RunnableConfig
from langgraph.graph import StateGraph
from langgraph.types import Command, TracePolicy
from pydantic import BaseModel

from agents.board import append_posts, standing_claims
from agents.spec import AgentSpec
from graphs.kit.context import BatonContext
from graphs.kit.events import emit
from graphs.kit.governed import add_governed_agent
from graphs.patterns.entry import RECEIVE, add_receive
from schemas.blackboard import POST, REFERRING, Settlement, Turn
from schemas.result import Status
from schemas.trace import EventKind

CLOSE_ROUND = "close_round"
"""The node that closes a round: checks the turns, appends the posts, applies the rules."""
CHECK_SETTLEMENT = "check_settlement"
"""The node that checks the arbiter's settlement (its citations) and routes the case."""


@dataclass(frozen=True)
class Ending:
    """Why a debate ended: the rule, in words, and the hypothesis it settled on (if any)."""

    rule: str
    reason: str
    settled: str | None = None
    """The id of the hypothesis a consensus settled on."""


class Rule(Protocol):
    """A termination rule: its name, and whether the board ends the debate."""

    @property
    def name(self) -> str: ...

    def ended(self, board: Sequence[dict[str, Any]], round_: int) -> Ending | None:
        """The ending, when the board after `round_` rounds meets this rule; None otherwise."""
        ...


@dataclass(frozen=True)
class Consensus:
    """A quorum of peers back one claim (by posting it, or supporting a hypothesis of it), and
    no challenge of it stands. Two rival claims that both meet it settle nothing: the debate goes
    on, and what it leaves open goes to the arbiter."""

    quorum: int
    name: str = "consensus"

    def ended(self, board: Sequence[dict[str, Any]], round_: int) -> Ending | None:
        met = [
            (key, claim)
            for key, claim in standing_claims(board).items()
            if not claim["challenges"] and len(claim["backers"]) >= self.quorum
        ]
        if len(met) != 1:
            return None  # none yet, or rival claims both backed: the debate goes on
        (dimension, value), claim = met[0]
        backers = sorted(claim["backers"])
        return Ending(
            self.name,
            f"{len(backers)} peers ({', '.join(backers)}) back {claim['ids'][0]} "
            f"({dimension} = {value}) and no challenge of it stands",
            settled=claim["ids"][0],
        )


@dataclass(frozen=True)
class Stagnation:
    """No new evidence for `rounds` rounds in a row."""

    rounds: int
    name: str = "stagnation"

    def ended(self, board: Sequence[dict[str, Any]], round_: int) -> Ending | None:
        last = max((p["round"] for p in board if p["kind"] == "evidence"), default=-1)
        quiet = round_ - last
        if round_ + 1 >= self.rounds and quiet >= self.rounds:
            return Ending(self.name, f"no new evidence for {quiet} rounds (limit {self.rounds})")
        return None


@dataclass(frozen=True)
class RoundLimit:
    """At most `rounds` rounds."""

    rounds: int
    name: str = "round_limit"

    def ended(self, board: Sequence[dict[str, Any]], round_: int) -> Ending | None:
        if round_ + 1 >= self.rounds:
            return Ending(self.name, f"{round_ + 1} rounds, the limit")
        return None


@dataclass(frozen=True)
class TokenBudget:
    """At most `tokens` model tokens spent on the posts."""

    tokens: int
    name: str = "token_budget"

    def ended(self, board: Sequence[dict[str, Any]], round_: int) -> Ending | None:
        spent = sum(int(p.get("tokens") or 0) for p in board)
        if spent >= self.tokens:
            return Ending(self.name, f"{spent} tokens spent (budget {self.tokens})")
        return None


BOUNDING = (RoundLimit,)
"""Rules that must fire eventually: a mesh needs one, so that its debate always ends (a token
budget does not: peers that spend no tokens never exhaust it)."""


def _content(post: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted((k, str(v)) for k, v in post.items() if k not in ("id", "round", "tokens")))


def detect_loop(board: Sequence[dict[str, Any]], *, flips: int = 3) -> Ending | None:
    """A loop on the board: a peer posting again what it posted before (the same kind and
    content in a later round), or two peers challenging each other's posts in each of the last
    `flips` rounds (correcting each other back and forth)."""
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for post in board:
        key = _content(post)
        earlier = seen.get(key)
        if earlier is not None and earlier["round"] < post["round"]:
            return Ending(
                "loop",
                f"{post['author']} repeats its own {post['kind']} ({earlier['id']} again as "
                f"{post['id']})",
            )
        seen.setdefault(key, post)
    authors = {p["id"]: p["author"] for p in board}
    rounds = sorted({p["round"] for p in board})
    mutual: dict[int, set[frozenset[str]]] = defaultdict(set)
    for round_ in rounds:
        pairs = Counter(
            (p["author"], authors.get(p["target"], ""))
            for p in board
            if p["round"] == round_ and p["kind"] == "challenge"
        )
        for a, b in pairs:
            if a != b and (b, a) in pairs:
                mutual[round_].add(frozenset((a, b)))
    recent = rounds[-flips:]
    if len(recent) == flips and recent == list(range(recent[0], recent[0] + flips)):
        common = set.intersection(*(mutual[r] for r in recent)) if recent else set()
        if common:
            a, b = sorted(next(iter(sorted(common, key=sorted))))
            return Ending(
                "loop",
                f"{a} and {b} challenged each other in each of the last {flips} rounds "
                f"({recent[0]} to {recent[-1]}): they flip back and forth",
            )
    return None


def why_it_ended(
    rules: Sequence[Rule], board: Sequence[dict[str, Any]], round_: int, *, flips: int = 3
) -> Ending | None:
    """What ends the debate after `round_` (counted from 0): a loop, else the first rule met."""
    loop = detect_loop(board, flips=flips)
    if loop is not None:
        return loop
    return next((e for e in (r.ended(board, round_) for r in rules) if e is not None), None)


def check_mesh(peers: Sequence[str], rules: Sequence[Rule]) -> None:
    """Refuse a mesh that cannot be governed, before anything runs: fewer than two peers,
    duplicate names, no termination rule, no round limit, a quorum larger than the peers."""
    if len(peers) < 2:
        raise ValueError(f"a mesh needs at least two peers to debate (got {list(peers)})")
    duplicates = sorted({p for p in peers if list(peers).count(p) > 1})
    if duplicates:
        raise ValueError(f"duplicate peer names: {duplicates}")
    if not rules:
        raise ValueError("a mesh needs termination rules (e.g. Consensus, RoundLimit)")
    if not any(isinstance(rule, BOUNDING) for rule in rules):
        raise ValueError(
            "a mesh needs a RoundLimit, so that its debate always ends (a TokenBudget alone "
            "never ends a debate whose peers spend no tokens)"
        )
    for rule in rules:
        if isinstance(rule, Consensus) and not 1 <= rule.quorum <= len(peers):
            raise ValueError(
                f"a consensus quorum of {rule.quorum} cannot be met by {len(peers)} peers"
            )


class MeshState(TypedDict, total=False):
    """The keys a mesh keeps besides its peers' and arbiter's results; a workflow's state
    extends it."""

    board: Annotated[list[dict[str, Any]], append_posts]
    """The blackboard: every post, in order (`schemas.blackboard.Post`, JSON)."""
    mesh_round: int
    """The round the peers are in (from 0)."""
    debate: dict[str, Any] | None
    """The debate so far: rounds, posts, tokens, failed turns, and (once over) its ending."""
    escalation: dict[str, Any] | None
    """Why the case went to a person (stage and reason); None when it was settled."""


def build_mesh(
    state_schema: type,
    peers: Sequence[AgentSpec],
    *,
    rules: Sequence[Rule],
    arbiter: AgentSpec,
    then: str,
    escalate_to: str,
    loop_flips: int = 3,
    input_contract: type[BaseModel] | None = None,
    context_schema: type | None = None,
    input_schema: type | None = None,
) -> StateGraph:
    """The mesh, uncompiled: START → receive → every peer (in parallel) → close_round → the
    peers again, round after round, until a termination rule (or the loop detector) ends the
    debate → the arbiter → check_settlement → `then`, or `escalate_to` (a review gate, the board
    as evidence) when the arbiter did not settle the question, failed, or cited a post that is not
    on the board. `then` and `escalate_to` may be one node (it reads `escalation`); the caller
    adds them.

    Each peer reads `board` and `mesh_round` (and whatever else it declares) and answers a
    `schemas.blackboard.Turn`; the arbiter reads `board` and `debate` and answers a
    `schemas.blackboard.Settlement`. A peer's turn adds nothing to the board when the peer
    failed, or when a post of it claims another author or round, gives itself a wrong id, or
    refers to a post that is not on the board (or earlier in the same turn): the failed turn is
    a trace event and counted in `debate`.

    ValueError before anything runs on: fewer than two peers, duplicate names or state keys, a
    name colliding with the pattern's own nodes, a peer that does not read the board or answer a
    `Turn`, an arbiter that does not read `board` and `debate` or answer a `Settlement`, no
    termination rule or no `RoundLimit` (the rule that must fire), a quorum larger
    than the peers, or a state schema without `MeshState`'s keys.

    Example:
        builder = build_mesh(CaseState, PEERS, rules=[Consensus(4), RoundLimit(6)],
                             arbiter=ARBITER, then="review_gate", escalate_to="review_gate",
                             input_contract=Question)
    """
    _check_build(state_schema, peers, rules, arbiter, then, escalate_to)
    if loop_flips < 2:
        raise ValueError(f"loop_flips must be at least 2, not {loop_flips}")
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(
        state_schema,
        context_schema=context_schema or BatonContext,
        input_schema=input_schema or input_contract,
    )
    add_receive(builder, input_contract)
    names = [spec.name for spec in peers]
    for spec in peers:
        builder.add_edge(RECEIVE, spec.name)
        # The peers of a round run in one step, so close_round runs once, with every turn.
        add_governed_agent(builder, spec, then=CLOSE_ROUND)
    hints = get_type_hints(state_schema, include_extras=True)
    keys = (*(spec.writes for spec in peers), "board", "mesh_round", "debate")
    builder.add_node(
        CLOSE_ROUND,
        cast(Any, _close_round(peers, rules, loop_flips, arbiter.name)),
        input_schema=TypedDict("CloseRoundSlice", {k: hints[k] for k in keys}, total=False),  # type: ignore[operator]
        destinations=(*names, arbiter.name),
        trace_policy=TracePolicy(process_inputs=lambda _: {}),  # the turns are traced already
    )
    add_governed_agent(builder, arbiter, then=CHECK_SETTLEMENT)
    check_keys = (arbiter.writes, "board", "debate")
    builder.add_node(
        CHECK_SETTLEMENT,
        cast(Any, _check_settlement(arbiter, then, escalate_to)),
        input_schema=TypedDict(
            "CheckSettlementSlice", {k: hints[k] for k in check_keys}, total=False
        ),  # type: ignore[operator]
        destinations=tuple(dict.fromkeys((then, escalate_to))),
        trace_policy=TracePolicy(process_inputs=lambda _: {}),
    )
    return builder


def _check_build(
    state_schema: type,
    peers: Sequence[AgentSpec],
    rules: Sequence[Rule],
    arbiter: AgentSpec,
    then: str,
    escalate_to: str,
) -> None:
    names = [spec.name for spec in peers]
    check_mesh(names, rules)
    hints = get_type_hints(state_schema)
    missing = [key for key in MeshState.__annotations__ if key not in hints]
    if missing:
        raise ValueError(
            f"{state_schema.__name__} lacks the mesh's keys {missing}: extend "
            "graphs.patterns.mesh.MeshState"
        )
    keys = [spec.writes for spec in peers]
    doubled = sorted({key for key in keys if keys.count(key) > 1})
    if doubled:
        raise ValueError(f"duplicate peer state keys: {doubled}")
    own = {RECEIVE, CLOSE_ROUND, CHECK_SETTLEMENT, *MeshState.__annotations__}
    every = [*names, arbiter.name]
    clashes = sorted((set(every) & (own | {then, escalate_to})) | ({then, escalate_to} & own))
    if arbiter.name in names:
        clashes.append(arbiter.name)
    if clashes:
        raise ValueError(
            f"names {clashes} collide with the mesh's own nodes or keys, or with each other "
            f"({RECEIVE!r}, {CLOSE_ROUND!r}, {CHECK_SETTLEMENT!r}, then={then!r}, "
            f"escalate_to={escalate_to!r}, the arbiter {arbiter.name!r})"
        )
    for spec in peers:
        if not issubclass(spec.output_contract, Turn):
            raise ValueError(
                f"peer {spec.name!r} answers {spec.output_contract.__name__}, not a "
                "schemas.blackboard.Turn"
            )
        if "board" not in spec.reads:
            raise ValueError(f"peer {spec.name!r} must read 'board' (the debate is there)")
    if not issubclass(arbiter.output_contract, Settlement):
        raise ValueError(
            f"arbiter {arbiter.name!r} answers {arbiter.output_contract.__name__}, not a "
            "schemas.blackboard.Settlement"
        )
    unread = [key for key in ("board", "debate") if key not in arbiter.reads]
    if unread:
        raise ValueError(f"arbiter {arbiter.name!r} must read {unread} (it settles the debate)")


def turn_problem(
    peer: str,
    posts: Sequence[dict[str, Any]],
    round_: int,
    board: Sequence[dict[str, Any]],
    peers: Sequence[str],
) -> str | None:
    """Why a peer's turn may not join the board (None when it may): a post claiming another
    author or round, a wrong id, a reference to a post neither on the board nor earlier in the
    turn, a request to someone who is not a peer."""
    known = {p["id"] for p in board}
    for index, post in enumerate(posts):
        where = f"post {index} ({post.get('kind')})"
        if post.get("author") != peer:
            return f"{where} claims the author {post.get('author')!r}, not {peer!r}"
        if post.get("round") != round_:
            return f"{where} is for round {post.get('round')}, but this is round {round_}"
        expected = f"r{round_}.{peer}.{index}"
        if post.get("id") not in (None, expected):
            return f"{where} gives itself the id {post.get('id')!r}; its id is {expected!r}"
        field = REFERRING.get(str(post.get("kind")))
        target = post.get(field) if field else None
        if target is not None and target not in known:
            return f"{where} refers to {target!r}, which is not on the board"
        if post.get("kind") == "request" and post.get("to") not in peers:
            return f"{where} asks {post.get('to')!r}, who is not a peer of this mesh"
        known.add(expected)
    return None


def _turn_posts(
    spec: AgentSpec,
    result: Any,
    round_: int,
    board: Sequence[dict[str, Any]],
    peers: Sequence[str],
) -> tuple[list[dict[str, Any]], str | None]:
    if not isinstance(result, Mapping):
        return [], "the peer did not run"
    if result.get("status") != Status.OK:
        return [], f"{result.get('status')}: {result.get('reason')}"
    posts = [
        POST.validate_python(p).model_dump(mode="json")
        for p in (result.get("value") or {}).get("posts") or []
    ]
    problem = turn_problem(spec.name, posts, round_, board, peers)
    if problem is not None:
        return [], problem
    return [{**p, "id": f"r{round_}.{spec.name}.{i}"} for i, p in enumerate(posts)], None


def _close_round(
    peers: Sequence[AgentSpec], rules: Sequence[Rule], flips: int, arbiter: str
) -> Callable[..., Command[Any]]:
    names = [spec.name for spec in peers]

    def close_round(state: Mapping[str, Any], config: RunnableConfig) -> Command[Any]:
        round_ = int(state.get("mesh_round") or 0)
        board = list(state.get("board") or [])
        debate = dict(state.get("debate") or {})
        failed = list(debate.get("failed_turns") or [])
        added: list[dict[str, Any]] = []
        for spec in peers:
            posts, problem = _turn_posts(spec, state.get(spec.writes), round_, board, names)
            if problem is not None:
                turn = {"peer": spec.name, "round": round_, "reason": problem}
                failed.append(turn)
                emit(EventKind.TURN_FAILED, turn, config)
            added += posts
        grown = append_posts(board, added)
        known = {p["id"] for p in board}
        for post in grown:
            if post["id"] not in known:
                emit(EventKind.POST, post, config)
        ending = why_it_ended(rules, grown, round_, flips=flips)
        debate = {
            "peers": names,
            "rounds": round_ + 1,
            "posts": len(grown),
            "tokens": sum(int(p.get("tokens") or 0) for p in grown),
            "failed_turns": failed,
            "ending": asdict(ending) if ending is not None else None,
        }
        update = {"board": added, "debate": debate}
        if ending is None:
            return Command(goto=names, update={**update, "mesh_round": round_ + 1})
        emit(EventKind.DEBATE_ENDED, {**debate["ending"], "rounds": round_ + 1}, config)
        return Command(goto=arbiter, update=update)

    return close_round


def _check_settlement(
    arbiter: AgentSpec, then: str, escalate_to: str
) -> Callable[..., Command[str]]:
    def check_settlement(state: Mapping[str, Any], config: RunnableConfig) -> Command[str]:
        result = state.get(arbiter.writes)
        ids = {p["id"] for p in state.get("board") or []}
        why: str | None = None
        data: dict[str, Any]
        if not isinstance(result, Mapping) or result.get("status") != Status.OK:
            status = (result or {}).get("status", "did not run")
            why = (
                f"the arbiter could not settle the debate: {status}: {(result or {}).get('reason')}"
            )
            data = {"verdict": "failed", "reason": why}
        else:
            settlement = Settlement.model_validate(
                {k: result["value"].get(k) for k in Settlement.model_fields}
            )
            unknown = [c for c in settlement.cites if c not in ids]
            data = {
                "verdict": "settled" if settlement.settled else "not settled",
                "label": "",
                "confidence": round(settlement.confidence, 4),
                "reason": settlement.reason,
                "cites": settlement.cites,
            }
            if unknown:
                why = f"the arbiter cites posts that are not on the board: {unknown}"
                data["verdict"] = "cites unknown posts"
            elif not settlement.settled:
                why = f"the debate did not settle the question: {settlement.reason}"
        emit(EventKind.RULING, data, config)
        if why is None:
            return Command(goto=then, update={"escalation": None})
        stage = arbiter.name
        emit(EventKind.ESCALATION, {"stage": stage, "reason": why, "to": escalate_to}, config)
        return Command(goto=escalate_to, update={"escalation": {"stage": stage, "reason": why}})

    return check_settlement
