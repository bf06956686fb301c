"""Routing: which team's queue takes a ticket, from the support lead's routing file (intent →
team; each team's queue name): `policies/support_routing.yaml`, or the file
`BATON_SUPPORT_TRIAGE_ROUTING_FILE` names for a team's own intents."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.data_files import UniqueKeyLoader
from agents.spec import AgentContext
from agents.structured import validation_errors
from agents.support_triage.settings import DEFAULT_ROUTING_FILE, TriageSettings
from schemas.result import ErrorKind, Outcome
from schemas.support_triage import Route, RouteRequest

ROUTING_FILE = DEFAULT_ROUTING_FILE
"""The shipped routing file (Banking77's 77 intents)."""


class Team(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue: str = Field(min_length=1)
    handles: str = Field(min_length=1)


class RoutingTable(BaseModel):
    """The routing file: its owner, the teams, and the team of every intent."""

    model_config = ConfigDict(extra="forbid")

    owner: str = Field(min_length=1)
    teams: dict[str, Team] = Field(min_length=1)
    routes: dict[str, str] = Field(min_length=1)


class RoutingError(ValueError):
    """A routing file that cannot be used; the message names the file and what is wrong."""


def load_routing(path: Path = ROUTING_FILE, intents: Iterable[str] | None = None) -> RoutingTable:
    """Read and check a routing file: every route to a listed team and, when `intents` is given,
    every one of them routed (`check_routes`)."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=UniqueKeyLoader)
    except (OSError, yaml.YAMLError) as error:
        raise RoutingError(f"{path}: cannot read the routing file: {error}") from error
    routes = raw.get("routes") if isinstance(raw, dict) else None
    if isinstance(routes, dict):
        unnamed = [key for key in routes if not isinstance(key, str)]
        if unnamed:
            raise RoutingError(
                f"{path}: routes: keys {unnamed} are not read as intent names (YAML reads yes, "
                "no, on, off, null and bare numbers as other values): quote them, e.g. 'yes':"
            )
    try:
        table = RoutingTable.model_validate(raw)
    except ValidationError as error:
        raise RoutingError(f"{path}: {validation_errors(error)}") from error
    teams = {intent: team for intent, team in table.routes.items() if team not in table.teams}
    if teams:
        raise RoutingError(
            f"{path}: routes to teams that are not listed under teams: {teams} "
            f"(teams: {', '.join(table.teams)})"
        )
    if intents is not None:
        check_routes(table, intents, path)
    return table


def check_routes(table: RoutingTable, intents: Iterable[str], path: Path) -> None:
    """RoutingError naming every intent in `intents` that `table` (read from `path`) gives no
    team."""
    missing = [intent for intent in intents if intent not in table.routes]
    if missing:
        raise RoutingError(
            f"{path}: intents {missing} are not routed to any team: add them under routes "
            f"(teams: {', '.join(table.teams)})"
        )


def routing_file() -> Path:
    """The routing file in force (`BATON_SUPPORT_TRIAGE_ROUTING_FILE`, else the shipped one)."""
    return TriageSettings().routing_file


def routing_table() -> RoutingTable:
    """The routing file in force, read again only when it changes."""
    path = routing_file()
    try:
        stat = path.stat()
    except OSError as error:
        raise RoutingError(f"{path}: cannot read the routing file: {error.strerror}") from error
    return _table(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@cache
def _table(path: str, *stamps: int) -> RoutingTable:
    return load_routing(Path(path))


def route_for(intent: str, request: RouteRequest, table: RoutingTable | None = None) -> Route:
    """The route of `intent` (decided as `request` says); ValueError naming it when the routing
    file gives it no team."""
    table = table or routing_table()
    team = table.routes.get(intent)
    if team is None:
        raise ValueError(
            f"intent {intent!r} has no route in {routing_file()} (routed intents: "
            f"{len(table.routes)})"
        )
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
    `empty` when there is no intent at all (every classifier failed); failed, naming the intent,
    when the routing file gives it no team (the file changed after the models were trained)."""
    if request.intent is None:
        return Outcome.empty("no intent to route: no classifier could vote; a person chooses it")
    try:
        return route_for(request.intent, request)
    except RoutingError as error:
        return Outcome.failed(str(error), ErrorKind.UNAVAILABLE)
    except ValueError as error:
        return Outcome.failed(str(error), ErrorKind.CONTRACT_VIOLATION)
