"""Scale-out: several Aegra worker processes on one PostgreSQL database, driven by `langgraph_sdk`.

`python -m bench.scale_out [--workers 1 2] [--clients 1 4 16 64] [--audit-cases 500] [--json]`
(or `python bench/scale_out.py …`) provisions one fresh PostgreSQL database
(`checkpoints.provisioning`, on the server of BATON_BENCH_POSTGRES_ADMIN_URL) and serves it with
Aegra (`uvicorn aegra_api.main:app --workers N`), API keys on, for each worker count in turn: the
first server (one process) makes Aegra's tables, the next ones start their workers on a database
that has them, as a deployment adds processes to a running database.

Rates. For each number of concurrent clients, the submitter's client starts underwriting cases that
stop at the review gate (`runs.wait` with a referred submission), and a reviewer's client answers
each (`runs.wait` with `command={"resume": …}`); each client goes on to its next case as soon as its
last one is decided. Runs per second counts both kinds of run, over the wall time of the batch; p50
and p95 are the latencies of single `runs.wait` calls, either kind. Threads are created before the
clock starts. Each row also says where the machine's CPU went during the batch (the server's
processes, PostgreSQL's, the clients', everything else: `/proc`, Linux only) and the most
connections the database had open at once (`pg_stat_activity`). The server runs with
`--timeout-keep-alive 75`, longer than the clients keep an idle connection.

Ledger audit. Then, on the server with the most workers, a bounded load of `--audit-cases` cases at
`--audit-clients` concurrent cases: each runs to the gate, then is answered; every other case by two
reviewers at once, with different answers (one approves, one rejects), so the two resumes race
(on two connections: either worker may take each). Every decision is then counted in the side-effect ledger
(`checkpoints.ledger.SideEffectLedger`): one review decision (`REVIEW_DECISION_KIND`) and one
underwriting decision (`graphs.underwriting.DECISION_KIND`) per case that reached the gate, none
lost, none twice (a case whose first run failed is counted apart, not answered). The
underwriting decision must name the reviewer whose decision the ledger kept, and take its outcome;
no case may still wait in the human queue.

The defaults take about five minutes on two cores (`docs/deploy.md`, Past one machine, has the
figures and what they mean).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import APIStatusError

from bench.samples import DATABASE_PREFIX, POSTGRES_ADMIN_URL, REFERRED, ROOT, sample
from checkpoints.human_queue import HumanQueue
from checkpoints.ledger import SideEffectLedger
from checkpoints.provisioning import fresh_database, postgres_missing
from graphs.kit.review_gate import REVIEW_DECISION_KIND
from graphs.underwriting import DECISION_KIND

WORKERS = (1, 2)
CLIENTS = (1, 4, 16, 64)
MIN_CASES = 8
CASES_PER_CLIENT = 2
"""Each batch runs `max(MIN_CASES, CASES_PER_CLIENT * clients)` cases (twice as many runs)."""
AUDIT_CASES = 500
AUDIT_CLIENTS = 16
TARGET_CLIENTS = 16
TARGET_RATIO = 1.5
GRAPH = "underwriting"
SUBMITTER = "bench-submitter"
REVIEWERS = ("bench-reviewer-a", "bench-reviewer-b")
ANSWERS = {
    REVIEWERS[0]: {"action": "approve", "reviewer": REVIEWERS[0], "note": "scale-out bench"},
    REVIEWERS[1]: {"action": "reject", "reviewer": REVIEWERS[1], "note": "scale-out bench"},
}
OUTCOME_OF_ACTION = {"approve": "approved", "reject": "declined"}
"""The underwriting decision each reviewer's answer leads to (a referred case stays referred when
an approval leaves a refer rule holding: accepted as well)."""


@dataclass(frozen=True)
class Rate:
    """One batch: `clients` concurrent clients against `workers` worker processes."""

    workers: int
    clients: int
    runs: int
    seconds: float
    runs_per_second: float
    p50_ms: float
    p95_ms: float
    failed: int
    """Runs that did not end where they should (at the gate, or decided)."""
    peak_connections: int
    """The most connections the database had open at once during the batch."""
    server_cores: float
    """CPU the server's processes used during the batch, in cores (1.0: one core all along)."""
    postgres_cores: float
    client_cores: float
    """CPU this benchmark's own process (the clients) used."""
    other_cores: float
    """CPU everything else on the machine used."""


