"""The late-delivery investigation on SQLite and PostgreSQL, from Python and the command line: the
shipped samples debated to their planted cause (a carrier turning late, a broad rise with no
single cause, a feed's impossible dates behind a carrier, a supplier's move to a slow carrier),
every post traced and replayed round by round, an ambiguous finding stopping for an analyst who
amends it, the shipments read from a CSV path or given inline, and bad input refused with exit 2
and the field named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agents.late_delivery.shipments_file import read_shipments
from checkpoints.trace_store import TraceStore
from graphs.kit.contracts import ContractViolation
from graphs.kit.runtime import open_workflow
from schemas.trace import EventKind
from tests.conftest import ROOT
from tests.integration.cli_helpers import baton

SAMPLES = ROOT / "data" / "samples" / "late_delivery"


def sample(name: str) -> dict[str, Any]:
    """A sample's input as shipped (its shipments a CSV path, relative to the sample)."""
    data: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def planted(name: str) -> tuple[str, str | None]:
    truth = json.loads((SAMPLES / f"{name}.planted.json").read_text(encoding="utf-8"))
    return truth["planted"]["dimension"], truth["planted"]["value"]


def inline(name: str) -> dict[str, Any]:
    return {**sample(name), "shipments": read_shipments(SAMPLES / f"{name}.csv")}


@pytest.mark.parametrize(
    "name",
    [
        "01_carrier_late",
        "04_broad_rise",
        "05_data_error_impossible_dates",
        "07_confounded_mix_shift",
    ],
)
def test_a_sample_is_debated_to_its_planted_cause(name: str, sqlite_url: str) -> None:
    with open_workflow("late_delivery", sqlite_url) as flow:
        report = flow.start(sample(name), thread_id=name, base=SAMPLES)
        assert report.status == "completed", report.packet
        state = flow.graph.get_state(flow.config(name)).values
    decision = report.decision
    assert decision is not None and decision["outcome"] == "cleared"
    assert (decision["dimension"], decision["value"]) == planted(name)
    assert decision["ended_by"] == "consensus" and decision["rounds"] == 2
    effect = decision["effect"]
    assert effect["ci_low"] <= effect["estimate"] <= effect["ci_high"] and effect["estimate"] > 0
    finding = state["finding"]["value"]
    board = {p["id"]: p for p in state["board"]}
    assert finding["cites"] and set(finding["cites"]) <= set(board), "it cites real posts"
    assert all(
        board[i]["kind"] in ("hypothesis", "evidence", "support")
        for i in finding["supporting_posts"]
    )
    assert decision["posts"] == len(board) and state["debate"]["failed_turns"] == []


def test_a_confounded_supplier_is_challenged_and_conceded(sqlite_url: str) -> None:
    """The issue's example: a supplier's rise is its shipments moving to a carrier that is late
    for everyone; the carrier peer challenges it with a stratified comparison (the consensus on
    the carrier ends the debate with the challenge standing)."""
    with open_workflow("late_delivery", sqlite_url) as flow:
        flow.start(sample("07_confounded_mix_shift"), thread_id="mix", base=SAMPLES)
        board = flow.graph.get_state(flow.config("mix")).values["board"]
    truth = json.loads((SAMPLES / "07_confounded_mix_shift.planted.json").read_text())
    supplier = next(
        p for p in board if p["kind"] == "hypothesis" and p["value"] == truth["obvious"]["value"]
    )
    challenge = next(p for p in board if p["kind"] == "challenge" and p["target"] == supplier["id"])
    assert challenge["author"] == "carrier" and "vanishes within carrier" in challenge["reason"]
    about = next(
        p for p in board if p["id"] == challenge["reason"].split("see ")[1][:-1].split(")")[0]
    )
    assert about["measure"] == "explained_rise_within_carrier"
    assert about["ci_high"] < 0.5 * next(
        p["estimate"]
        for p in board
        if p.get("about") == supplier["id"] and p["measure"] == "explained_rise"
    )
    assert f"carrier {truth['planted']['value']} carries it" in challenge["reason"]


def test_an_ambiguous_finding_stops_for_an_analyst_who_amends_it(database_url: str) -> None:
    name = "09_confounded_supplier_behind_country"
    with open_workflow("late_delivery", database_url) as flow:
        report = flow.start(inline(name), thread_id="ambiguous")
        assert report.status == "awaiting_review"
        packet = report.packet
        assert packet is not None
        assert [r["rule"] for r in packet["reasons"]] == ["weak_finding"]
        assert packet["evidence"]["board"] and packet["evidence"]["debate"]["ending"]
        assert packet["amendable_fields"] == ["dimension", "value"]
        with pytest.raises(Exception, match="not in the shipments"):
            flow.resume(
                "ambiguous",
                {
                    "action": "amend",
                    "reviewer": "Ana Lyst",
                    "corrections": {"dimension": "supplier", "value": "Nobody Ltd"},
                },
            )
        dimension, value = planted(name)
        done = flow.resume(
            "ambiguous",
            {
                "action": "amend",
                "reviewer": "Ana Lyst",
                "corrections": {"dimension": dimension, "value": value},
                "note": "the country's other supplier did not rise",
            },
        )
    decision = done.decision
    assert done.status == "completed" and decision is not None
    assert (decision["outcome"], decision["decided_by"]) == ("cleared_by_reviewer", "Ana Lyst")
    assert (decision["dimension"], decision["value"]) == (dimension, value)
    assert decision["finding"]["reason"] == "set by the analyst at the review gate"
    assert decision["finding"]["supporting_posts"], "the analyst's finding cites the board's posts"


