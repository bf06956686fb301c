"""`baton audit export`: the trace store as JSON Lines an auditor can keep."""

# No `from __future__ import annotations`: see graphs/cli/app.py (typer reads the annotations).

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from graphs.cli.app import BadInput, _declared, _url, app, errors, handles_errors
from graphs.cli.since import SINCE_HELP, parse_since

audit = typer.Typer(
    name="audit",
    help="The audit trail: every event, with who did what, when and why.",
    no_args_is_help=True,
    rich_markup_mode=None,  # as the app's: click's plain help
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
    from checkpoints.trace_store import TraceStore
    from graphs.kit.audit import audit_records

    start = parse_since(since) if since is not None else None
    if workflow is not None:
        _declared(workflow)
    url = _url()
    TraceStore(url)  # a database that cannot be opened fails here, before the file is created
    if output is not None and output.is_dir():
        raise BadInput(f"--output {output}: is a folder, not a file")
    records = audit_records(url, start, workflow, actions_only=actions_only)
    if output is None:
        events, actions = _write(records, sys.stdout)
        errors.print(f"exported {events} event(s), {actions} of them people's actions")
        return
    # Written beside the file and moved over it once complete: a failure part-way leaves an
    # earlier export as it was, never a file that looks whole and is not.
    partial = output.with_name(f".{output.name}.partial")
    try:
        with partial.open("w", encoding="utf-8") as target:
            events, actions = _write(records, target)
        partial.replace(output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    errors.print(f"exported {events} event(s), {actions} of them people's actions to {output}")


def _write(records: Iterator[dict[str, Any]], target: TextIO) -> tuple[int, int]:
    """Write the records as JSON Lines; how many, and how many are people's actions."""
    import json

    events = actions = 0
    try:
        for record in records:
            target.write(json.dumps(record, sort_keys=True, ensure_ascii=False, default=str))
            target.write("\n")
            events += 1
            actions += record["human_action"] is not None
        target.flush()
    except BrokenPipeError:  # `baton audit export | head`: the reader stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None
    return events, actions
