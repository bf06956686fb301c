"""`baton`: run, review, inspect, roll back and trace workflow threads from the command line.

Exit codes: 0 success; 2 bad input (unknown workflow or thread, unreadable file, invalid JSON, a
contract violation in the input — the message names the field); 1 internal error, and for
`handoffs --diff` a change that breaks a consumer.

Start-up is lazy: this module imports typer and little else, and each command imports what it
uses (LangGraph and a workflow's agents for `status THREAD`, the database layer for `queue` and
`trace`, rich for what it prints), so `baton --help` does not load the platform and a command
loads only the workflow it is about. (The command modules leave out `from __future__ import
annotations`: typer reads every command's annotations at each start, and it would evaluate
string annotations, twice each, adding about a quarter of typer's own import time to `--help`.)
"""

import functools
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar, cast

import typer

from graphs.cli.errors import BadInput
from graphs.kit.errors import StaleReviewPacket, UnknownThread, UnknownWorkflow
from graphs.kit.workflows import all_workflows, get_workflow, workflow_names

if TYPE_CHECKING:
    from rich.console import Console

    from graphs.kit.contracts import ContractViolation
    from graphs.kit.declaration import Workflow
    from graphs.kit.runtime import RunReport, WaitingGate, WorkflowRun
    from schemas.review import QueuedCase

app = typer.Typer(
    name="baton",
    help="Governed multi-agent workflows: run, review, roll back and trace.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # click's plain help and errors: rich is not loaded to show them
)


class _LazyConsole:
    """A rich console made when first used, so that a command that prints nothing with it (and
    `--help`) does not load rich. It is made again when COLUMNS or LINES has changed since, so
    that each command is sized by the environment it runs in, not the one of the first command
    in this process."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None
        self._size: tuple[int | None, int | None] = (None, None)

    def __getattr__(self, name: str) -> Any:
        size = (_size_variable("COLUMNS"), _size_variable("LINES"))
        if self._console is None or size != self._size:
            from rich.console import Console

            self._console = Console(**self._options)
            self._size = size
        return getattr(self._console, name)


def _size_variable(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value is not None and value.isdigit() else None


console = cast("Console", _LazyConsole())
errors = cast("Console", _LazyConsole(stderr=True))


def escape(markup: str) -> str:
    """`rich.markup.escape`, loading rich when first asked."""
    from rich.markup import escape as escaped

    return escaped(markup)


def open_workflow(
    name: "str | Workflow", database_url: str | None = None, *, reading_only: bool = False
) -> "AbstractContextManager[WorkflowRun]":
    """`graphs.kit.runtime.open_workflow` (the runtime, and LangGraph, load when a command first
    opens a workflow)."""
    from graphs.kit.runtime import open_workflow as opened

    return opened(name, database_url, reading_only=reading_only)


F = TypeVar("F", bound=Callable[..., Any])

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]
WORKFLOWS = f"One of: {', '.join(workflow_names())}"
"""Help text naming the workflows (listed from the package's directory: nothing is imported)."""
WorkflowArgument = Annotated[str, typer.Argument(help=WORKFLOWS)]
SomeWorkflowArgument = Annotated[str | None, typer.Argument(help=f"{WORKFLOWS} (default: all)")]


CORRECTABLE = (
    ("graphs.cli.errors", "BadInput"),
    ("agents.models", "ModelSettingsError"),
    ("checkpoints.settings", "SettingsError"),
    ("graphs.kit.errors", "RequestError"),
    ("graphs.kit.contracts", "ContractViolation"),
    ("checkpoints.rollback", "RollbackError"),
    ("graphs.kit.policy", "PolicyError"),
    ("checkpoints.database", "DatabaseURLError"),
)
"""Errors the user can correct: exit code 2. Anything else is an internal error (exit code 1).
Named by module and class, so that checking an error imports nothing: an error can be one of
them only if its module was loaded."""


def _loaded_class(module: str, name: str) -> type | None:
    """The class `name` of `module` if that module is loaded (never importing it)."""
    found = getattr(sys.modules.get(module), name, None)
    return found if isinstance(found, type) else None


def _correctable(error: Exception) -> bool:
    return any(
        (kind := _loaded_class(module, name)) is not None and isinstance(error, kind)
        for module, name in CORRECTABLE
    )


class _State:
    database_url: str | None = None


@app.callback()
def main(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="memory://, sqlite:///path or postgresql://… "
            "(default: BATON_DATABASE_URL, else sqlite:///.baton/baton.db)",
        ),
    ] = None,
) -> None:
    """Baton command line."""
    _State.database_url = database_url


