"""Start-up: the CPU time (user + system) of whole `baton` processes against the imports they
cannot do without: `baton --help` against `python -c "import typer"`, and `baton status THREAD`
(an underwriting thread waiting at its gate, on SQLite) against `python -c "import
langgraph.graph"`. Each command runs REPEATS times, interleaved, after a warm-up that leaves
Python's bytecode cache written; the table gives medians.

Run by `make bench` (bench/report.py); `python -m bench.startup` prints its section (`--json`:
the figures)."""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.samples import REFERRED, SAMPLES

REPEATS = 7
BATON = str(Path(sys.executable).parent / "baton")
HELP_TARGET = 1.2
STATUS_TARGET = 1.3


@dataclass(frozen=True)
class Startup:
    command: str
    baseline: str
    cpu_s: float
    baseline_cpu_s: float
    target: float

    @property
    def ratio(self) -> float:
        return self.cpu_s / self.baseline_cpu_s

    @property
    def met(self) -> bool:
        return self.ratio <= self.target


def _environment(folder: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONDONTWRITEBYTECODE", "BATON_DATABASE_URL")
    }
    env.update(
        BATON_DATABASE_URL=f"sqlite:///{folder / 'baton.db'}",
        LANGGRAPH_CLI_NO_ANALYTICS="1",
        LANGGRAPH_NO_VERSION_CHECK="true",
    )
    return env


def _cpu(command: list[str], env: dict[str, str], cwd: Path) -> float:
    """The CPU seconds (user + system) of one whole process running `command`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _thread_at_gate(env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [BATON, "run", "underwriting", str(SAMPLES / f"{REFERRED}.json"), "--thread-id", "t-1"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    if "awaiting" not in done.stdout and "review" not in done.stdout:
        raise RuntimeError(f"the sample did not stop at the gate: {done.stdout}{done.stderr}")
    return "t-1"


def measure(repeats: int = REPEATS) -> list[Startup]:
    with tempfile.TemporaryDirectory(prefix="baton_bench_startup_") as name:
        folder = Path(name)
        env = _environment(folder)
        thread = _thread_at_gate(env, folder)
        commands = {
            "baton --help": [BATON, "--help"],
            'python -c "import typer"': [sys.executable, "-c", "import typer"],
            f"baton status {thread}": [BATON, "status", thread],
            'python -c "import langgraph.graph"': [sys.executable, "-c", "import langgraph.graph"],
        }
        for command in commands.values():  # warm-up: bytecode written, files in the page cache
            _cpu(command, env, folder)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(repeats):
            for name, command in commands.items():
                times[name].append(_cpu(command, env, folder))
    median = {name: statistics.median(values) for name, values in times.items()}
    names = list(commands)
    return [
        Startup(names[0], names[1], median[names[0]], median[names[1]], HELP_TARGET),
        Startup(names[2], names[3], median[names[2]], median[names[3]], STATUS_TARGET),
    ]


def section(rows: list[Startup]) -> str:
    lines = [
        "## Start-up (`bench/startup.py`)",
        "",
        "CPU time (user + system) of whole processes, median of "
        f"{REPEATS} interleaved runs after a warm-up; `status` reads an underwriting thread "
        "waiting at its gate on SQLite. The command line loads a workflow's modules (and the "
        "libraries they need) only when that workflow is used.",
        "",
        "| command | CPU s | against | CPU s | ratio | target |",
        "|---|---:|---|---:|---:|---|",
    ]
    for row in rows:
        verdict = "met" if row.met else "not met"
        lines.append(
            f"| `{row.command}` | {row.cpu_s:.3f} | `{row.baseline}` | {row.baseline_cpu_s:.3f} "
            f"| {row.ratio:.2f} | ≤ {row.target}: {verdict} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"default {REPEATS}")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    rows = measure(max(1, args.repeats))
    if args.json:
        print(json.dumps([{**asdict(row), "ratio": row.ratio, "met": row.met} for row in rows]))
    else:
        print(section(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
