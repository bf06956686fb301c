"""`make bench`: every benchmark, written whole to `docs/benchmarks.md` with the machine it ran on
and, first, every target with whether this run met it."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    contract_clause_model,
    contract_review_quality,
    crash_recovery,
    governance_overhead,
    history_latency,
    hot_path,
    invoice_review_quality,
    late_delivery,
    sanctions_variants,
    scale_out,
    scoped_context,
    server_throughput,
    startup,
    supply_chain,
    support_triage_quality,
    throughput,
)
from bench.samples import POSTGRES_ADMIN_URL
from bench.scoped_context import REPORT, SAMPLES
from bench.split_csv import DEFAULT_SEED, DEFAULT_TEST_SHARE
from checkpoints.provisioning import postgres_available


def machine() -> str:
    postgres = (
        "PostgreSQL on 127.0.0.1"
        if postgres_available(POSTGRES_ADMIN_URL)
        else "no PostgreSQL (its rows are left out)"
    )
    return (
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.platform()}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPU cores, {postgres}. Sizes do not depend "
        "on the machine; times do."
    )


CUAD = Path(__file__).resolve().parents[2] / "shared" / "data" / "cuad"
"""The shared CUAD dev set (111 contracts with expert labels), beside the checkout."""


def contract_review_section() -> str:
    """The contract review quality on the shared CUAD dev set (left out when it is not here)."""
    contracts, labels = CUAD / "contracts", CUAD / "master_clauses.csv"
    if not labels.exists():
        return f"## Contract review quality\n\nNot measured: {labels} is not on this machine.\n"
    quality = contract_review_quality.section(contract_review_quality.measure(contracts, labels))
    return f"{quality}\n{contract_clause_model_section(contracts, labels)}"


def contract_clause_model_section(contracts: Path, labels: Path) -> str:
    """The rules against the rules with a learned sentence model, on the same set's folds."""
    result = contract_clause_model.measure(
        contract_clause_model.read_contracts(contracts, labels), folds=5, inner=3
    )
    return (
        "### A learned model beside the rules (`bench/contract_clause_model.py`)\n\n"
        + contract_clause_model.section(result)
    )


BANKING77 = Path(__file__).resolve().parents[2] / "shared" / "data" / "banking77"
"""The shared Banking77 training set (10,003 labelled messages), beside the checkout."""


def support_triage_section() -> str:
    """Support triage quality on a held-out split of the shared Banking77 set (stratified, seed
    2026, test share 0.2, as `make bench-triage`; left out when the set is not here). Trains on
    the training part unless the configured models folder has it cached."""
    source = BANKING77 / "train.csv"
    if not source.exists():
        return f"## Support triage quality\n\nNot measured: {source} is not on this machine.\n"
    with tempfile.TemporaryDirectory(prefix="banking77_split_") as folder:
        train, test = support_triage_quality.write_split(source, Path(folder))
        split = {
            "source": "../shared/data/banking77/train.csv",
            "seed": DEFAULT_SEED,
            "test_share": DEFAULT_TEST_SHARE,
        }
        result = support_triage_quality.evaluate(train, test, split=split)
    return support_triage_quality.section(result)


@dataclass(frozen=True)
class Target:
    what: str
    target: str
    measured: str
    met: bool | None
    """None: not measured here."""


def _verdict(met: bool | None) -> str:
    return "not measured" if met is None else ("met" if met else "**not met**")


def targets_section(targets: list[Target]) -> str:
    lines = [
        "## Targets",
        "",
        "Each target below is measured by the section named; times are from this run.",
        "",
        "| what | target | measured | |",
        "|---|---|---|---|",
    ]
    lines += [f"| {t.what} | {t.target} | {t.measured} | {_verdict(t.met)} |" for t in targets]
    return "\n".join(lines) + "\n"


