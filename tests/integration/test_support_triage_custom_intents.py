"""A team's own intents: `baton train support_triage --data CSV` learns any label set, the
routing file (`BATON_SUPPORT_TRIAGE_ROUTING_FILE`) routes it, tickets are routed to the team's
queues and a reviewer amends among its intents; an intent with no route, a label that cannot be
an intent and a file with one intent are refused, naming them, and nothing is trained."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from graphs import support_triage
from graphs.kit.runtime import open_workflow
from tests.integration.cli_helpers import baton

SUBJECTS = ("my", "our team's", "the new hire's", "a colleague's")
PHRASES = {
    "password_reset": (
        "I forgot {s} password and cannot sign in",
        "please reset {s} password, it expired this morning",
        "{s} account is locked after too many wrong passwords",
    ),
    "vpn_access": (
        "the VPN will not connect from {s} home network",
        "I need VPN access set up for {s} laptop",
        "{s} VPN drops every few minutes when working remotely",
    ),
    "laptop_repair": (
        "{s} laptop screen is cracked and needs fixing",
        "{s} laptop will not turn on since yesterday",
        "the keyboard on {s} laptop stopped working",
    ),
}
ROUTES = {
    "owner": "IT Service Desk <it-lead@example.com>",
    "teams": {
        "identity": {"queue": "Identity", "handles": "accounts and passwords"},
        "network": {"queue": "Network", "handles": "remote access"},
        "hardware": {"queue": "Hardware", "handles": "devices"},
    },
    "routes": {
        "password_reset": "identity",
        "vpn_access": "network",
        "laptop_repair": "hardware",
    },
}


def _write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "category"])
        writer.writerows(rows)
    return path


def _examples(extra: dict[str, tuple[str, ...]] | None = None) -> list[tuple[str, str]]:
    phrases = {**PHRASES, **(extra or {})}
    return [
        (phrase.format(s=subject), intent)
        for intent, templates in phrases.items()
        for phrase in templates
        for subject in SUBJECTS
    ]


@pytest.fixture
def helpdesk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """The IT helpdesk's files, configured: its training data, its routing file, a models
    folder of its own."""
    data = _write_csv(tmp_path / "helpdesk.csv", _examples())
    routes = tmp_path / "helpdesk_routes.yaml"
    routes.write_text(json.dumps(ROUTES), encoding="utf-8")
    models = tmp_path / "models"
    monkeypatch.setenv("BATON_SUPPORT_TRIAGE_TRAINING_DATA", str(data))
    monkeypatch.setenv("BATON_SUPPORT_TRIAGE_ROUTING_FILE", str(routes))
    monkeypatch.setenv("BATON_SUPPORT_TRIAGE_MODELS_DIR", str(models))
    return {"data": data, "routes": routes, "models": models}


def test_a_team_trains_its_own_intents_and_tickets_go_to_its_queues(
    helpdesk: dict[str, Path], sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    report = baton(monkeypatch, sqlite_url, "train", "support_triage", "--json")
    assert report["intents"] == 3 and report["rows"] == 36 and report["cached"] is False
    assert report["in_use"] is True and report["note"] is None
    assert set(report["soft_vote_weights"]) >= {"tfidf_voter", "embedding_voter"}
    # No keyword rule names these intents: the rules answered no message, are weighed at 0 and
    # are reported as abstaining, not as 0% accurate.
    assert report["held_out_answered"]["keyword_voter"] == 0.0
    assert report["soft_vote_weights"]["keyword_voter"] == 0.0
    assert report["held_out_answered"]["tfidf_voter"] == 1.0
    ticket = {"ticket_id": "IT-1", "text": "I forgot my password and now I cannot sign in"}
    with open_workflow("support_triage", sqlite_url) as flow:
        flow.start(ticket, thread_id="it-1")
        values = flow.graph.get_state(flow.config("it-1")).values
    route = values["routing"]["value"]
    assert (route["intent"], route["team"], route["queue"]) == (
        "password_reset",
        "identity",
        "Identity",
    )
    lines = {vote["voter"]: vote for vote in values["ballot"]["votes"]}
    assert lines["keyword_voter"]["status"] == "abstained", "no rule names these intents"
    for vote in values["ballot"]["votes"]:
        labels = {c["label"] for c in vote["candidates"]}
        assert labels <= set(PHRASES), "no Banking77 intent is ever proposed"

    # A reviewer amends among the team's intents only (here nothing settles by itself).
    rules = support_triage.load_vote_rules().model_dump()
    strict = tmp_path / "vote.yaml"
    strict.write_text(
        json.dumps({**rules, "soft_vote_min_confidence": 1.0, "arbiter_min_confidence": 1.0}),
        encoding="utf-8",
    )
    monkeypatch.setattr(support_triage, "VOTE_FILE", strict)
    amend = tmp_path / "amend.json"
    with open_workflow("support_triage", sqlite_url) as flow:
        flow.start({"ticket_id": "IT-2", "text": "hello, something is odd"}, thread_id="it-2")
    amend.write_text(json.dumps({"intent": "card_arrival"}), encoding="utf-8")
    refused = baton(
        monkeypatch,
        sqlite_url,
        "review",
        "it-2",
        "--amend",
        str(amend),
        "--reviewer",
        "Ada",
        code=2,
    )
    assert "card_arrival" in refused and "no route" in refused
    amend.write_text(json.dumps({"intent": "vpn_access"}), encoding="utf-8")
    decided = baton(
        monkeypatch,
        sqlite_url,
        "review",
        "it-2",
        "--amend",
        str(amend),
        "--reviewer",
        "Ada",
        "--json",
    )
    assert (decided["decision"]["intent"], decided["decision"]["queue"]) == (
        "vpn_access",
        "Network",
    )


def test_an_intent_with_no_route_is_refused_with_its_name(
    helpdesk: dict[str, Path], sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    printers = {"printer_jam": ("the printer on {s} floor keeps jamming",)}
    data = _write_csv(tmp_path / "more.csv", _examples(printers))
    output = baton(monkeypatch, sqlite_url, "train", "support_triage", "--data", str(data), code=2)
    assert "printer_jam" in output and "not routed to any team" in output
    assert "BATON_SUPPORT_TRIAGE_ROUTING_FILE" in output.replace("\n", "")
    assert str(helpdesk["routes"]) in output.replace("\n", "")
    assert not (helpdesk["models"] / "support_triage").exists(), "nothing was trained"


@pytest.mark.parametrize(
    ("category", "says"),
    [
        ("", "row 3 has an empty category"),
        ("42_is_not_a_name", "row 3: category '42_is_not_a_name' cannot be an intent's name"),
        ("bad\u202ename", "cannot be an intent's name"),
    ],
)
def test_a_label_that_cannot_be_an_intent_is_refused_naming_its_row(
    helpdesk: dict[str, Path],
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    category: str,
    says: str,
) -> None:
    rows = _examples()
    rows[1] = (rows[1][0], category)
    data = _write_csv(tmp_path / "bad.csv", rows)
    output = baton(monkeypatch, sqlite_url, "train", "support_triage", "--data", str(data), code=2)
    assert says in output.replace("\n", "") and "bad.csv" in output.replace("\n", "")


def test_one_intent_or_one_example_of_an_intent_is_not_enough_to_learn_from(
    helpdesk: dict[str, Path], sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    only = _write_csv(tmp_path / "only.csv", [("reset my password", "password_reset")] * 5)
    output = baton(monkeypatch, sqlite_url, "train", "support_triage", "--data", str(only), code=2)
    assert "at least two intents" in output
    rows = [row for row in _examples() if row[1] != "laptop_repair"]
    rows.append(("my laptop is broken", "laptop_repair"))
    single = _write_csv(tmp_path / "single.csv", rows)
    output = baton(
        monkeypatch, sqlite_url, "train", "support_triage", "--data", str(single), code=2
    )
    assert "laptop_repair" in output and "at least two example messages" in output


def test_training_other_data_than_the_runs_use_says_so(
    helpdesk: dict[str, Path], sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other = _write_csv(tmp_path / "other.csv", _examples()[::-1])
    report: dict[str, Any] = baton(
        monkeypatch, sqlite_url, "train", "support_triage", "--data", str(other), "--json"
    )
    assert report["in_use"] is False
    assert "BATON_SUPPORT_TRIAGE_TRAINING_DATA" in report["note"] and str(other) in report["note"]
    text = baton(monkeypatch, sqlite_url, "train", "support_triage", "--data", str(other))
    assert "set it to" in text.replace("\n", " ")
    assert "keyword_voter (held out): answered no message" in text.replace("\n", " ")
    assert "keyword_voter (held out): accuracy" not in text


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            "text,category,text\nreset my password,password_reset,x\n",
            "the header names ['text'] more than once",
        ),
        (  # not separated by commas: what the first line reads is shown
            "text;category\nreset my password;password_reset\n",
            "missing ['category', 'text']; the first line reads ['text;category']: columns are "
            "separated by commas",
        ),
    ],
    ids=["a column named twice", "semicolons"],
)
def test_a_header_without_one_text_and_one_category_column_is_refused(
    helpdesk: dict[str, Path],
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    content: str,
    problem: str,
) -> None:
    data = tmp_path / "header.csv"
    data.write_text(content, encoding="utf-8")
    output = baton(monkeypatch, sqlite_url, "train", "support_triage", "--data", str(data), code=2)
    assert problem in " ".join(output.split())


def test_one_intent_spelt_two_ways_in_unicode_is_one_intent(tmp_path: Path) -> None:
    from agents.support_triage.intents import intents_of, read_labelled_csv

    composed, decomposed = "caf\u00e9_card", "cafe\u0301_card"
    data = _write_csv(
        tmp_path / "cafe.csv",
        [("my cafe card", composed), ("the cafe card", decomposed), ("reset it", "password")],
    )
    assert intents_of(read_labelled_csv(data)) == (composed, "password")


@pytest.mark.parametrize(
    ("routes", "says"),
    [
        ("routes:\n  yes: identity\n", "are not read as intent names"),
        ("routes:\n  vpn_access: network\n  vpn_access: identity\n", "'vpn_access' is given twice"),
    ],
)
def test_a_routing_file_yaml_misreads_is_refused_naming_the_key(
    tmp_path: Path, routes: str, says: str
) -> None:
    from agents.support_triage.routing import RoutingError, load_routing

    path = tmp_path / "routes.yaml"
    path.write_text(
        "owner: IT\nteams:\n  identity: {queue: Identity, handles: accounts}\n"
        "  network: {queue: Network, handles: remote access}\n" + routes,
        encoding="utf-8",
    )
    with pytest.raises(RoutingError, match=r"routes\.yaml") as raised:
        load_routing(path)
    assert says in str(raised.value)


def test_training_the_same_data_twice_gives_the_same_models(
    helpdesk: dict[str, Path], tmp_path: Path
) -> None:
    from agents.support_triage.training import load_models, train
    from agents.support_triage.voters import encoder_linear_votes, tfidf_votes

    texts = ["my vpn keeps dropping", "the laptop screen broke", "password expired"]
    seen = []
    for attempt in ("first", "second"):
        models_dir = tmp_path / attempt
        report = train(helpdesk["data"], models_dir=models_dir, force=True)
        models = load_models(helpdesk["data"], models_dir)
        votes = [*tfidf_votes(texts, models), *encoder_linear_votes(texts, models)]
        seen.append(
            (
                report["held_out_accuracy"],
                report["soft_vote_weights"],
                report["weak_route_on_training_folds"],
                report["familiarity_floor"],
                [(vote.label, round(vote.confidence, 9)) if vote else None for vote in votes],
            )
        )
    assert seen[0] == seen[1]
    assert any(seen[0][-1][len(texts) :]), "the encoder voter votes on some of them"


def test_models_fitted_in_worker_processes_are_the_ones_fitted_here(
    helpdesk: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large data fits the fold models in worker processes, small data here: the numbers are the
    same either way (each fit single-threaded), so where a model was trained does not matter."""
    import joblib
    import numpy as np

    from agents.support_triage import training

    workers: list[int] = []

    class CountingParallel(joblib.Parallel):  # type: ignore[misc]
        def __call__(self, iterable: Any) -> Any:
            if (self.n_jobs or 1) > 1:  # scikit-learn's own calls ask for one job
                workers.append(self.n_jobs)
            return super().__call__(iterable)

    monkeypatch.setattr(joblib, "Parallel", CountingParallel)
    fitted = []
    for processes_from in (10**9, 0):  # here, then in worker processes
        monkeypatch.setattr(training, "PROCESSES_FROM", processes_from)
        models_dir = tmp_path / str(processes_from)
        report = training.train(helpdesk["data"], models_dir=models_dir, force=True)
        fitted.append((report, training.load_models(helpdesk["data"], models_dir)))
        if processes_from:
            assert workers == [], "fitted here"
    assert len(workers) == 2 and min(workers) >= 2, "the TF-IDF and layer models in workers"
    (here_report, here), (workers_report, workers_models) = fitted
    assert here_report["held_out_accuracy"] == workers_report["held_out_accuracy"]
    assert here_report["soft_vote_weights"] == workers_report["soft_vote_weights"]
    assert np.array_equal(here.linear.coef_, workers_models.linear.coef_)
    assert np.array_equal(here.layer_linear.coef_, workers_models.layer_linear.coef_)
    assert np.array_equal(here.layer_scaler.mean_, workers_models.layer_scaler.mean_)
    assert here.tfidf_calibration == workers_models.tfidf_calibration
    assert here.layer_calibration == workers_models.layer_calibration


def test_two_trainers_of_the_same_data_at_once_train_it_once(
    helpdesk: dict[str, Path],
) -> None:
    """Two `baton train` processes started together (two workers, two operators): one trains,
    the other waits for it and reports its models as cached, instead of training them again."""
    import subprocess
    import sys

    command = [sys.executable, "-c", "from graphs.cli.app import app; app()", "train"]
    command += ["support_triage", "--data", str(helpdesk["data"]), "--json"]
    trainers = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    reports = []
    for trainer in trainers:
        out, err = trainer.communicate(timeout=300)
        assert trainer.returncode == 0, err[-2000:]
        reports.append(json.loads(out))
    assert sorted(report["cached"] for report in reports) == [False, True]
    assert reports[0]["trained_at"] == reports[1]["trained_at"], "the same models, once"
    assert len([p for p in helpdesk["models"].rglob("models.joblib")]) == 1
