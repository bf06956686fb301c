"""Routing: which team's queue takes a ticket, from the support lead's file
`policies/support_routing.yaml` (intent → team; each team's queue name)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.spec import AgentContext
from agents.structured import validation_errors
from schemas.result import Outcome
from schemas.support_triage import INTENTS, Route, RouteRequest

ROUTING_FILE = Path(__file__).resolve().parents[2] / "policies" / "support_routing.yaml"


class Team(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue: str = Field(min_length=1)
    handles: str = Field(min_length=1)


class RoutingTable(BaseModel):
    """The routing file: its owner, the teams, and the team of every intent."""

    model_config = ConfigDict(extra="forbid")

    owner: str = Field(min_length=1)
    teams: dict[str, Team] = Field(min_length=1)
    routes: dict[str, str]


class RoutingError(ValueError):
    """A routing file that cannot be used; the message names the file and what is wrong."""


def load_routing(path: Path = ROUTING_FILE) -> RoutingTable:
    """Read and check a routing file: every one of the 77 intents routed, to a listed team."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        table = RoutingTable.model_validate(raw)
    except (OSError, yaml.YAMLError) as error:
        raise RoutingError(f"{path}: cannot read the routing file: {error}") from error
    except ValidationError as error:
        raise RoutingError(f"{path}: {validation_errors(error)}") from error
    unknown = sorted(set(table.routes) - set(INTENTS))
    if unknown:
        raise RoutingError(f"{path}: routes name unknown intents {unknown}")
    missing = [intent for intent in INTENTS if intent not in table.routes]
    if missing:
        raise RoutingError(f"{path}: intents {missing} are not routed to any team")
    teams = {intent: team for intent, team in table.routes.items() if team not in table.teams}
    if teams:
        raise RoutingError(
            f"{path}: routes to teams that are not listed under teams: {teams} "
            f"(teams: {', '.join(table.teams)})"
        )
    return table


@cache
def routing_table() -> RoutingTable:
    return load_routing()


def route_for(intent: str, request: RouteRequest, table: RoutingTable | None = None) -> Route:
    """The route of `intent` (decided as `request` says)."""
    table = table or routing_table()
    team = table.routes[intent]
    return Route(
        intent=intent,
        team=team,
        queue=table.teams[team].queue,
        decided_by=request.decided_by,
        confidence=request.confidence,
        provisional=not request.settled,
    )


def route_ticket(request: RouteRequest, context: AgentContext) -> Route | Outcome:
    """The team for the decided (or, while a person must still decide, the suggested) intent;
    `empty` when there is no intent at all (every classifier failed)."""
    if request.intent is None:
        return Outcome.empty("no intent to route: no classifier could vote; a person chooses it")
    return route_for(request.intent, request)
