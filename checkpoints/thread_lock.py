"""One run at a time per thread, across processes: a lock the operating system or the database
releases when its holder dies, so a killed run never blocks the run that resumes it.

PostgreSQL: a session advisory lock on the thread id's hash, held on a connection of its own.
SQLite: an exclusive `flock` on a file per thread beside the database file. memory://: a lock in
the process. A second run on a thread that is running is refused at once (`ThreadBusy`), never
interleaved with the first (two processes each running half a case, each reporting it
`incomplete`), and never crashing on the database's unique keys.

The lock is taken by `baton` and `open_workflow` (graphs.kit.runtime). A LangGraph server keeps runs
on one thread apart itself (multitask strategy `reject`, the only one non-operators may use); an
operator's `baton` command on a thread a server is running at that moment is not kept apart
from it."""

from __future__ import annotations

import fcntl
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from checkpoints.database import parse_database_url

_IN_PROCESS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


class ThreadBusy(RuntimeError):
    """Another process (or thread) is running this thread right now."""


@contextmanager
def running(url: str, thread_id: str) -> Iterator[None]:
    """Hold `thread_id`'s run lock in the database of `url` for the block; ThreadBusy at once
    when someone else holds it."""
    parsed = parse_database_url(url)
    busy = ThreadBusy(
        f"thread {thread_id!r} is being run by another process right now: nothing was done "
        "(see where it stands with: baton status THREAD)"
    )
    digest = hashlib.sha256(thread_id.encode("utf-8")).digest()
    if parsed.kind == "postgres":
        key = int.from_bytes(digest[:8], "big", signed=True)
        import psycopg  # PostgreSQL only: not loaded for SQLite

        with psycopg.connect(parsed.libpq_url, autocommit=True) as conn:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
            if not row or not row[0]:
                raise busy
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
        return
    if parsed.kind == "sqlite":
        assert parsed.path is not None
        folder = parsed.path.parent / f"{parsed.path.name}.locks"
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / f"{digest.hex()[:32]}.lock").open("a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise busy from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    with _GUARD:
        lock = _IN_PROCESS.setdefault(thread_id, threading.Lock())
    if not lock.acquire(blocking=False):
        raise busy
    try:
        yield
    finally:
        lock.release()
