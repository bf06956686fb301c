"""`make bench`: every benchmark, written to `docs/benchmarks.md` with the machine it ran on."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime

from bench import (
    crash_recovery,
    governance_overhead,
    history_latency,
    scoped_context,
    server_throughput,
    throughput,
)
from bench.databases import postgres_available
from bench.scoped_context import REPORT, SAMPLES


def machine() -> str:
    postgres = (
        "PostgreSQL on 127.0.0.1"
        if postgres_available()
        else "no PostgreSQL (its rows are left out)"
    )
    return (
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.platform()}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPU cores, {postgres}. Sizes do not depend "
        "on the machine; times do."
    )


def main() -> int:
    sections = []
    for name, build in (
        (
            "scoped context",
            lambda: scoped_context.report(scoped_context.measure(sorted(SAMPLES.glob("*.json")))),
        ),
        ("governance overhead", lambda: governance_overhead.section(governance_overhead.measure())),
        ("throughput", lambda: throughput.section(throughput.measure())),
        (
            "throughput through the server",
            lambda: server_throughput.section(server_throughput.measure()),
        ),
        ("history latency", lambda: history_latency.section(history_latency.measure())),
        ("crash recovery", lambda: crash_recovery.section(crash_recovery.measure())),
    ):
        sys.stderr.write(f"measuring {name}…\n")
        sections.append(build())
    text = "\n".join(["# Benchmarks", "", machine(), "", *sections])
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
