"""Throughput through the LangGraph server: `langgraph dev` (checkpointing through Baton's saver
into SQLite or PostgreSQL) driven by `langgraph_sdk`, runs per second to the review gate and
through it with 1, 4 and 16 concurrent clients."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from langgraph_sdk import get_client

from bench import throughput
from bench.samples import APPROVE, DATABASE_PREFIX, POSTGRES_ADMIN_URL, REFERRED, sample
from bench.throughput import CONCURRENCY, REPEATS, Throughput
from checkpoints.provisioning import fresh_database, kinds
from graphs.server.dev import dev_server


async def _rate(jobs: list[Callable[[], Awaitable[object]]], concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def bounded(job: Callable[[], Awaitable[object]]) -> None:
        async with gate:
            await job()

    started = time.perf_counter()
    await asyncio.gather(*(bounded(job) for job in jobs))
    return len(jobs) / (time.perf_counter() - started)


async def _batch(url: str, concurrency: int) -> tuple[float, float]:
    client = get_client(url=url)
    threads = [(await client.threads.create())["thread_id"] for _ in range(max(8, 2 * concurrency))]
    submission = sample(REFERRED)

    def start(thread: str) -> Callable[[], Awaitable[object]]:
        return lambda: client.runs.wait(thread, "underwriting", input=submission)

    def resume(thread: str) -> Callable[[], Awaitable[object]]:
        return lambda: client.runs.wait(thread, "underwriting", command={"resume": APPROVE})

    to_gate = await _rate([start(t) for t in threads], concurrency)
    through = await _rate([resume(t) for t in threads], concurrency)
    return to_gate, through


def measure() -> list[Throughput]:
    rows = []
    for kind in kinds(POSTGRES_ADMIN_URL):
        if kind == "memory":
            continue
        with (
            fresh_database(kind, POSTGRES_ADMIN_URL, DATABASE_PREFIX) as url,
            dev_server(url) as server,
        ):
            asyncio.run(_batch(server, 1))  # warm-up
            for concurrency in CONCURRENCY:
                batches = [asyncio.run(_batch(server, concurrency)) for _ in range(REPEATS)]
                rows.append(
                    Throughput(
                        f"{kind}, through `langgraph dev`",
                        concurrency,
                        statistics.median(b[0] for b in batches),
                        statistics.median(b[1] for b in batches),
                    )
                )
    return rows


HEADING = (
    "## Throughput through the server (`bench/server_throughput.py`)\n\n"
    "The same runs through `langgraph dev` (the LangGraph server, in-memory edition, with auth off "
    "and Baton's saver on the database named), driven by `langgraph_sdk`'s async client: "
    "`runs.wait` to the gate, then `runs.wait` with the reviewer's `Command(resume=…)`, with 1, 4 "
    f"and 16 concurrent clients. Median of {REPEATS} batches. A single client waits about a second "
    "per run, most of it in the development server's run queue; concurrent clients overlap."
)


def section(rows: list[Throughput]) -> str:
    return throughput.section(rows, HEADING)


if __name__ == "__main__":
    print(section(measure()))