@dataclass(frozen=True)
class LedgerAudit:
    """Every decision of a bounded load with racing reviewers, counted in the ledger."""

    workers: int
    clients: int
    cases: int
    answered: int
    """Cases that reached the review gate (and were answered)."""
    raced: int
    """Cases answered by two reviewers at once."""
    expected: int
    """One review decision and one underwriting decision per answered case."""
    found: int
    lost: int
    duplicated: int
    review_decisions: int
    underwriting_decisions: int
    mismatched: int
    """Cases whose underwriting decision does not follow the review decision the ledger kept."""
    still_waiting: int
    """Answered cases still in the human queue."""
    answers: dict[str, int]
    """What the reviewers' resumes got (`_answer`): `ran`, `ran_other`, `refused_busy`,
    `refused_decided`, `failed`."""
    both_ran: int
    """Raced cases where both answers passed the server's checks and ran the gate: the ledger
    must keep one."""
    failed_to_gate: int
    """Cases whose first run did not come back stopped at the gate (not answered)."""
    seconds: float


Row = Rate | LedgerAudit


# The server


@dataclass(frozen=True)
class Keys:
    by_identity: dict[str, str]

    @classmethod
    def fresh(cls) -> Keys:
        return cls({who: secrets.token_urlsafe(24) for who in (SUBMITTER, *REVIEWERS)})

    def write(self, path: Path) -> None:
        roles = {SUBMITTER: "submitter", **dict.fromkeys(REVIEWERS, "reviewer")}
        entries = {
            hashlib.sha256(key.encode()).hexdigest(): {"identity": who, "role": roles[who]}
            for who, key in self.by_identity.items()
        }
        path.write_text(json.dumps(entries), encoding="utf-8")


def _environment(database_url: str, keys_file: Path, secret: str) -> dict[str, str]:
    env = {
        **os.environ,
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGGRAPH_NO_VERSION_CHECK": "true",
        "LANGSMITH_TRACING": "false",
        "DATABASE_URL": database_url,
        "AEGRA_CONFIG": str(ROOT / "langgraph.json"),
        "BATON_DATABASE_URL": database_url,
        "BATON_API_KEYS_FILE": str(keys_file),
        "BATON_PRINCIPAL_SECRET": secret,  # the same in every worker process, as deployed
        "BATON_TRACE_ALL_RUNS": "true",
        "BATON_SUPPORT_TRIAGE_MODELS_DIR": str(ROOT / ".baton" / "models"),
    }
    for name in ("LANGSMITH_API_KEY", "LANGCHAIN_API_KEY", "BATON_AUTH", "BATON_MODEL"):
        env.pop(name, None)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


STARTED = b"Application startup complete"


@dataclass(frozen=True)
class Served:
    url: str
    pid: int
    """The server's main process (uvicorn's supervisor; its workers are its children)."""


