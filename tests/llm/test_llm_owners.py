"""`baton owners` and `baton incidents` over model-backed runs (the scripted model server through
the real langchain-openai client), on SQLite and PostgreSQL: the tokens the model calls spent,
attempts that raised and the hop past them; a failure the node's error handler got past is no
incident."""

from __future__ import annotations

import pytest

import graphs.cli.owner_commands  # noqa: F401  (registers the commands)
from tests.integration.cli_helpers import baton, run_sample
from tests.llm.model_server import ScriptedModelServer
from tests.llm.test_llm_intake import GOOD


def test_owners_counts_tokens_errors_and_hops_of_a_model_agent(
    database_url: str, model_server: ScriptedModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATON_MODEL_INTAKE", "openai:scripted-intake")
    monkeypatch.setenv("BATON_MODEL_RETRY_INTERVAL", "0.05")
    model_server.script({"json": GOOD})
    run_sample(monkeypatch, database_url, "01_clean_straight_through.json", "llm-read")
    model_server.script({"status": 500}, {"status": 500}, {"status": 500})
    run_sample(monkeypatch, database_url, "01_clean_straight_through.json", "llm-down")

    spent = {"prompt": 0, "completion": 0}
    for thread in ("llm-read", "llm-down"):
        for event in baton(monkeypatch, database_url, "trace", thread, "--json")["events"]:
            if (
                event["kind"] == "step"
                and event["agent"] == "intake"
                and event["data"].get("tokens")
            ):
                spent = {key: spent[key] + event["data"]["tokens"][key] for key in spent}
    assert spent["prompt"] > 0

    report = baton(monkeypatch, database_url, "owners", "--json")
    intake = next(
        row
        for row in report["agents"]
        if (row["workflow"], row["agent"]) == ("underwriting", "intake")
    )
    assert intake["runs"] == 2 and intake["statuses"] == {"ok": 2}
    assert intake["model_runs"] == 1  # the server's errors cost no tokens
    assert intake["tokens"] == {
        "input": spent["prompt"],
        "output": spent["completion"],
        "total": spent["prompt"] + spent["completion"],
    }
    assert intake["errors"] == {"TransientModelFailure": 3}  # three attempts of the node
    assert intake["fallbacks"] == [
        {"implementation": "llm_reader", "to": "label_parser", "count": 1}
    ]

    incidents = baton(monkeypatch, database_url, "incidents", "--json")
    assert incidents["incidents"] == 0, incidents  # the error handler carried on: no incident
