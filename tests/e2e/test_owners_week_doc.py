"""docs/owners.md stays true: every command of the owner's week, run in order on a fresh database
from a copy of the policies, succeeds and shows what the page says it shows (the backtests, the
shadow trial and its agreement, the owner's view)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graphs.cli.app import app
from tests.conftest import ROOT

DOC = ROOT / "docs" / "owners.md"
BLOCK = re.compile(r"```bash\n(.*?)```", re.S)
LOOP = re.compile(r"for n in ([\d ]+); do\n(.*?)\ndone", re.S)


def commands() -> list[str]:
    """The page's shell commands in order, its `for n in …` loops unrolled."""
    found: list[str] = []
    for block in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        loop = LOOP.fullmatch(block.strip())
        if loop:
            body = [line.strip() for line in loop.group(2).splitlines()]
            found += [line.replace("$n", n) for n in loop.group(1).split() for line in body]
        else:
            found += [line.strip() for line in block.splitlines() if line.strip()]
    return found


def test_the_owners_week_runs_as_written(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import graphs.kit.policy as policy

    (tmp_path / "policies").mkdir()
    for source in policy.POLICY_DIR.iterdir():
        (tmp_path / "policies" / source.name).write_bytes(source.read_bytes())
    (tmp_path / "data").symlink_to(ROOT / "data")
    monkeypatch.setattr(policy, "POLICY_DIR", tmp_path / "policies")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BATON_DATABASE_URL", f"sqlite:///{tmp_path / 'baton.db'}")
    monkeypatch.setenv("COLUMNS", "250")

    outputs: dict[str, str] = {}
    for command in commands():
        if command.startswith("git "):
            continue  # the owner's own commit: not Baton's to run
        if not command.startswith(".venv/bin/baton "):
            subprocess.run(command, shell=True, check=True, cwd=tmp_path)
            continue
        line, _, target = command.partition(" > ")
        args = shlex.split(line)[1:]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, f"{command}\n{result.output}"
        if target and target != "/dev/null":
            (tmp_path / target).write_text(result.stdout, encoding="utf-8")
        outputs[line] = result.output

    looser = outputs[".venv/bin/baton backtest underwriting --policy looser.yaml"]
    assert "let 6 through" in looser and "though a person decided otherwise" in looser
    automated = outputs[".venv/bin/baton backtest underwriting --policy auto.yaml"]
    assert "decide 6 as the agents recommend" in automated
    assert "though a person decided otherwise" not in automated
    assert "shadow: true" in (tmp_path / "policies" / "underwriting.yaml").read_text()
    gates = json.loads(outputs[".venv/bin/baton gates underwriting --json"])
    [high_risk] = [rule for rule in gates["rules"] if rule["rule"] == "high_risk"]
    assert (high_risk["cases"], high_risk["shadow_cases"], high_risk["shadow_agreed"]) == (10, 4, 4)
    assert high_risk["qualifies"] is False
    exported = (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    kinds = {json.loads(line)["kind"] for line in exported}
    assert {"review_decision", "policy_in_force"} <= kinds