def _hot_path() -> tuple[str, list[Target]]:
    row = hot_path.measure()
    return hot_path.section(row), [
        Target(
            "Underwriting run to the gate ÷ the same functions as plain LangGraph nodes (SQLite)",
            f"≤ {hot_path.TARGET}",
            f"{row.ratio:.2f} ({row.baton_ms:.1f} ms ÷ {row.plain_ms:.1f} ms)",
            row.met,
        )
    ]


def _governance() -> tuple[str, list[Target]]:
    rows = governance_overhead.measure()
    return governance_overhead.section(rows), [
        Target(
            f"Governance overhead per step, no-op agents ({row.database})",
            f"≤ {row.target}",
            f"{row.ratio:.2f}",
            row.met,
        )
        for row in rows
    ]


def _startup() -> tuple[str, list[Target]]:
    rows = startup.measure()
    return startup.section(rows), [
        Target(
            f"`{row.command}` CPU ÷ `{row.baseline}`",
            f"≤ {row.target}",
            f"{row.ratio:.2f} ({row.cpu_s:.3f} s ÷ {row.baseline_cpu_s:.3f} s)",
            row.met,
        )
        for row in rows
    ]


def _scale_out() -> tuple[str, list[Target]]:
    rows = scale_out.measure()
    measured = scale_out.ratio(rows)
    audits = [row for row in rows if isinstance(row, scale_out.LedgerAudit)]
    targets = [
        Target(
            f"Runs/s with 2 Aegra workers ÷ 1, at {scale_out.TARGET_CLIENTS} clients (PostgreSQL)",
            f"≥ {scale_out.TARGET_RATIO}",
            "not measured" if measured is None else f"{measured:.2f}",
            None if measured is None else measured >= scale_out.TARGET_RATIO,
        )
    ]
    for audit in audits:
        targets.append(
            Target(
                f"Ledger under {audit.cases} cases with racing reviewers",
                "none lost, none twice",
                f"{audit.found} of {audit.expected} found, {audit.lost} lost, "
                f"{audit.duplicated} twice",
                audit.lost == 0 and audit.duplicated == 0 and audit.found == audit.expected,
            )
        )
    return scale_out.section(rows), targets


def _untargeted(build: Callable[[], str]) -> Callable[[], tuple[str, list[Target]]]:
    return lambda: (build(), [])


def main() -> int:
    sections = []
    targets: list[Target] = []
    for name, build in (
        ("the hot path", _hot_path),
        ("governance overhead", _governance),
        ("start-up", _startup),
        (
            "scoped context",
            _untargeted(
                lambda: scoped_context.report(
                    scoped_context.measure(sorted(SAMPLES.glob("*.json")))
                )
            ),
        ),
        ("throughput", _untargeted(lambda: throughput.section(throughput.measure()))),
        (
            "throughput through the server",
            _untargeted(lambda: server_throughput.section(server_throughput.measure())),
        ),
        ("scale-out", _scale_out),
        (
            "history latency",
            _untargeted(lambda: history_latency.section(history_latency.measure())),
        ),
        ("crash recovery", _untargeted(lambda: crash_recovery.section(crash_recovery.measure()))),
        (
            "sanctions screening",
            _untargeted(lambda: sanctions_variants.section(sanctions_variants.score())),
        ),
        ("contract review quality", _untargeted(contract_review_section)),
        ("support triage quality", _untargeted(support_triage_section)),
        (
            "invoice review quality",
            _untargeted(lambda: invoice_review_quality.section(invoice_review_quality.measure())),
        ),
        (
            "supply-chain hierarchy",
            _untargeted(lambda: supply_chain.section(supply_chain.measure())),
        ),
        ("late-delivery mesh", _untargeted(lambda: late_delivery.section(late_delivery.measure()))),
    ):
        sys.stderr.write(f"measuring {name}…\n")
        text, found = build()
        sections.append(text)
        targets += found
    text = "\n".join(["# Benchmarks", "", machine(), "", targets_section(targets), *sections])
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
