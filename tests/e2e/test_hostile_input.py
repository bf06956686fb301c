"""Inputs that used to crash (exit 1) or strand a case: each is refused at the edge with exit 2,
naming the field or the file and the limit, the same way on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfWriter

from checkpoints.ledger import SideEffectLedger
from tests.conftest import SAMPLES
from tests.integration.cli_helpers import baton, run_sample

REFERRED = json.loads((SAMPLES / "02_high_risk_referral.json").read_text(encoding="utf-8"))


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return str(path)


def test_a_thread_id_too_long_for_the_ledger_is_refused_before_anything_runs(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    sample = str(SAMPLES / "02_high_risk_referral.json")
    out = baton(
        monkeypatch, database_url, "run", "underwriting", sample, "--thread-id", "t" * 120, code=2
    )
    assert "1 to 64" in out and "120 characters" in out
    assert SideEffectLedger(database_url).of_kind("gate_outcome") == []
    at_limit = run_sample(monkeypatch, database_url, "02_high_risk_referral.json", "t" * 64)
    assert at_limit["status"] == "awaiting_review"
    decided = baton(
        monkeypatch,
        database_url,
        "review",
        "t" * 64,
        "--approve",
        "--reviewer",
        "Dana",
        "--note",
        "ok",
        "--json",
    )
    assert decided["status"] == "completed"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (json.dumps({**REFERRED, "broker": "Gulf\u0000Coast"}), "broker: control character U+0000"),
        (
            json.dumps({**REFERRED, "broker": "x"})[:-1] + ', "zz": "\\ud800"}',
            "zz: lone surrogate U+D800",
        ),
        ("[" * 5000 + "]" * 5000, "nested more than 64 levels deep"),
        ('{"submission_id": ' + "9" * 5000 + "}", "not valid JSON"),
        ('{"submission_id": ' + "9" * 200 + "}", "submission_id: an integer of more than 100"),
    ],
)
def test_json_no_database_can_store_is_refused_naming_the_field(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path, text: str, problem: str
) -> None:
    path = _write(tmp_path, "input.json", text)
    out = baton(monkeypatch, database_url, "run", "underwriting", path, code=2)
    assert problem in out and "input.json" in out


def test_a_review_note_with_a_nul_is_refused_and_the_gate_stays_open(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    run_sample(monkeypatch, database_url, "02_high_risk_referral.json", "nul")
    out = baton(
        monkeypatch, database_url, "review", "nul", "--approve", "--reviewer", "Dana",
        "--note", "ok\x00", code=2,
    )  # fmt: skip
    assert "note: control character U+0000" in out
    status = baton(monkeypatch, database_url, "status", "nul", "--json")
    assert status["status"] == "awaiting_review"


def _pdf(tmp_path: Path, build: Any) -> str:
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    build(writer)
    path = tmp_path / "contract.pdf"
    with path.open("wb") as out:
        writer.write(out)
    return str(path)


def test_an_encrypted_pdf_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    path = _pdf(tmp_path, lambda writer: writer.encrypt("secret"))
    out = baton(monkeypatch, database_url, "run", "contract_review", path, code=2)
    assert "contract.pdf" in out and "encrypted" in out


def test_a_pdf_decompression_bomb_is_refused_not_inflated(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    import zlib

    bomb = zlib.compress(b"BT /F1 12 Tf (a) Tj ET\n" * 8_000_000, 9)  # ~180 MB inflated
    pdf = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>endobj\n"
        + f"4 0 obj<</Length {len(bomb)}/Filter/FlateDecode>>stream\n".encode()
        + bomb
        + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    path = tmp_path / "bomb.pdf"
    path.write_bytes(pdf)
    out = baton(monkeypatch, database_url, "run", "contract_review", str(path), code=2)
    assert "bomb.pdf" in out and ("limit" in out or "not a readable PDF" in out)


def test_a_deeply_nested_pdf_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    nested = b"[" * 100_000 + b"]" * 100_000
    pdf = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/X " + nested + b">>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    path = tmp_path / "nested.pdf"
    path.write_bytes(pdf)
    out = baton(monkeypatch, database_url, "run", "contract_review", str(path), code=2)
    assert "nested.pdf" in out


def test_json_errors_are_one_json_object_on_stdout(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from graphs.cli.app import app

    monkeypatch.setenv("BATON_DATABASE_URL", database_url)
    path = _write(tmp_path, "input.json", json.dumps({**REFERRED, "broker": 5}))
    for args, field in (
        (["run", "underwriting", path, "--json"], "broker"),
        (["status", "no-such-thread", "--json"], None),
        (["run", "underwriting", path, "--thread-id", "a b", "--json"], "thread_id"),
    ):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2
        error = json.loads(result.stdout)
        assert error["exit_code"] == 2 and error["error"] and error["field"] == field, error


def test_agents_json_gives_each_agents_input_and_output_schema(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    listed = baton(monkeypatch, database_url, "agents", "--json")["agents"]
    assert listed
    for agent in listed:
        assert agent["input_schema"]["title"] == agent["input"]
        assert agent["output_schema"]["title"] == agent["output"]
        assert agent["input_schema"].get("properties"), agent["agent"]


def test_queue_and_status_are_readable_at_80_columns(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    from typer.testing import CliRunner

    from graphs.cli.app import app

    thread = "a-rather-long-thread-id-0123456789abcdef-0123456789"
    run_sample(monkeypatch, database_url, "02_high_risk_referral.json", thread)
    monkeypatch.setenv("COLUMNS", "80")
    for command in ("queue", "status"):
        out = CliRunner().invoke(app, [command]).output
        assert thread in out and "…" not in out, out
    queue = CliRunner().invoke(app, ["queue"]).output
    assert "high_risk: risk.band in ['high', 'severe'] (value: 'severe')" in queue
