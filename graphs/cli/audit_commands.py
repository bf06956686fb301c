"""`baton audit export`: the trace store as JSON Lines an auditor can keep."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from checkpoints.trace_store import TraceStore
from graphs.cli.app import BadInput, _declared, _url, app, errors, handles_errors
from graphs.cli.owner_commands import SINCE_HELP, parse_since
from graphs.kit.audit import audit_records

audit = typer.Typer(
    name="audit",
    help="The audit trail: every event, with who did what, when and why.",
    no_args_is_help=True,
)
app.add_typer(audit)


@audit.command("export")
@handles_errors
def export(
    since: Annotated[
        str | None,
        typer.Option("--since", help=SINCE_HELP),
    ] = None,
    workflow: Annotated[
        str | None, typer.Option("--workflow", help="Only this workflow's threads.")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write here (default: stdout)."),
    ] = None,
    actions_only: Annotated[
        bool,
        typer.Option("--actions-only", help="Only what people did (decisions, rollbacks, …)."),
    ] = False,
) -> None:
    """Write every trace event (of WORKFLOW, from --since) as JSON Lines, oldest first: each with
    when, which thread and workflow, what, and for a person's action who, how they were
    identified and why. Sensitive fields are redacted."""
    start = parse_since(since) if since is not None else None
    if workflow is not None:
        _declared(workflow)
    url = _url()
    TraceStore(url)  # a database that cannot be opened fails here, before the file is created
    if output is not None and output.is_dir():
        raise BadInput(f"--output {output}: is a folder, not a file")
    target = output.open("w", encoding="utf-8") if output is not None else sys.stdout
    events = actions = 0
    try:
        for record in audit_records(url, start, workflow, actions_only=actions_only):
            target.write(json.dumps(record, sort_keys=True, ensure_ascii=False, default=str))
            target.write("\n")
            events += 1
            actions += record["human_action"] is not None
    finally:
        if output is not None:
            target.close()
    where = f" to {output}" if output is not None else ""
    errors.print(f"exported {events} event(s), {actions} of them people's actions{where}")