def handles_errors(command: F) -> F:
    """Map failures to exit codes: 2 for bad input (with what and where), 1 for internal errors."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        as_json = bool(kwargs.get("as_json"))
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except StaleReviewPacket as error:  # with the packet the case shows now
            _fail(2, str(error), as_json, "packet", {"packet": error.packet})
        except Exception as error:
            if _correctable(error):
                _fail(2, str(error), as_json, _field_of(error))
            _fail(1, f"internal error: {type(error).__name__}: {error}", as_json)

    return wrapper  # type: ignore[return-value]


def _field_of(error: Exception) -> str | None:
    """The field an error is about, when it names one."""
    field = getattr(error, "field", None)
    if field:
        return str(field)
    violation = _loaded_class("graphs.kit.contracts", "ContractViolation")
    if violation is not None and isinstance(error, violation):
        listed = cast("ContractViolation", error).errors
        if listed:
            return listed[0].split(":", 1)[0]
    return None


def _fail(
    code: int,
    message: str,
    as_json: bool = False,
    field: str | None = None,
    details: dict[str, Any] | None = None,
) -> NoReturn:
    """Say what went wrong on stderr, and with --json as one JSON object on stdout too."""
    if as_json:
        _emit_json({"error": message, "field": field, "exit_code": code, **(details or {})})
    errors.print(
        f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True
    )
    raise typer.Exit(code)


def _url() -> str:
    from checkpoints.database import parse_database_url
    from checkpoints.settings import database_url as configured_database_url

    url = configured_database_url(_State.database_url)
    parse_database_url(url)
    return url


def read_json_file(path: Path, what: str) -> Any:
    """A JSON file's content, or BadInput naming the file and what is wrong with it."""
    import json

    from graphs.kit.inputs import MAX_DEPTH, InputRejected, check_json_text

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BadInput(
            f"cannot read {what} file {str(path)!r}: {error.strerror or error}"
        ) from error
    except UnicodeDecodeError as error:
        raise BadInput(
            f"{what} file {str(path)!r} is not UTF-8 text (byte {error.start}: {error.reason})"
        ) from error
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadInput(
            f"{what} file {str(path)!r} is not valid JSON: {error.msg} at line {error.lineno} "
            f"column {error.colno}"
        ) from error
    except RecursionError:
        raise BadInput(
            f"{what} file {str(path)!r}: JSON nested more than {MAX_DEPTH} levels deep"
        ) from None
    except ValueError as error:  # an integer past Python's digit limit
        raise BadInput(f"{what} file {str(path)!r} is not valid JSON: {error}") from None
    try:
        return check_json_text(parsed, where="")
    except InputRejected as error:
        raise BadInput(f"{what} file {str(path)!r}: {error}") from None


def _declared(workflow: str) -> "Workflow":
    """The declaration of `workflow`; BadInput naming the known ones when there is none."""
    try:
        return get_workflow(workflow)
    except UnknownWorkflow as error:
        raise BadInput(str(error)) from None


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadInput(f"{what} must be a JSON object, not {type(value).__name__}")
    return value


@contextmanager
def _thread_workflow(thread_id: str, *, reading_only: bool = False) -> "Iterator[WorkflowRun]":
    from checkpoints.trace_store import TraceStore

    url = _url()
    known = TraceStore(url).thread(thread_id)
    if known is None:
        raise UnknownThread(f"no thread {thread_id!r} in this database ({_safe(url)})")
    with open_workflow(known["workflow"], url, reading_only=reading_only) as workflow:
        yield workflow


@contextmanager
def _progress(message: str, quiet: bool) -> Iterator[None]:
    if quiet or not console.is_terminal:
        yield
        return
    with console.status(message):
        yield


def _safe(url: str) -> str:
    from checkpoints.database import parse_database_url

    parsed = parse_database_url(url)
    return url if parsed.kind != "postgres" else url.split("@")[-1]