@contextmanager
def aegra(database_url: str, workers: int, keys: Keys, folder: Path) -> Iterator[Served]:
    """Aegra with `workers` worker processes on `database_url` and a free port, once every worker
    has started; stopped afterwards."""
    keys_file = folder / "api-keys.json"
    keys.write(keys_file)
    env = _environment(database_url, keys_file, secret=secrets.token_hex(32))
    port = _free_port()
    log = folder / f"aegra-{workers}-workers.log"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "aegra_api.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        # Longer than the clients keep an idle connection (httpx: 5 s), so a client never sends
        # a request on a connection the server is closing (uvicorn's default is 5 s too).
        "--timeout-keep-alive",
        "75",
    ]
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=folder, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 180
            while True:
                up = log.read_bytes().count(STARTED) >= workers
                if up:
                    try:
                        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                            if response.status == 200:
                                break
                    except (OSError, urllib.error.HTTPError):
                        pass
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = log.read_bytes()[-4000:].decode(errors="replace")
                    raise RuntimeError(f"Aegra with {workers} workers did not start:\n{tail}")
                time.sleep(0.3)
            yield Served(url, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# What the machine did (Linux `/proc`; zeros elsewhere)


def _processes() -> dict[int, tuple[int, str, float]]:
    """Every process now: pid → (parent pid, command name, CPU seconds used)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        name = text[text.find("(") + 1 : text.rfind(")")]
        fields = text[text.rfind(")") + 2 :].split()
        found[int(entry.name)] = (int(fields[1]), name, (int(fields[11]) + int(fields[12])) / tick)
    return found


def _busy_seconds() -> float:
    """CPU seconds all the machine's cores have been busy since boot."""
    try:
        ticks = [int(t) for t in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


@dataclass
class Usage:
    """Where the machine's CPU went during a block, in cores (1.0: one core all along): the
    server's processes, PostgreSQL's, this benchmark's own (the clients), and everything else
    (what else runs on the machine, and processes that ended during the block)."""

    server_pid: int
    server: float = 0.0
    postgres: float = 0.0
    client: float = 0.0
    other: float = 0.0
    _before: dict[int, tuple[int, str, float]] = field(default_factory=dict, repr=False)
    _busy: float = 0.0
    _at: float = 0.0

    def __enter__(self) -> Usage:
        self._before, self._busy, self._at = _processes(), _busy_seconds(), time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        seconds = time.perf_counter() - self._at
        busy = _busy_seconds() - self._busy
        spent: dict[str, float] = {"server": 0.0, "postgres": 0.0, "client": 0.0}
        for pid, (parent, name, cpu) in _processes().items():
            used = cpu - self._before[pid][2] if pid in self._before else cpu
            if self.server_pid in (pid, parent):
                spent["server"] += used
            elif name == "postgres":
                spent["postgres"] += used
            elif pid == os.getpid():
                spent["client"] += used
        if seconds > 0:
            self.server = spent["server"] / seconds
            self.postgres = spent["postgres"] / seconds
            self.client = spent["client"] / seconds
            self.other = max(0.0, busy / seconds - self.server - self.postgres - self.client)


# The clients


class Clients:
    """One `langgraph_sdk` client per identity, with room for every concurrent request."""

    def __init__(self, url: str, keys: Keys) -> None:
        timeout = (30.0, 300.0, 60.0, 120.0)  # connect, read, write, waiting for a connection
        self.by_identity: dict[str, LangGraphClient] = {
            who: get_client(url=url, api_key=key, timeout=timeout)
            for who, key in keys.by_identity.items()
        }

    def __getitem__(self, identity: str) -> LangGraphClient:
        return self.by_identity[identity]

    async def close(self) -> None:
        for client in self.by_identity.values():
            await client.aclose()


async def _threads(clients: Clients, count: int) -> list[str]:
    gate = asyncio.Semaphore(16)

    async def create() -> str:
        async with gate:
            return str((await clients[SUBMITTER].threads.create())["thread_id"])

    return list(await asyncio.gather(*(create() for _ in range(count))))


async def _to_gate(clients: Clients, thread: str, submission: dict[str, Any]) -> bool:
    """Run a case to its review gate; whether it stopped there (Aegra answers a failed run with
    200 and `{}`)."""
    try:
        values = await clients[SUBMITTER].runs.wait(thread, GRAPH, input=submission)
    except (APIStatusError, httpx.HTTPStatusError) as error:
        FAILURES.append(f"{thread} to the gate: {_status(error)} {_detail(error)}"[:500])
        return False
    except httpx.HTTPError as error:
        FAILURES.append(f"{thread} to the gate: {type(error).__name__} {error}"[:500])
        return False
    if isinstance(values, dict) and values and not values.get("decision"):
        return True
    FAILURES.append(f"{thread} to the gate: answered {str(values)[:300]}")
    return False


FAILURES: list[str] = []
"""What each failed run got (kept for `--json`)."""


async def _answer(clients: Clients, thread: str, reviewer: str) -> str:
    """`ran` (this reviewer's decision came back), `ran_other` (a 200 with the other reviewer's
    decision: both answers ran the gate, the other's was recorded first), `refused_busy` (Aegra's
    400: the thread is running the other reviewer's answer), `refused_decided` (the boundary's
    409: the case was decided already, or by the other answer) or `failed`."""
    try:
        values = await clients[reviewer].runs.wait(
            thread, GRAPH, command={"resume": ANSWERS[reviewer]}
        )
    except (APIStatusError, httpx.HTTPStatusError) as error:
        status = _status(error)
        if status == 409:
            return "refused_decided"
        if status == 400 and "not in interrupted state" in _detail(error):
            return "refused_busy"
        FAILURES.append(f"{thread} {reviewer}: {status} {_detail(error)}"[:500])
        return "failed"
    except httpx.HTTPError as error:
        FAILURES.append(f"{thread} {reviewer}: {type(error).__name__} {error}"[:500])
        return "failed"
    if isinstance(values, dict) and isinstance(values.get("decision"), dict):
        return "ran" if values["decision"].get("decided_by") == reviewer else "ran_other"
    FAILURES.append(f"{thread} {reviewer}: answered {str(values)[:300]}")
    return "failed"


def _status(error: APIStatusError | httpx.HTTPStatusError) -> int:
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code
    return error.status_code


def _detail(error: APIStatusError | httpx.HTTPStatusError) -> str:
    if isinstance(error, httpx.HTTPStatusError):
        try:
            return str(error.response.text)
        except httpx.ResponseNotRead:
            return str(error)
    return str(error)


async def _timed(job: Awaitable[Any], latencies: list[float]) -> Any:
    started = time.perf_counter()
    result = await job
    latencies.append(time.perf_counter() - started)
    return result


@dataclass
class PeakConnections:
    """The most connections to one database seen while it runs (sampled every 0.2 s)."""

    database: str
    peak: int = 0
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    async def _sample(self) -> None:
        async with await psycopg.AsyncConnection.connect(POSTGRES_ADMIN_URL, autocommit=True) as c:
            while True:
                cursor = await c.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (self.database,)
                )
                row = await cursor.fetchone()
                self.peak = max(self.peak, int(row[0]) if row else 0)
                await asyncio.sleep(0.2)

    async def __aenter__(self) -> PeakConnections:
        self._task = asyncio.create_task(self._sample())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task


async def _concurrently(jobs: Sequence[Callable[[], Awaitable[None]]], clients: int) -> float:
    """Run the jobs `clients` at a time, each client taking the next job as it finishes one;
    the wall time."""
    queue: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def client() -> None:
        while not queue.empty():
            await queue.get_nowait()()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - started


def _percentile(values: list[float], share: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


async def _rate(
    served: Served, keys: Keys, database: str, workers: int, concurrency: int, cases: int
) -> Rate:
    clients = Clients(served.url, keys)
    try:
        threads = await _threads(clients, cases)
        submission = sample(REFERRED)
        latencies: list[float] = []
        failed = 0

        def case(thread: str, reviewer: str) -> Callable[[], Awaitable[None]]:
            async def run() -> None:
                nonlocal failed
                if not await _timed(_to_gate(clients, thread, submission), latencies):
                    failed += 1
                    return
                if await _timed(_answer(clients, thread, reviewer), latencies) != "ran":
                    failed += 1

            return run

        jobs = [case(t, REVIEWERS[i % 2]) for i, t in enumerate(threads)]
        async with PeakConnections(database) as peak:
            with Usage(served.pid) as usage:
                seconds = await _concurrently(jobs, concurrency)
        return Rate(
            workers=workers,
            clients=concurrency,
            runs=len(latencies),
            seconds=round(seconds, 2),
            runs_per_second=round(len(latencies) / seconds, 2),
            p50_ms=round(1000 * statistics.median(latencies)),
            p95_ms=round(1000 * _percentile(latencies, 0.95)),
            failed=failed,
            peak_connections=peak.peak,
            server_cores=round(usage.server, 2),
            postgres_cores=round(usage.postgres, 2),
            client_cores=round(usage.client, 2),
            other_cores=round(usage.other, 2),
        )
    finally:
        await clients.close()


async def _audit(
    url: str, keys: Keys, database_url: str, workers: int, cases: int, concurrency: int
) -> LedgerAudit:
    clients = Clients(url, keys)
    try:
        threads = await _threads(clients, cases)
        submission = sample(REFERRED)
        answers: Counter[str] = Counter()
        answered: list[str] = []
        raced = set(threads[::2])

        def case(index: int, thread: str) -> Callable[[], Awaitable[None]]:
            async def run() -> None:
                if not await _to_gate(clients, thread, submission):
                    return
                answered.append(thread)
                reviewers = REVIEWERS if thread in raced else (REVIEWERS[index // 2 % 2],)
                got = await asyncio.gather(*(_answer(clients, thread, r) for r in reviewers))
                answers.update(got)
                if len(got) == 2 and all(a.startswith("ran") for a in got):
                    answers["both ran"] += 1

            return run

        started = time.perf_counter()
        await _concurrently([case(i, t) for i, t in enumerate(threads)], concurrency)
        seconds = time.perf_counter() - started
    finally:
        await clients.close()
    audit = _count(database_url, answered, answers)
    return LedgerAudit(
        workers=workers,
        clients=concurrency,
        cases=len(threads),
        raced=len(raced.intersection(answered)),
        failed_to_gate=len(threads) - len(answered),
        seconds=round(seconds, 1),
        **audit,
    )


def _count(database_url: str, answered: list[str], answers: Counter[str]) -> dict[str, Any]:
    """Count the decisions of each answered case in the ledger: one of each kind expected."""
    ledger = SideEffectLedger(database_url)
    ours = set(answered)
    reviews: dict[str, list[dict[str, Any]]] = {t: [] for t in answered}
    decisions: dict[str, list[dict[str, Any]]] = {t: [] for t in answered}
    for kind, found in ((REVIEW_DECISION_KIND, reviews), (DECISION_KIND, decisions)):
        for row in ledger.of_kind(kind):
            if row["thread_id"] in ours:
                found[row["thread_id"]].append(row["payload"])
    counts = [len(rows) for by_thread in (reviews, decisions) for rows in by_thread.values()]
    mismatched = 0
    for thread in answered:
        if len(reviews[thread]) != 1 or len(decisions[thread]) != 1:
            continue
        review = reviews[thread][0]["decision"]
        decision = decisions[thread][0]
        outcomes = {OUTCOME_OF_ACTION.get(review["action"]), "referred"}
        if decision["decided_by"] != review["reviewer"] or decision["outcome"] not in outcomes:
            mismatched += 1
    queue = HumanQueue(database_url)
    return {
        "answered": len(answered),
        "expected": 2 * len(answered),
        "found": sum(counts),
        "lost": sum(1 for n in counts if n == 0),
        "duplicated": sum(n - 1 for n in counts if n > 1),
        "review_decisions": sum(len(rows) for rows in reviews.values()),
        "underwriting_decisions": sum(len(rows) for rows in decisions.values()),
        "mismatched": mismatched,
        "still_waiting": sum(1 for t in answered if queue.is_waiting(t)),
        "answers": {k: n for k, n in sorted(answers.items()) if k != "both ran"},
        "both_ran": answers["both ran"],
    }


async def _warm_up(url: str, keys: Keys, workers: int) -> None:
    """A few cases at once, so that every worker has loaded the graphs and opened its pools."""
    clients = Clients(url, keys)
    try:
        threads = await _threads(clients, 4 * workers)
        submission = sample(REFERRED)

        async def case(thread: str) -> None:
            if await _to_gate(clients, thread, submission):
                await _answer(clients, thread, REVIEWERS[0])

        await asyncio.gather(*(case(t) for t in threads))
    finally:
        await clients.close()


def cases_for(clients: int) -> int:
    return max(MIN_CASES, CASES_PER_CLIENT * clients)


def measure(
    workers: Sequence[int] = WORKERS,
    clients: Sequence[int] = CLIENTS,
    audit_cases: int = AUDIT_CASES,
    audit_clients: int = AUDIT_CLIENTS,
) -> list[Row]:
    """The rates for each worker count and number of clients, then the ledger audit on the
    server with the most workers (none when `audit_cases` is 0). Empty without PostgreSQL."""
    if postgres_missing(POSTGRES_ADMIN_URL) is not None:
        return []
    rows: list[Row] = []
    keys = Keys.fresh()
    order = sorted(set(workers))
    with (
        fresh_database("postgres", POSTGRES_ADMIN_URL, f"{DATABASE_PREFIX}_scale") as url,
        tempfile.TemporaryDirectory(prefix="baton-scale-out-") as scratch,
    ):
        folder = Path(scratch)
        database = url.rsplit("/", 1)[1]
        if order[0] > 1:
            # Aegra's first start on a database makes its tables: one process, never several
            # at once (they race to create the same rows).
            with aegra(url, 1, keys, folder):
                pass
        for count in order:
            with aegra(url, count, keys, folder) as server:
                asyncio.run(_warm_up(server.url, keys, count))
                for concurrency in clients:
                    rows.append(
                        asyncio.run(
                            _rate(
                                server, keys, database, count, concurrency, cases_for(concurrency)
                            )
                        )
                    )
                if audit_cases and count == order[-1]:
                    rows.append(
                        asyncio.run(
                            _audit(server.url, keys, url, count, audit_cases, audit_clients)
                        )
                    )
    return rows


# The report


def ratio(rows: Sequence[Row], clients: int = TARGET_CLIENTS) -> float | None:
    """Runs per second with two workers over one, at `clients` concurrent clients."""
    rates = {
        r.workers: r.runs_per_second for r in rows if isinstance(r, Rate) and r.clients == clients
    }
    if 1 not in rates or 2 not in rates or rates[1] <= 0:
        return None
    return rates[2] / rates[1]


HEADING = "## Scale-out (`bench/scale_out.py`)"


def section(rows: Sequence[Row]) -> str:
    rates = [r for r in rows if isinstance(r, Rate)]
    audits = [r for r in rows if isinstance(r, LedgerAudit)]
    if not rates and not audits:
        return (
            f"{HEADING}\n\nNot measured: PostgreSQL did not answer at the bench's administrator "
            "URL (`BATON_BENCH_POSTGRES_ADMIN_URL`).\n"
        )
    lines = [
        HEADING,
        "",
        "Aegra (`uvicorn aegra_api.main:app --workers N`, API keys on) serving one PostgreSQL "
        "database, driven by `langgraph_sdk`'s async client: each client runs a referred "
        "underwriting case to the review gate (`runs.wait`), has a reviewer answer it "
        "(`runs.wait` with `Command(resume=…)`), and takes the next case. Runs per second count "
        "both runs; p50 and p95 are single `runs.wait` latencies. Clients, servers and "
        f"PostgreSQL share the machine ({os.cpu_count()} cores); where its CPU went during each "
        "batch, in cores (1.00: one core all along): the server's processes, PostgreSQL's, the "
        "benchmark's clients, and everything else running on the machine. Peak connections: the "
        "most the database had open at once.",
        "",
        "| workers | clients | runs | runs/s | p50 ms | p95 ms | failed | cores: server "
        "| PostgreSQL | clients | other | peak connections |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.workers} | {r.clients} | {r.runs} | {r.runs_per_second:.2f} | {r.p50_ms:.0f} "
        f"| {r.p95_ms:.0f} | {r.failed} | {r.server_cores:.2f} | {r.postgres_cores:.2f} "
        f"| {r.client_cores:.2f} | {r.other_cores:.2f} | {r.peak_connections} |"
        for r in rates
    ]
    lines.append("")
    measured = ratio(rows)
    if measured is None:
        lines.append(
            f"Two workers against one at {TARGET_CLIENTS} clients: not measured "
            f"(target ≥ {TARGET_RATIO}: not measured)."
        )
    else:
        met = "met" if measured >= TARGET_RATIO else "not met"
        lines.append(
            f"Two workers against one at {TARGET_CLIENTS} clients: {measured:.2f} times the runs per "
            f"second (target ≥ {TARGET_RATIO}: {met})."
        )
    for audit in audits:
        answered = ", ".join(f"{n} {what}" for what, n in audit.answers.items()) or "none"
        lines += [
            "",
            f"Ledger audit ({audit.workers} workers, {audit.clients} concurrent cases, "
            f"{audit.seconds:.0f} s): {audit.cases} cases, {audit.answered} at the gate and "
            f"answered, {audit.raced} of them by two reviewers at once; decisions expected "
            f"{audit.expected} (one review decision and one underwriting decision per answered "
            f"case), found {audit.found}, lost {audit.lost}, "
            f"duplicated {audit.duplicated}; {audit.mismatched} underwriting decisions not "
            f"following the recorded review, {audit.still_waiting} cases still waiting, "
            f"{audit.failed_to_gate} cases failed before the gate. The reviewers' answers: "
            f"{answered} (`ran_other`: a 200 carrying the other reviewer's decision; "
            "`refused_busy`: Aegra's 400, the thread was running the other answer; "
            "`refused_decided`: the boundary's 409, the case was decided already or by the "
            f"other answer); in {audit.both_ran} raced cases both answers got a 200 (both ran "
            "the gate, and the ledger kept one).",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=list(WORKERS))
    parser.add_argument("--clients", type=int, nargs="+", default=list(CLIENTS))
    parser.add_argument("--audit-cases", type=int, default=AUDIT_CASES)
    parser.add_argument("--audit-clients", type=int, default=AUDIT_CLIENTS)
    parser.add_argument("--json", action="store_true", help="the rows and the section as JSON")
    args = parser.parse_args(argv)
    if min(args.workers) < 1 or min(args.clients) < 1 or args.audit_cases < 0:
        parser.error("--workers and --clients must be at least 1, --audit-cases at least 0")
    if args.audit_clients < 1:
        parser.error("--audit-clients must be at least 1")
    started = time.perf_counter()
    rows = measure(args.workers, args.clients, args.audit_cases, args.audit_clients)
    if not rows:
        print(f"PostgreSQL is missing at {POSTGRES_ADMIN_URL}", file=sys.stderr)
        return 1
    if args.json:
        result = {
            "rates": [asdict(r) for r in rows if isinstance(r, Rate)],
            "audits": [asdict(r) for r in rows if isinstance(r, LedgerAudit)],
            "ratio": ratio(rows),
            "seconds": round(time.perf_counter() - started, 1),
            "section": section(rows),
            "failures": FAILURES[:20],
        }
        print(json.dumps(result, indent=1))
    else:
        print(section(rows))
        print(f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
