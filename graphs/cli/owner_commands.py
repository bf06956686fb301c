"""`baton owners` and `baton incidents`: the owner's view of operations, from the trace store."""

# No `from __future__ import annotations`: see graphs/cli/app.py (typer reads the annotations).

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from graphs.cli.app import (
    WIDE,
    WORKFLOWS,
    BadInput,
    JsonFlag,
    _declared,
    _emit_json,
    _program,
    _url,
    app,
    console,
    escape,
    handles_errors,
)
from graphs.cli.since import SINCE_HELP, parse_since

if TYPE_CHECKING:
    from schemas.operations import AgentOwnership, IncidentGroup, ReproducibleCase

DEFAULT_DAYS = 30
SHOWN_CASES = 10
"""Cases listed per incident group in the tables (`--json` lists every one)."""


@app.command()
@handles_errors
def owners(
    days: Annotated[
        int | None,
        typer.Option(
            "--days", min=1, help=f"The window: the last N days (default {DEFAULT_DAYS})."
        ),
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help=SINCE_HELP)] = None,
    as_json: JsonFlag = False,
) -> None:
    """Every agent of every workflow with its owner, contact and version, and what the trace store
    recorded of it over the window: runs, failures by error kind, fallback hops by
    implementation, mean and p95 latency, tokens."""
    if days is not None and since is not None:
        raise BadInput("give --days or --since, not both")
    from graphs.kit.operations import owner_report

    now = datetime.now(UTC)
    start = parse_since(since, now) if since else now - timedelta(days=days or DEFAULT_DAYS)
    report = owner_report(_url(), start)
    if as_json:
        _emit_json(
            {
                "since": start.isoformat(),
                "until": now.isoformat(),
                "agents": [row.model_dump(mode="json") for row in report],
            }
        )
        return
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    title = f"Agents and their owners, since {_when(start)}"
    if console.width < WIDE:
        console.print(f"[bold]{escape(title)}[/]")
        for row in report:
            console.print(
                f"[bold]{escape(_name(row))}[/] {escape(row.version or 'not declared')}  "
                f"{escape(_owner(row))}",
                highlight=False,
                soft_wrap=True,
            )
            lines = [
                f"runs {_runs(row)} · latency (mean / p95) {_latency(row)} ms · tokens "
                f"(in / out) {_tokens(row)}",
                *(f"failed: {line}" for line in _failures(row)),
                *(f"fallback: {line}" for line in _hops(row)),
            ]
            for line in lines:
                console.print(Padding(Text(line), (0, 0, 0, 2)))
        return
    table = Table(title=escape(title))
    for column in ("workflow", "agent", "owner", "version", "runs"):
        table.add_column(column, no_wrap=column == "owner", overflow="fold")
    for column in ("failures", "fallback hops", "latency ms (mean / p95)", "tokens (in / out)"):
        table.add_column(column, overflow="fold")
    for row in report:
        table.add_row(
            escape(row.workflow or "?"),
            escape(row.agent + (f"\n({row.department})" if row.department else "")),
            escape(_owner(row).replace(" <", "\n<")),
            escape(row.version or "not declared"),
            escape(_runs(row)),
            escape("\n".join(_failures(row)) or "—"),
            escape("\n".join(_hops(row)) or "—"),
            _latency(row),
            _tokens(row),
        )
    console.print(table)


