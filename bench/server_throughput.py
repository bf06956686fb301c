"""Throughput through the LangGraph server: `langgraph dev` (checkpointing through Baton's saver
into SQLite or PostgreSQL) driven by `langgraph_sdk`, runs per second to the review gate and
through it with 1, 4 and 16 concurrent clients."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from langgraph_sdk import get_client

from bench import throughput
from bench.databases import database, kinds
from bench.samples import APPROVE, REFERRED, ROOT, sample
from bench.throughput import CONCURRENCY, REPEATS, Throughput

LANGGRAPH = str(Path(sys.executable).parent / "langgraph")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config_in(folder: Path, graphs: dict[str, str] | None = None) -> Path:
    """A copy of the repository's `langgraph.json` in `folder` with absolute paths, so that
    `langgraph dev` (which resolves `auth.path` from its working directory and keeps its own
    state there) can run in `folder` and leave the repository alone."""
    config = json.loads((ROOT / "langgraph.json").read_text(encoding="utf-8"))

    def absolute(path: str) -> str:
        return str(ROOT / path[2:]) if path.startswith("./") else path

    config["dependencies"] = [str(ROOT / dep) for dep in config["dependencies"]]
    config["graphs"] = {name: absolute(path) for name, path in config["graphs"].items()}
    config["graphs"].update(graphs or {})
    config["auth"]["path"] = absolute(config["auth"]["path"])
    config["http"]["app"] = absolute(config["http"]["app"])
    target = folder / "langgraph.json"
    target.write_text(json.dumps(config), encoding="utf-8")
    return target


@contextmanager
def dev_server(
    database_url: str,
    *,
    graphs: dict[str, str] | None = None,
    environment: dict[str, str] | None = None,
) -> Iterator[str]:
    """`langgraph dev` on a free port with auth off, checkpointing into `database_url` (with
    `graphs` served instead of the repository's, and `environment` added to its own)."""
    port = _free_port()
    env = {
        **os.environ,
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGGRAPH_NO_VERSION_CHECK": "true",
        "LANGSMITH_TRACING": "false",
        "BATON_AUTH": "off",
        "BATON_DATABASE_URL": database_url,
        **(environment or {}),
    }
    env.pop("LANGSMITH_API_KEY", None)
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [
                LANGGRAPH,
                "dev",
                "--config",
                str(config_in(Path(folder), graphs)),
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
                "--no-browser",
                "--no-reload",
            ],
            cwd=folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/ok", timeout=2):
                        break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise RuntimeError(
                            f"langgraph dev did not start: {log.read()[-3000:]!r}"
                        ) from None
                    time.sleep(0.3)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


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
    for kind in kinds():
        if kind == "memory":
            continue
        with database(kind) as url, dev_server(url) as server:
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