def test_every_post_is_traced_and_trace_replays_the_debate_round_by_round(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    path = str(SAMPLES / "01_carrier_late.json")
    ran = baton(
        monkeypatch, sqlite_url, "run", "late_delivery", path, "--thread-id", "t1", "--json"
    )
    assert ran["status"] == "completed" and ran["decision"]["dimension"] == "carrier"
    events = TraceStore(sqlite_url).events("t1")
    posts = [e.data for e in events if e.kind is EventKind.POST]
    assert len(posts) == ran["decision"]["posts"]
    assert [e.data["rule"] for e in events if e.kind is EventKind.DEBATE_ENDED] == ["consensus"]
    shown = baton(monkeypatch, sqlite_url, "trace", "t1")
    replay = shown[shown.index("Round 0") :]  # after the table of every event
    round_1 = replay.index("Round 1")
    assert replay.index("r0.carrier.0 carrier hypothesis: carrier =") < round_1
    assert round_1 < replay.index("support of r0.carrier.0")
    assert replay.index("support of r0.carrier.0") < replay.index("the debate ended (consensus)")
    status = baton(monkeypatch, sqlite_url, "status", "t1")
    assert "ended by consensus" in status and "carrier =" in status


def test_shipments_from_a_path_relative_to_the_working_directory_or_inline(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    monkeypatch.chdir(SAMPLES)
    with open_workflow("late_delivery", sqlite_url) as flow:
        from_path = flow.start(sample("04_broad_rise"), thread_id="path")
        rows = flow.start(inline("04_broad_rise"), thread_id="rows")
    assert from_path.decision is not None and rows.decision is not None
    assert from_path.decision["dimension"] == rows.decision["dimension"] == "none"
    assert from_path.decision["effect"] == rows.decision["effect"]


def _question(folder: Path, shipments: str, **windows: Any) -> str:
    given = {
        "investigation_id": "BAD-1",
        "baseline": {"start": "2025-04-01", "end": "2025-06-30"},
        "period": {"start": "2025-07-01", "end": "2025-09-30"},
        "shipments": shipments,
        **windows,
    }
    path = folder / "question.json"
    path.write_text(json.dumps(given), encoding="utf-8")
    return str(path)


def test_bad_input_exits_2_and_names_the_field(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path
) -> None:
    lines = (SAMPLES / "01_carrier_late.csv").read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:200]
    files = {
        "nocolumn.csv": "\n".join(
            [header.replace(",delivered_date", "")] + [r.rsplit(",", 1)[0] for r in rows]
        ),
        "baddate.csv": "\n".join([header, *rows, rows[0].replace("2025-", "2025-13-", 1)]),
        "empty.csv": "",
        "good.csv": "\n".join([header, *rows]),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")

    def refused(*args: str) -> dict[str, Any]:
        out = baton(monkeypatch, sqlite_url, "run", "late_delivery", *args, "--json", code=2)
        start = out.index("{")
        answer: dict[str, Any] = json.JSONDecoder().raw_decode(out[start:])[0]
        return answer

    missing = refused(_question(tmp_path, "nocolumn.csv"))
    assert (
        missing["field"] == "shipments" and "lacks the column(s) delivered_date" in missing["error"]
    )
    bad_date = refused(_question(tmp_path, "baddate.csv"))
    assert bad_date["field"] == "shipments"
    assert f"line {len(rows) + 2}, column ship_date" in bad_date["error"]
    assert "is not a date" in bad_date["error"]
    backwards = refused(
        _question(tmp_path, "good.csv", period={"start": "2025-09-30", "end": "2025-07-01"})
    )
    assert backwards["field"] == "period"
    assert "it ends (2025-07-01) before it starts (2025-09-30)" in backwards["error"]
    empty = refused(_question(tmp_path, "empty.csv"))
    assert empty["field"] == "shipments" and "is empty" in empty["error"]
    assert TraceStore(sqlite_url).thread("BAD-1") is None, "nothing ran, nothing was saved"


def test_python_refuses_bad_rows_before_anything_runs(sqlite_url: str) -> None:
    question = inline("04_broad_rise")
    question["shipments"][3]["promised_date"] = "next week"
    with (
        open_workflow("late_delivery", sqlite_url) as flow,
        pytest.raises(ContractViolation) as error,
    ):
        flow.start(question, thread_id="bad")
    assert "shipments.3.promised_date" in str(error.value)