@app.command()
@handles_errors
def incidents(
    workflow: Annotated[
        str | None,
        typer.Argument(metavar="[WORKFLOW]", help=WORKFLOWS),
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help=SINCE_HELP)] = None,
    as_json: JsonFlag = False,
) -> None:
    """Failed and escalated steps (every workflow, or WORKFLOW), grouped by agent and reason,
    each case with its thread, the checkpoint its step ran from, and the commands that show it
    (`baton trace`) and re-run the agent (`baton rollback THREAD --to AGENT`)."""
    if workflow is not None:
        _declared(workflow)
    start = parse_since(since) if since is not None else None
    from graphs.kit.operations import incident_report

    groups = incident_report(_url(), workflow, start)
    if as_json:
        _emit_json(
            {
                "workflow": workflow,
                "since": start.isoformat() if start else None,
                "incidents": sum(group.count for group in groups),
                "groups": [group.model_dump(mode="json") for group in groups],
            }
        )
        return
    scope = (f" in {workflow}" if workflow else "") + (f" since {_when(start)}" if start else "")
    if not groups:
        console.print(f"No failed or escalated step{escape(scope)}.")
        return
    total = sum(group.count for group in groups)
    console.print(f"[bold]{total} failed or escalated step(s){escape(scope)}[/]")
    for group in groups:
        _show_group(group)


def _show_group(group: "IncidentGroup") -> None:
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    heading = f"{group.workflow or '?'} · {group.agent} · {_reason(group)}: {group.count}"
    shown = group.cases[:SHOWN_CASES]
    if console.width < WIDE:
        console.print(f"\n[bold]{escape(heading)}[/]", highlight=False, soft_wrap=True)
        for case in shown:
            console.print(
                f"  {_when(case.at)}  [bold]{escape(case.thread_id)}[/]  checkpoint "
                f"{escape(case.checkpoint_id or '—')}",
                highlight=False,
                soft_wrap=True,
            )
            for line in [case.reason or "", *_commands(case)]:
                console.print(Padding(Text(line), (0, 0, 0, 4)))
    else:
        table = Table(title=escape(heading), title_justify="left")
        table.add_column("when")
        table.add_column("thread", overflow="fold")
        table.add_column("checkpoint before", overflow="fold")
        table.add_column("why", overflow="fold", ratio=1)
        table.add_column("reproduce", overflow="fold")
        for case in shown:
            table.add_row(
                _when(case.at),
                escape(case.thread_id),
                escape(case.checkpoint_id or "—"),
                escape(case.reason or ""),
                escape("\n".join(_commands(case))),
            )
        console.print(table)
    if len(group.cases) > len(shown):
        console.print(f"  … and {len(group.cases) - len(shown)} more (--json lists every case)")


def _commands(case: "ReproducibleCase") -> list[str]:
    """The case's commands as the user should type them here."""
    program = _program()
    commands = [case.trace, *([case.rollback] if case.rollback else [])]
    return [program + command.removeprefix("baton") for command in commands]


def _reason(group: "IncidentGroup") -> str:
    if group.status == "escalated" and group.kind:
        return f"escalated by {group.kind}"
    return group.status + (f" ({group.kind})" if group.kind else "")


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _name(row: "AgentOwnership") -> str:
    where = f"{row.workflow or '?'}/" + (f"{row.department}/" if row.department else "")
    return where + row.agent


def _owner(row: "AgentOwnership") -> str:
    if row.owner is None:
        return "no owner (not declared)"
    return f"{row.owner} <{row.contact}>"


def _runs(row: "AgentOwnership") -> str:
    if not row.runs:
        return "0"
    statuses = ", ".join(f"{status} {count}" for status, count in sorted(row.statuses.items()))
    return f"{row.runs} ({statuses})"


def _failures(row: "AgentOwnership") -> list[str]:
    return [f"{kind} {count}" for kind, count in sorted(row.failures.items())] + [
        f"raised {error} {count}" for error, count in sorted(row.errors.items())
    ]


def _hops(row: "AgentOwnership") -> list[str]:
    return [f"{hop.implementation} → {hop.to} {hop.count}" for hop in row.fallbacks]


def _latency(row: "AgentOwnership") -> str:
    if row.mean_latency_ms is None or row.p95_latency_ms is None:
        return "—"
    return f"{row.mean_latency_ms:,.1f} / {row.p95_latency_ms:,.1f}"


def _tokens(row: "AgentOwnership") -> str:
    if row.tokens is None:
        return "—"
    return f"{row.tokens.input:,} / {row.tokens.output:,} ({row.model_runs} model run(s))"