def _program() -> str:
    """How the user should type this command again (`baton` when it is on PATH)."""
    import shutil

    invoked = Path(sys.argv[0])
    found = shutil.which("baton")
    if invoked.name != "baton" or (found and Path(found).resolve() == invoked.resolve()):
        return "baton"
    try:
        return str(invoked.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(invoked)


WIDE = 120
"""Terminal columns from which lists are tables; narrower, one wrapped block per row."""


def _emit_json(value: Any) -> None:
    import json

    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def _show_report(report: "RunReport", as_json: bool) -> None:
    from rich.panel import Panel

    from graphs.kit.runtime import WaitingGate

    if as_json:
        _emit_json(report.as_json())
        return
    colour = {"completed": "green", "awaiting_review": "yellow"}.get(report.status, "red")
    lines = [
        f"thread  [bold]{escape(report.thread_id)}[/]",
        f"status  [bold {colour}]{report.status}[/]",
    ]
    if report.problem:
        lines.append(f"[bold red]problem[/] {escape(report.problem)}")
    if report.decision:
        lines.append(
            f"outcome [bold]{report.decision.get('outcome')}[/] "
            f"(decided by {escape(str(report.decision.get('decided_by')))})"
        )
        if report.decision.get("queue"):
            lines.append(
                f"route   {escape(str(report.decision.get('intent')))} → "
                f"{escape(str(report.decision['queue']))}"
            )
        quote = report.decision.get("quote")
        if quote and "quote" not in report.summary:
            lines.append(
                f"quote   {quote['annual_premium']:,.2f} {quote['currency']} a year, "
                f"limit {quote['limit']:,.0f}, deductible {quote['deductible']:,.0f}"
            )
    width = max((len(label) for label in report.summary), default=0)
    for label, text in report.summary.items():
        lines.append(f"{escape(label):<{width}} {escape(text)}")
    console.print(Panel("\n".join(lines), title=f"baton · {report.workflow}", expand=False))
    gates = report.waiting or (
        [WaitingGate("", None, str(report.packet.get("gate")), report.packet)]
        if report.packet
        else []
    )
    if len(gates) > 1:
        console.print(f"[bold]Waiting at {len(gates)} review gates[/] (answer each on its own):")
        for gate in gates:
            console.print(f"  · {escape(gate.describe())}", highlight=False, soft_wrap=True)
    for gate in gates:
        _show_packet(report, gate, _selector(gate, gates))
    if report.decision and report.decision.get("reasons"):
        for reason in report.decision["reasons"]:
            console.print(f"  · {escape(reason)}", highlight=False)
    if report.status == "incomplete" and not _in_memory():
        console.print(
            f"Stopped before {', '.join(report.next)}; continue with "
            f"[bold]{_program()} run {report.workflow} INPUT --thread-id {report.thread_id}[/]"
        )
    if report.status in ("awaiting_review", "incomplete") and _in_memory():
        console.print(
            "[yellow]memory://: this thread is gone when the command ends, so there is nothing "
            "to continue; use sqlite:///path or postgresql://… to keep it[/]"
        )


def _selector(gate: "WaitingGate", gates: "list[WaitingGate]") -> str:
    """What `baton review` needs besides the thread to answer `gate` (nothing when it is the
    only one waiting): its department, or its interrupt id where the department does not say."""
    if len(gates) < 2:
        return ""
    if gate.department and [g.department for g in gates].count(gate.department) == 1:
        return f" --department {gate.department}"
    return f" --interrupt {gate.interrupt_id}"


def _show_packet(report: "RunReport", gate: "WaitingGate", selector: str) -> None:
    """One waiting gate's packet: what is asked, why it stopped, and how to answer it."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    packet = gate.packet
    if selector:
        console.print(f"\n[bold]── {escape(gate.describe())}[/]", highlight=False, soft_wrap=True)
    bound = f" --packet {packet['packet_hash'][:12]}" if packet.get("packet_hash") else ""
    target = f"{escape(report.thread_id)}{escape(selector)}"
    console.print(
        f"[bold]{escape(packet['subject'])}[/]  agents recommend: [bold]{packet['recommendation']}[/]"
        + (f"  packet {packet['packet_hash'][:12]}" if bound else "")
    )
    ballot = (packet.get("evidence") or {}).get("ballot")
    if isinstance(ballot, dict):
        votes = Table("voter", "vote", "confidence", "evidence", title="Ballot")
        for vote in ballot.get("votes") or []:
            counted = vote.get("status") == "counted"
            votes.add_row(
                escape(str(vote.get("voter"))),
                escape(str(vote.get("label"))) if counted else vote.get("status", ""),
                f"{vote['confidence']:.2f}" if counted else "",
                escape("; ".join(vote.get("evidence") or [vote.get("reason") or ""])[:160]),
            )
        console.print(votes)
        combined = ballot.get("combined") or []
        if combined:
            weighed = ", ".join(
                f"{escape(str(c.get('label')))} {float(c.get('probability') or 0):.2f}"
                for c in combined[:3]
            )
            console.print(
                f"Soft vote ({escape(str(ballot.get('outcome')))}): {weighed}", highlight=False
            )
    table = Table("rule", "why it stopped", title="Review reasons", show_lines=False)
    for reason in packet.get("reasons", []):
        table.add_row(escape(reason["rule"]), escape(reason["detail"]))
    console.print(table)
    summary = packet.get("summary")
    if summary:
        text = summary.get("text") or f"(no summary: {summary.get('error')})"
        console.print(
            Panel(
                Text(text),
                title=escape(f"generated by {summary['model']}"),
                subtitle=summary["notice"],
            ),
            highlight=False,
        )
    for refusal in packet.get("refused", []):
        console.print(f"[red]previous answer refused:[/] {escape(refusal)}")
    waiting = packet.get("awaiting_second_review")
    if waiting and not _in_memory():
        first = waiting["first"]
        console.print(
            f"[yellow]{escape(first['reviewer'])} chose {first['action']}; a second reviewer "
            f"must confirm it ({escape(waiting['why'])}).[/] Confirm with the same "
            f'answer as another reviewer, e.g. [bold]BATON_REVIEWER="NAME" {_program()} '
            f"review {target} --{first['action']}"
            + (" FILE" if first["action"] == "amend" else "")
            + f"{bound}[/], or --reject or --refer"
        )
    elif not _in_memory():
        # Against the agents' advice (or without it) an approval usually needs a why.
        needs_note = ' --note "WHY"' if packet.get("recommendation") != "approve" else ""
        amendable = ", ".join(packet["amendable_fields"])
        amend = f", or --amend FILE with any of {amendable}" if amendable else ""
        console.print(
            f"Continue with: [bold]{_program()} review {target} --approve{bound} "
            f'--reviewer "YOUR NAME"{needs_note}[/] (or --reject, --refer{amend}; without '
            "--reviewer: BATON_REVIEWER, else your user name; --packet names the packet shown "
            "here, and a case that changed since refuses the decision)"
        )


def _in_memory() -> bool:
    from checkpoints.database import parse_database_url
    from checkpoints.settings import database_url as configured_database_url

    return parse_database_url(configured_database_url(_State.database_url)).kind == "memory"


@app.command()
@handles_errors
def run(
    workflow: WorkflowArgument,
    input_file: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT",
            help="The input JSON file, or a .txt or .pdf document for a workflow that reads "
            "documents (its declaration's document_reader).",
        ),
    ],
    thread_id: Annotated[
        str | None,
        typer.Option("--thread-id", help="Thread to start, or to resume if it stopped part-way."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Run WORKFLOW on INPUT until it finishes or stops at a review gate."""
    entry = _declared(workflow)
    if thread_id is not None:
        from graphs.kit.inputs import check_thread_id

        check_thread_id(thread_id)
    if input_file.suffix.lower() == ".json":
        submission = _object(read_json_file(input_file, "input"), f"input {str(input_file)!r}")
    else:
        try:
            submission = entry.read_document(input_file)
        except ValueError as error:
            raise BadInput(str(error)) from None
    if entry.trainer is not None:
        with _progress(f"training {workflow}'s classifiers (first run only; cached)…", as_json):
            _train(entry, None, force=False)
    with open_workflow(workflow, _url()) as flow, _progress(f"running {workflow}…", as_json):
        report = flow.start(submission, thread_id=thread_id, base=input_file.parent)
    _show_report(report, as_json)


def _train(entry: "Workflow", data: Path | None, *, force: bool) -> dict[str, Any] | None:
    try:
        return entry.train(data, force=force)
    except ValueError as error:
        raise BadInput(str(error)) from None


@app.command()
@handles_errors
def train(
    workflow: Annotated[str, typer.Argument(help="A workflow whose agents learn from data.")],
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            metavar="CSV",
            help="Training data. Support triage: a text,category CSV whose categories are the "
            "intents, each routed by the routing file (default: "
            "BATON_SUPPORT_TRIAGE_TRAINING_DATA, else the shipped Banking77 training split). "
            "Contract review: a contract,text,categories CSV of labelled sentences (default: "
            "BATON_CONTRACT_REVIEW_CLAUSE_TRAINING_DATA, else the shipped CUAD sentences).",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Train again even when cached.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Train WORKFLOW's classifiers on CSV and cache them (reproducible: seeded, keyed by the
    data's hash), so runs load them instead of training."""
    entry = _declared(workflow)
    trainable = [w.name for w in all_workflows() if w.trainer is not None]
    if entry.trainer is None:
        raise BadInput(f"{workflow} has nothing to train (trainable: {', '.join(trainable)})")
    with _progress(f"training {workflow}…", as_json):
        report = _train(entry, data, force=force) or {}
    if as_json:
        _emit_json(report)
        return
    state = (
        "already trained (cached)"
        if report.get("cached")
        else f"trained in {report.get('seconds')} s"
    )
    trained_on = report.get("summary") or (
        f"{report.get('rows')} messages, {report.get('intents')} intents"
    )
    console.print(
        f"{workflow}: {state} on {escape(str(report.get('source')))} ({escape(trained_on)})"
    )
    answered = report.get("held_out_answered") or {}
    for name, accuracy in (report.get("held_out_accuracy") or {}).items():
        share = answered.get(name.removesuffix(" (held out)"), 1.0)
        if share == 0:
            console.print(f"  · {name}: answered no message (it abstains on every one)")
        elif share < 1:
            console.print(f"  · {name}: accuracy {accuracy:.1%} (answered {share:.1%})")
        else:
            console.print(f"  · {name}: accuracy {accuracy:.1%}")
    weights = report.get("soft_vote_weights") or {}
    if weights:
        shown = ", ".join(f"{name} {weight:g}" for name, weight in weights.items())
        console.print(f"  · soft vote weights: {escape(shown)}")
    if report.get("note"):
        console.print(f"[yellow]note:[/yellow] {escape(str(report['note']))}")


@app.command()
@handles_errors
def review(
    thread_id: Annotated[str, typer.Argument(metavar="THREAD")],
    approve: Annotated[bool, typer.Option("--approve", help="Approve the case.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reject (decline) the case.")] = False,
    refer: Annotated[
        bool, typer.Option("--refer", help="Send the case to the referral desk.")
    ] = False,
    amend: Annotated[
        Path | None,
        typer.Option("--amend", metavar="FILE", help="Approve with corrections from a JSON file."),
    ] = None,
    reviewer: Annotated[
        str | None,
        typer.Option(
            "--reviewer", help="Who decides (default: BATON_REVIEWER, else your user name)."
        ),
    ] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    department: Annotated[
        str | None,
        typer.Option(
            "--department",
            metavar="NAME",
            help="Where several gates wait (departments of a hierarchy): the department whose "
            "gate to answer (`baton status THREAD` lists them).",
        ),
    ] = None,
    interrupt: Annotated[
        str | None,
        typer.Option(
            "--interrupt",
            metavar="ID",
            help="Where several gates wait: the interrupt id of the gate to answer.",
        ),
    ] = None,
    packet: Annotated[
        str | None,
        typer.Option(
            "--packet",
            metavar="HASH",
            help="The packet you decided on (its hash, as `baton status` shows it): refused, "
            "with the new packet shown, when the case changed since.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Answer THREAD's review gate: --approve, --reject, --refer or --amend FILE (with
    --department NAME or --interrupt ID where several gates wait; --packet HASH binds the
    decision to the packet you read)."""
    chosen = [
        name
        for name, on in (
            ("approve", approve),
            ("reject", reject),
            ("refer", refer),
            ("amend", amend is not None),
        )
        if on
    ]
    if len(chosen) != 1:
        raise BadInput("give exactly one of --approve, --reject, --refer, --amend FILE")
    who, how = _identity(reviewer, "BATON_REVIEWER")
    decision: dict[str, Any] = {
        "action": chosen[0],
        "reviewer": who,
        "identified_by": how,
    }
    if not as_json:
        errors.print(f"reviewing as {escape(who)} ({how})", highlight=False)
    if note:
        decision["note"] = note
    if amend is not None:
        decision["corrections"] = _object(read_json_file(amend, "corrections"), "corrections")
    if packet is not None:
        from schemas.review import PACKET_REF

        decision["packet"] = packet.strip().lower()
        if re.fullmatch(PACKET_REF, decision["packet"]) is None:
            raise BadInput(
                f"--packet {packet!r}: a packet hash is 12 to 64 hex characters "
                f"(`{_program()} status {thread_id}` shows it)"
            )
    with _thread_workflow(thread_id) as flow, _progress("resuming…", as_json):
        try:
            report = flow.resume(thread_id, decision, interrupt_id=interrupt, department=department)
        except StaleReviewPacket as stale:
            if not as_json:  # the reviewer sees what the case shows now
                from graphs.kit.runtime import WaitingGate

                gate = WaitingGate("", department, str(stale.packet.get("gate")), stale.packet)
                _show_packet(flow.report(thread_id), gate, _selector_of(department, interrupt))
            raise
    _show_report(report, as_json)


def _selector_of(department: str | None, interrupt: str | None) -> str:
    if department:
        return f" --department {department}"
    return f" --interrupt {interrupt}" if interrupt else ""


@app.command()
@handles_errors
def status(
    thread_id: Annotated[str | None, typer.Argument(metavar="[THREAD]")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Where THREAD stands; without THREAD, recent threads and how often reviewers agreed."""
    if thread_id is not None:
        with _thread_workflow(thread_id, reading_only=True) as flow:
            _show_report(flow.report(thread_id), as_json)
        return
    from checkpoints.ledger import SideEffectLedger
    from checkpoints.trace_store import TraceStore
    from graphs.kit.review_gate import agreement_rates

    url = _url()
    threads = TraceStore(url).list_threads()
    gates = agreement_rates(SideEffectLedger(url))
    if as_json:
        _emit_json({"threads": threads, "review_gates": gates})
        return
    from rich.table import Table

    if console.width < WIDE:
        console.print("[bold]Threads[/]")
        for row in threads:  # one block each: ids whole (they are what other commands take)
            console.print(escape(row["thread_id"]), style="bold", soft_wrap=True)
            console.print(
                f"  {row['workflow']} · {escape(row['subject'] or '')} · {row['status']} · "
                f"{str(row['updated_at'])[:19]}",
                soft_wrap=False,
            )
    else:
        table = Table(title="Threads")
        table.add_column("thread", no_wrap=True)
        for column in ("workflow", "subject", "status", "updated"):
            table.add_column(column, overflow="fold")
        for row in threads:
            table.add_row(
                escape(row["thread_id"]),
                row["workflow"],
                escape(row["subject"] or ""),
                row["status"],
                str(row["updated_at"])[:19],
            )
        console.print(table)
    if gates:
        stats = Table("workflow", "gate", "decisions", "agreed with agents", title="Review gates")
        for entry in gates.values():
            stats.add_row(
                str(entry["workflow"]),
                entry["gate"],
                str(entry["decisions"]),
                "n/a" if entry["agreement"] is None else f"{entry['agreement']:.0%}",
            )
        console.print(stats)


def _waiting_for_second(case: "QueuedCase") -> list[str]:
    return [f"⧗ {case.awaiting_second_review}"] if case.awaiting_second_review else []


@app.command()
@handles_errors
def queue(
    workflow: Annotated[
        str | None,
        typer.Argument(metavar="[WORKFLOW]", help=WORKFLOWS),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The cases waiting for a person, oldest first, and why each waits (decide one with
    `baton review THREAD`)."""
    from checkpoints.human_queue import HumanQueue

    if workflow is not None:
        _declared(workflow)
    # graphs.kit.runtime.queued_cases, without loading the runtime (and LangGraph)
    cases = HumanQueue(_url()).waiting(workflow)
    if as_json:
        _emit_json({"queue": [case.model_dump(mode="json") for case in cases]})
        return
    if not cases:
        console.print(f"No case is waiting for review{f' in {workflow}' if workflow else ''}.")
        return
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    departments = any(case.department for case in cases)
    if console.width < WIDE:
        console.print(f"[bold]Human queue[/] ({len(cases)} waiting, oldest first)")
        for case in cases:  # one block each, wrapped, never truncated
            console.print(
                f"{case.queued_at[:19].replace('T', ' ')}  {case.workflow}  "
                f"[bold]{escape(case.thread_id)}[/]"
                + (f"  department {escape(case.department)}" if case.department else "")
            )
            console.print(Padding(Text(case.subject), (0, 0, 0, 2)))
            for reason in case.reasons:
                console.print(Padding(Text(f"· {reason}"), (0, 0, 0, 2)))
            if case.awaiting_second_review:
                console.print(Padding(Text(f"⧗ {case.awaiting_second_review}"), (0, 0, 0, 2)))
    else:
        table = Table(title="Human queue")
        table.add_column("queued")
        table.add_column("thread", no_wrap=True)  # shown whole: it is what review takes
        columns = ("workflow", "department", "case", "why it waits")
        for column in columns if departments else ("workflow", "case", "why it waits"):
            table.add_column(column, overflow="fold")
        for case in cases:
            table.add_row(
                case.queued_at[:19].replace("T", " "),
                escape(case.thread_id),
                case.workflow,
                *([escape(case.department or "")] if departments else []),
                escape(case.subject),
                escape("\n".join([*case.reasons, *_waiting_for_second(case)])),
            )
        console.print(table)
    console.print(
        f"Decide one with [bold]{_program()} review THREAD --approve|--reject|--refer|--amend FILE[/]"
        + (
            " (a department's case: add [bold]--department NAME[/] where several gates of the "
            "thread wait)"
            if departments
            else ""
        )
    )


@app.command()
@handles_errors
def prune(
    older_than: Annotated[
        float,
        typer.Option(
            "--older-than",
            metavar="DAYS",
            min=0,
            help="Prune threads that completed at least this many days ago.",
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the threads; change nothing.")
    ] = False,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Who prunes (default: BATON_OPERATOR, else your user name)."),
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in the trace).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Drop the intermediate checkpoints of completed threads, keeping each one's final state,
    decision and trace (`baton history` and `baton rollback` then refuse those threads, saying so;
    `baton trace` still shows every step, and a `prune` event with who, when and why)."""
    from graphs.kit.inputs import check_json_text
    from graphs.kit.retention import prune_finished

    url = _url()
    check_json_text({"by": by, "reason": reason}, where="")
    who, how = _identity(by, "BATON_OPERATOR")
    with _progress("pruning…", as_json):
        result = prune_finished(
            url,
            timedelta(days=older_than),
            dry_run=dry_run,
            by=who,
            identified_by=how,
            reason=reason,
        )
    counts = result.counts
    if as_json:
        _emit_json(
            {
                "dry_run": dry_run,
                "threads": result.threads,
                "rows_before": counts.before if counts else None,
                "rows_after": counts.after if counts else None,
            }
        )
        return
    verb = "would prune" if dry_run else "pruned"
    console.print(f"{verb} {len(result.threads)} completed thread(s) in {escape(_safe(url))}")
    if counts is not None and counts.before:
        from rich.table import Table

        table = Table(
            "table", "rows before", "rows after", title="Checkpoint rows of those threads"
        )
        for name, before in counts.before.items():
            table.add_row(name, str(before), str(counts.after.get(name, 0)))
        console.print(table)


@app.command()
@handles_errors
def history(
    thread_id: Annotated[str, typer.Argument(metavar="THREAD")],
    as_json: JsonFlag = False,
) -> None:
    """THREAD's agent steps, oldest first, with status and time."""
    with _thread_workflow(thread_id, reading_only=True) as flow:
        steps = flow.steps(thread_id)
    rows = [
        {
            "step": s.step,
            "node": s.node,
            "status": _step_status(s.writes),
            "finished_at": s.finished_at.isoformat() if s.finished_at else None,
            "checkpoint_id": s.checkpoint_id,
        }
        for s in steps
    ]
    if as_json:
        _emit_json({"thread_id": thread_id, "steps": rows})
        return
    from rich.table import Table

    table = Table(
        "step",
        "node",
        "status",
        "finished",
        "checkpoint before",
        title=f"History of {escape(thread_id)}",
    )
    for row in rows:
        table.add_row(
            str(row["step"]),
            row["node"],
            row["status"] or "",
            row["finished_at"] or "",
            row["checkpoint_id"],
        )
    console.print(table)


def _step_status(writes: dict[str, Any] | None) -> str | None:
    if writes is None:
        return "pending"
    for value in writes.values():
        if isinstance(value, dict) and "status" in value and "agent" in value:
            return str(value["status"])
    return "done"


@app.command()
@handles_errors
def rollback(
    thread_id: Annotated[str, typer.Argument(metavar="THREAD")],
    to: Annotated[
        str, typer.Option("--to", metavar="AGENT", help="Re-run from just before this agent.")
    ],
    input_file: Annotated[
        Path | None,
        typer.Option(
            "--input",
            metavar="FILE",
            help="A corrected input for AGENT (its input contract, as JSON).",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Who rolls back (default: BATON_OPERATOR, else your user name)."),
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in the trace).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Re-run AGENT and what follows it on THREAD, keeping every agent before it."""
    corrected = None
    if input_file is not None:
        corrected = _object(read_json_file(input_file, "corrected input"), "corrected input")
    from graphs.kit.inputs import check_json_text

    check_json_text({"by": by, "reason": reason}, where="")
    who, how = _identity(by, "BATON_OPERATOR")
    with _thread_workflow(thread_id) as flow, _progress(f"re-running from {to}…", as_json):
        report = flow.rollback(thread_id, to, corrected, by=who, identified_by=how, reason=reason)
    _show_report(report, as_json)


def _identity(given: str | None, variable: str) -> tuple[str, str]:
    """Who acts on the command line, and how that was established: the option, else the
    variable, else the operating system's user."""
    if given is not None:  # an empty name is refused by the decision's contract, not replaced
        return given, "command-line option"
    if os.environ.get(variable):
        return os.environ[variable], variable
    import getpass

    return getpass.getuser(), "operating-system user"


@app.command()
@handles_errors
def trace(
    thread_id: Annotated[str, typer.Argument(metavar="THREAD")],
    as_json: JsonFlag = False,
) -> None:
    """THREAD's run reconstructed step by step from the trace store; a debate (a mesh's) is
    then replayed round by round, post by post."""
    from checkpoints.trace_store import TraceStore

    url = _url()
    store = TraceStore(url)
    if store.thread(thread_id) is None:
        raise UnknownThread(f"no thread {thread_id!r} in this database ({_safe(url)})")
    events = store.events(thread_id)
    if as_json:
        _emit_json({"thread_id": thread_id, "events": [e.model_dump(mode="json") for e in events]})
        return
    from rich.table import Table

    from graphs.cli.trace_view import debate_rounds, event_summary

    table = Table(
        "#", "time", "event", "node", "what happened", title=f"Trace of {escape(thread_id)}"
    )
    for event in events:
        table.add_row(
            str(event.seq),
            event.at.strftime("%H:%M:%S.%f")[:-3],
            event.kind.value,
            event.node or "",
            escape(event_summary(event)),
        )
    console.print(table)
    for round_, lines in debate_rounds(events):
        console.print(f"[bold]Round {round_}[/bold]")
        for line in lines:
            console.print(f"  {escape(line)}")


@app.command()
@handles_errors
def agents(as_json: JsonFlag = False) -> None:
    """Every agent of every workflow: owner, version, contracts and implementations."""
    rows: list[dict[str, Any]] = [
        {
            "workflow": declared.name,
            "agent": spec.name,
            "owner": spec.owner.team,
            "contact": spec.owner.contact,
            "version": spec.version,
            "input": spec.input_contract.__name__,
            "output": spec.output_contract.__name__,
            "implementations": [f"{impl.name} ({impl.kind})" for impl in spec.implementations],
            "description": spec.description,
        }
        for declared in all_workflows()
        for spec in declared.agents
    ]
    if as_json:
        # With the JSON Schema of what each agent reads and writes: what a `rollback --input`
        # file must keep.
        specs = {(w.name, spec.name): spec for w in all_workflows() for spec in w.agents}
        for row in rows:
            spec = specs[(row["workflow"], row["agent"])]
            row["input_schema"] = spec.input_contract.model_json_schema()
            row["output_schema"] = spec.output_contract.model_json_schema()
        _emit_json({"agents": rows})
        return
    from rich.table import Table

    table = Table(
        "workflow", "agent", "owner", "version", "reads → writes", "implementations", title="Agents"
    )
    for row in rows:
        table.add_row(
            row["workflow"],
            row["agent"],
            f"{row['owner']}\n{row['contact']}",
            row["version"],
            f"{row['input']} → {row['output']}",
            "\n".join(row["implementations"]),
        )
    console.print(table)


@app.command()
@handles_errors
def gates(
    workflow: SomeWorkflowArgument = None,
    as_json: JsonFlag = False,
) -> None:
    """How reviewers decided the cases each review rule stopped, per workflow and gate: their
    decisions, agreement with the agents' recommendation, its Wilson lower bound, and whether the
    rule qualifies for automation against the owner's thresholds (`automation:` in the policy)."""
    from checkpoints.ledger import SideEffectLedger
    from graphs.kit.autonomy import ACTIONS, rule_statistics  # statsmodels: loaded when asked
    from graphs.kit.policy import automation_thresholds

    names = [_declared(workflow).name] if workflow else workflow_names()
    thresholds = {name: automation_thresholds(name) for name in names}
    found = rule_statistics(SideEffectLedger(_url()), thresholds, workflow)
    if as_json:
        _emit_json(
            {
                "rules": [s.as_json() for s in found],
                "thresholds": {k: v.model_dump() for k, v in thresholds.items()},
            }
        )
        return
    if not found:
        console.print("No review rule has stopped a case that a reviewer decided yet.")
        return
    from rich.table import Table

    table = Table(
        "workflow",
        "gate",
        "rule",
        "cases",
        "approve/amend/reject/refer",
        "agreed",
        "bound",
        "shadow",
        "automation",
        title="Review rules, as reviewers decided (bound: Wilson lower bound on agreement)",
    )
    for stats in found:
        table.add_row(
            escape(stats.workflow),
            escape(stats.gate),
            escape(stats.rule),
            str(stats.cases),
            "/".join(str(stats.decisions[a]) for a in ACTIONS),
            f"{stats.agreed}/{stats.compared}" if stats.compared else "—",
            f"{stats.bound:.1%}" if stats.bound is not None else "—",
            f"{stats.shadow_agreed}/{stats.shadow_cases}" if stats.shadow_cases else "—",
            "qualifies" if stats.qualifies else "not yet",
        )
    console.print(table)
    for stats in found:
        console.print(f"  · {escape(f'{stats.workflow}/{stats.gate}/{stats.rule}: {stats.why}')}")


@app.command()
@handles_errors
def backtest(
    workflow: WorkflowArgument,
    policy: Annotated[
        Path, typer.Option("--policy", help="The candidate policy file (YAML), checked first.")
    ],
    since: Annotated[
        str | None, typer.Option("--since", help="Only cases recorded on or after this date.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Replay a candidate policy over WORKFLOW's recorded cases (the agents' results as its gate
    assessed them): how many it would stop or let through, every case it treats otherwise, and
    those it would let through that a person rejected, amended or referred. Nothing is re-run
    and nothing is written."""
    from checkpoints.ledger import SideEffectLedger
    from checkpoints.trace_store import TraceStore
    from graphs.kit.autonomy import backtest as replay
    from graphs.kit.policy import load_policy

    declared = _declared(workflow)
    agents = [*declared.agents, *declared.specialists()]
    candidate = load_policy(policy, {spec.name: spec.output_contract for spec in agents})
    start = None
    if since is not None:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            raise BadInput(f"--since {since!r} is not a date (YYYY-MM-DD)") from None
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
    url = _url()
    store = TraceStore(url)
    known: dict[str, str | None] = {}

    def workflow_of(thread_id: str) -> str | None:
        if thread_id not in known:
            thread = store.thread(thread_id)
            known[thread_id] = thread["workflow"] if thread else None
        return known[thread_id]

    report = replay(SideEffectLedger(url), workflow_of, workflow, candidate, start)
    if as_json:
        _emit_json({"policy": str(policy), **report.as_json()})
        return
    console.print(
        f"{escape(workflow)} / {escape(report.gate)}: {report.cases} recorded case(s); the "
        f"policy in force stopped {report.stopped_before}. The candidate would stop "
        f"{report.would_stop}, refer {report.would_refer}, let {report.would_pass} through"
        + (
            f" and decide {report.would_automate} as the agents recommend (rules in auto)."
            if report.would_automate
            else "."
        )
    )
    for title, cases in (
        ("Cases the candidate treats otherwise", report.changed),
        (
            "Let through or automated, though a person decided otherwise",
            report.let_through,
        ),
    ):
        if not cases:
            continue
        from rich.table import Table

        table = Table("thread", "recorded", "in force", "candidate", "person", title=title)
        for case in cases:
            table.add_row(
                escape(case.thread_id),
                case.recorded_at[:19],
                case.recorded,
                case.candidate + (f" ({', '.join(case.fired)})" if case.fired else ""),
                case.person or "—",
            )
        console.print(table)


class HandoffFormat(StrEnum):
    TABLE = "table"
    MARKDOWN = "markdown"
    JSON = "json"


@app.command()
@handles_errors
def handoffs(
    workflow: SomeWorkflowArgument = None,
    output: Annotated[
        HandoffFormat,
        typer.Option(
            "--format",
            help="table; markdown (docs/handoffs.md); json (what --diff reads back)",
        ),
    ] = HandoffFormat.TABLE,
    as_json: JsonFlag = False,
    old: Annotated[
        Path | None,
        typer.Option(
            "--diff",
            metavar="OLD.json",
            help="Report what changed since that --format json export; exit code 1 when a "
            "change breaks a consumer (a field it reads removed, retyped, made optional or "
            "nullable; a handoff removed).",
        ),
    ] = None,
) -> None:
    """The handoff map: every edge between agents, the contract it carries, its JSON Schema and
    the fields of it the consumer reads (every workflow, or WORKFLOW), with a Mermaid drawing.
    With --diff OLD.json: the changes since that export, breaking ones first; exit code 1 when
    any breaks a consumer."""
    from graphs.cli.handoff_view import show_map
    from graphs.kit.handoff_doc import (
        handoff_document,
        markdown,
        single_workflow_document,
        workflow_handoffs,
    )

    if as_json and output is HandoffFormat.MARKDOWN:
        raise BadInput("--json and --format markdown: choose one")
    as_json = as_json or output is HandoffFormat.JSON
    names = [_declared(workflow).name] if workflow else workflow_names()
    if old is not None:
        if output is HandoffFormat.MARKDOWN:
            raise BadInput("--diff reports as a table or as JSON (--json), not as markdown")
        _handoff_changes(names, old, only=workflow, as_json=as_json)
    elif output is HandoffFormat.MARKDOWN:
        sys.stdout.write(markdown(handoff_document(names)))
    elif as_json:
        _emit_json(single_workflow_document(workflow) if workflow else handoff_document(names))
    else:
        for name in names:
            show_map(console, name, workflow_handoffs(name))


def _handoff_changes(names: list[str], old_file: Path, only: str | None, as_json: bool) -> None:
    """Compare the handoffs with the export `old_file`; exit code 1 when a change is breaking."""
    from graphs.cli.handoff_view import show_changes
    from graphs.kit.handoff_diff import breaking_first, diff_handoffs, exported_workflows
    from graphs.kit.handoff_doc import workflow_handoffs

    try:
        old = exported_workflows(read_json_file(old_file, "handoff map"))
        if only:
            old = {name: edges for name, edges in old.items() if name == only}
        current = {name: workflow_handoffs(name)["handoffs"] for name in names}
        changes = list(breaking_first(diff_handoffs(old, current)))
    except ValueError as error:
        raise BadInput(
            f"handoff map file {str(old_file)!r} is not a `baton handoffs --format json` "
            f"export: {error}"
        ) from None
    if as_json:
        _emit_json(
            {
                "old": str(old_file),
                "breaking": [c.as_json() for c in changes if c.breaking],
                "non_breaking": [c.as_json() for c in changes if not c.breaking],
            }
        )
    else:
        show_changes(console, changes, str(old_file))
    if any(c.breaking for c in changes):
        raise typer.Exit(1)


# Command modules register themselves on `app`: they import it, so they come last.
from graphs.cli import audit_commands, owner_commands  # noqa: E402, F401
