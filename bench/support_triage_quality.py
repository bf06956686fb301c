"""Support triage quality on held-out Banking77 messages: each classifier, and the vote + arbiter.

`python -m bench.support_triage_quality TRAIN_CSV TEST_CSV [--json] [--json-out FILE]
[--models-dir DIR] [--decisions FILE]` trains the offline classifiers on TRAIN_CSV
(`agents.support_triage.training.train`, cached by the CSV's hash under DIR, default the
configured models folder) and scores them on TEST_CSV (`text,category` rows; `make bench-triage`
makes the two with `bench.split_csv`, seed 2026, test share 0.2).

Each test message goes down the workflow's offline decision path, with the workflow's own
functions: the keyword, TF-IDF, neighbour and encoder-linear voters' votes (batch versions of the
same classifiers) → `graphs.patterns.vote.count_ballot` with the configured vote
(`policies/support_triage_vote.yaml`: by default the soft vote, the voters' calibrated
probabilities weighed with the weights learned on held-out folds of the training data; or a
majority) → a vote at or above its threshold settles the intent; a ballot with no votes goes to a
person with no label; any other ballot goes to the deterministic arbiter
(`agents.support_triage.specs.rule_on_ballot`), whose ruling settles the intent when its
confidence is at least `arbiter_min_confidence`, and otherwise goes to a person with the ruling's
label as the suggestion. The router then routes the intent and the review gate's policy
(`policies/support_triage.yaml`, through `graphs.kit.policy.assess`, as the gate does) says
whether a person reviews it; a case the vote did not settle always waits for a person. The
chat-model voter is not configured here: it sits out, and is left out of the ballot (as is the
model arbiter, which falls back to the rule).

Figures, for the vote and for each classifier alone:
- accuracy: the share of messages whose label (settled, or suggested to the person) is the right
  intent; an abstention or a case with no label counts as wrong;
- macro F1: scikit-learn's `f1_score(average="macro")` over the intents present in the test
  set, with "no label" as a label of its own that is never right;
- queue rate: the share sent to a person. For the vote, as the workflow does (above). For a
  classifier alone: when it abstains or its calibrated confidence is below the gate's threshold;
- auto accuracy: the accuracy on the cases not sent to a person (null when there are none).

The lever is the review gate's `weak_route` threshold on the settled intent's confidence (for the
soft vote, its calibrated combined probability): the curve re-decides at thresholds 0.0, 0.1, …,
0.9, 0.95, 0.98 (and the configured one), the gate's other rules still applying; `lever` gives,
on a finer grid, the threshold that queues the least while routing at least 99% right alone, and
the best accuracy alone with at most 15% queued. `targets` says whether the issue's targets hold
(accuracy ≥ 95%; ≥ 99% right alone with ≤ 15% queued; the vote ≥ 1 point above its best voter).

It prints the Markdown section, or with `--json` the figures as one JSON object (`--json-out FILE`
writes that object to FILE as well). `--decisions FILE` writes the vote's path for each test
message, one JSON object a line: the text and its intent, the ballot's outcome, the label and
confidence of the majority or the ruling, whether the arbiter failed and whether the gate stops
the settled intent, and where it ends at each threshold of the curve (label, queued, decided by,
reason).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from agents.support_triage.intents import LabelledMessage, read_labelled_csv
from bench.split_csv import DEFAULT_SEED, DEFAULT_TEST_SHARE, stratified_split

if TYPE_CHECKING:
    from agents.spec import AgentContext, AgentSpec
    from graphs.kit.policy import ReviewPolicy
    from graphs.patterns.vote import SoftVote
    from graphs.support_triage import VoteRules
    from schemas.ballot import Ballot
    from schemas.support_triage import IntentVote

CLASSIFIERS = ("keywords", "tfidf", "neighbours", "encoder_linear")
"""The classifiers alone, in the voters' order (`specs.OFFLINE_VOTERS`)."""
CURVE = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)
LEVER_RULE = "weak_route"
"""The review gate's rule whose threshold on the route's confidence is the lever."""
FINE = tuple(round(0.5 + step / 100, 2) for step in range(50))
"""The finer grid the lever's figures are read on."""
TARGETS = {"accuracy": 0.95, "auto_accuracy": 0.99, "max_queue_rate": 0.15, "over_best_voter": 0.01}
NO_LABEL = "(no label)"
"""What a prediction without a label is scored as: a label that is not an intent."""
CLASSIFIER_QUEUE = (
    "a classifier alone sends a message to a person when it abstains or its calibrated confidence "
    "is below the gate's threshold"
)
VOTE_QUEUE = (
    "the vote sends a message to a person when no voter's vote counted, when the arbiter's ruling "
    "is below the arbiter threshold (or the arbiter could not rule), or when the review gate's "
    "policy says review for the routed intent (its weak_route rule: confidence below the "
    "threshold)"
)


class BenchInputError(ValueError):
    """A training or test file that cannot be used; the message names the file."""


@dataclass(frozen=True)
class Decision:
    """What the workflow decided for one message (before the threshold-dependent steps)."""

    outcome: str
    """The ballot's outcome: weighted, not_confident, majority, no_majority, no_quorum or
    no_votes."""
    label: str | None
    """The intent settled or suggested (None when nobody could vote)."""
    confidence: float | None
    """The vote's (the majority's) or the ruling's confidence."""
    arbiter_failed: bool = False
    gate_review: bool = False
    """Whether the review gate's rules other than the lever stop the routed intent."""


@dataclass(frozen=True)
class Verdict:
    """One message's end: the label, whether it went to a person, and who decided it."""

    label: str | None
    queued: bool
    decided_by: str
    """vote, majority, arbiter or queued."""
    reason: str
    """Why it went to a person: no_votes, weak_ruling, arbiter_failed, gate, weak_route; else
    settled."""


def write_split(
    source: Path,
    out_dir: Path,
    *,
    test_share: float = DEFAULT_TEST_SHARE,
    seed: int = DEFAULT_SEED,
) -> tuple[Path, Path]:
    """`bench.split_csv`'s split of `source` into `out_dir`/train.csv and test.csv, written
    byte for byte as it writes them (so the trained models' cache is shared)."""
    try:
        with source.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = list(reader.fieldnames or [])
            rows = list(reader)
    except OSError as error:
        raise BenchInputError(f"cannot read {source}: {error.strerror or error}") from error
    if "category" not in columns:
        raise BenchInputError(f"{source}: has no column 'category' (columns: {columns})")
    train, test = stratified_split(rows, "category", test_share, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = out_dir / "train.csv", out_dir / "test.csv"
    for path, part in zip(paths, (train, test), strict=True):
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(part)
    return paths


def _read(path: Path) -> list[LabelledMessage]:
    try:
        return read_labelled_csv(path)
    except ValueError as error:
        raise BenchInputError(str(error)) from error


def _voter_results(
    votes: Sequence[IntentVote | None], spec: AgentSpec, implementation: str
) -> list[dict[str, Any]]:
    """Each vote as the JSON `AgentResult` the voter's node writes (`empty` for an abstention)."""
    from schemas.result import AgentResult, Status
    from schemas.support_triage import IntentVote

    results: list[dict[str, Any]] = []
    for vote in votes:
        if vote is None:
            result = AgentResult[IntentVote](
                status=Status.EMPTY,
                reason="abstained: no keyword rule matched, or the message is unlike every "
                "training message",
                agent=spec.name,
                version=spec.version,
                implementation=implementation,
            )
        else:
            result = AgentResult[IntentVote](
                status=Status.OK,
                value=vote,
                agent=spec.name,
                version=spec.version,
                implementation=implementation,
            )
        results.append(result.model_dump(mode="json"))
    return results


def decide(
    results: Mapping[str, Any],
    rules: VoteRules,
    policy: ReviewPolicy,
    context: AgentContext,
    soft: SoftVote | None = None,
) -> tuple[Decision, Ballot]:
    """One message down the workflow's path, from its voters' results (JSON `AgentResult`s by
    state key) to the ballot (weighed by `soft` when the vote file says soft) and, when it is not
    settled, the arbiter's ruling; whether the review gate's rules other than the lever stop the
    intent once settled is worked out too (pass `without_lever(policy)`: the lever, the
    weak_route threshold, is applied by `verdict`). Returns the decision and the ballot."""
    from agents.support_triage.specs import OFFLINE_VOTERS, rule_on_ballot
    from graphs.patterns.vote import count_ballot
    from schemas.ballot import ArbitrationCase
    from schemas.result import Outcome

    ballot = count_ballot(OFFLINE_VOTERS, results, rules.quorum, rules.min_vote_confidence, soft)
    if ballot.outcome in ("majority", "weighted"):
        if ballot.outcome == "weighted":
            confidence = ballot.combined[0].probability
        else:  # as the tally: the majority's confidence is the highest among its votes
            confidence = max(v.confidence or 0 for v in ballot.votes if v.label == ballot.winner)
        stage: Literal["majority", "vote"] = "vote" if ballot.outcome == "weighted" else "majority"
        gate = gate_review(policy, ballot.winner, confidence, stage, context)
        return Decision(ballot.outcome, ballot.winner, confidence, gate_review=gate), ballot
    if ballot.outcome == "no_votes":
        return Decision(ballot.outcome, None, None), ballot
    ruling = rule_on_ballot(ArbitrationCase(ballot=ballot), context)
    if isinstance(ruling, Outcome):
        return Decision(ballot.outcome, None, None, arbiter_failed=True), ballot
    gate = gate_review(policy, ruling.label, ruling.confidence, "arbiter", context)
    return Decision(ballot.outcome, ruling.label, ruling.confidence, gate_review=gate), ballot


def without_lever(policy: ReviewPolicy) -> ReviewPolicy:
    """The review policy without its lever rule (`LEVER_RULE`), which `verdict` applies."""
    return policy.model_copy(
        update={"rules": [rule for rule in policy.rules if rule.name != LEVER_RULE]}
    )


def lever_threshold(policy: ReviewPolicy) -> float:
    """The configured lever: the weak_route rule's `less_than` (0 when there is none)."""
    for rule in policy.rules:
        if rule.name == LEVER_RULE and rule.less_than is not None:
            return float(rule.less_than)
    return 0.0


def gate_review(
    policy: ReviewPolicy,
    label: str | None,
    confidence: float | None,
    decided_by: Literal["majority", "vote", "arbiter"],
    context: AgentContext,
) -> bool:
    """Whether the review gate's policy stops a settled intent: the router's answer for it,
    assessed as the gate assesses it (no escalation: the vote settled it)."""
    from agents.support_triage.routing import route_ticket
    from agents.support_triage.specs import ROUTER
    from graphs.kit.policy import assess
    from schemas.result import AgentResult, Outcome, Status
    from schemas.support_triage import Route, RouteRequest

    request = RouteRequest(intent=label, confidence=confidence, decided_by=decided_by, settled=True)
    route = route_ticket(request, context)
    if isinstance(route, Outcome):
        result = AgentResult[Route](
            status=route.status,
            reason=route.reason,
            error_kind=route.error_kind,
            agent=ROUTER.name,
            version=ROUTER.version,
            implementation="routing_table",
        )
    else:
        result = AgentResult[Route](
            status=Status.OK,
            value=route,
            agent=ROUTER.name,
            version=ROUTER.version,
            implementation="routing_table",
        )
    results = {ROUTER.name: result.model_dump(mode="json")}
    return assess(policy, results, [ROUTER.name]).action == "review"


def verdict(decision: Decision, threshold: float, arbiter_min: float) -> Verdict:
    """Where a decision ends with the gate's lever at `threshold` and the arbiter's at
    `arbiter_min`."""
    if decision.outcome == "no_votes":
        return Verdict(None, True, "queued", "no_votes")
    if decision.arbiter_failed:
        return Verdict(None, True, "queued", "arbiter_failed")
    if decision.outcome == "majority":
        decided_by = "majority"
    elif decision.outcome == "weighted":
        decided_by = "vote"
    elif (decision.confidence or 0.0) >= arbiter_min:
        decided_by = "arbiter"
    else:
        return Verdict(decision.label, True, "queued", "weak_ruling")
    if decision.gate_review:
        return Verdict(decision.label, True, "queued", "gate")
    if (decision.confidence or 0.0) < threshold:
        return Verdict(decision.label, True, "queued", LEVER_RULE)
    return Verdict(decision.label, False, decided_by, "settled")


def _write_decisions(
    path: Path,
    texts: Sequence[str],
    truth: Sequence[str],
    decisions: Sequence[Decision],
    thresholds: Sequence[float],
    arbiter_min: float,
) -> None:
    """Each message's decision and its verdict at every threshold, one JSON object a line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for text, intent, decision in zip(texts, truth, decisions, strict=True):
            line = {
                "text": text,
                "intent": intent,
                **asdict(decision),
                "verdicts": [
                    {"threshold": threshold, **asdict(verdict(decision, threshold, arbiter_min))}
                    for threshold in thresholds
                ],
            }
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _accuracy(pairs: Iterable[tuple[str | None, str]]) -> float | None:
    listed = list(pairs)
    if not listed:
        return None
    return round(sum(label == truth for label, truth in listed) / len(listed), 4)


def score(
    labels: Sequence[str | None], queued: Sequence[bool], truth: Sequence[str]
) -> dict[str, Any]:
    """accuracy, macro F1, queue rate and auto accuracy of one set of predictions."""
    from sklearn.metrics import f1_score

    present = sorted(set(truth))
    predicted = [label if label is not None else NO_LABEL for label in labels]
    macro = f1_score(truth, predicted, labels=present, average="macro", zero_division=0)
    kept = [(label, right) for label, q, right in zip(labels, queued, truth, strict=True) if not q]
    return {
        "accuracy": _accuracy(zip(labels, truth, strict=True)),
        "macro_f1": round(float(macro), 4),
        "queue_rate": _share(sum(queued), len(truth)),
        "auto_accuracy": _accuracy(kept),
    }


def _curve_point(
    labels: Sequence[str | None], queued: Sequence[bool], truth: Sequence[str]
) -> dict[str, Any]:
    kept = [(label, right) for label, q, right in zip(labels, queued, truth, strict=True) if not q]
    return {"queue_rate": _share(sum(queued), len(truth)), "auto_accuracy": _accuracy(kept)}


def evaluate(
    train_csv: Path,
    test_csv: Path,
    models_dir: Path | None = None,
    *,
    split: Mapping[str, Any] | None = None,
    decisions_file: Path | None = None,
) -> dict[str, Any]:
    """Train on `train_csv` (cached), score the classifiers and the vote on `test_csv`; the
    result is what `--json` prints. `split` (how the two files were made) is kept with it; each
    message's path is written to `decisions_file` (JSON lines) when it is given.
    BenchInputError naming the file when either cannot be used."""
    test = _read(test_csv)
    training = _read(train_csv)

    from agents.spec import AgentContext
    from agents.support_triage.sentence_encoders import featurize
    from agents.support_triage.specs import AGENTS, OFFLINE_VOTERS
    from agents.support_triage.training import load_models, train
    from agents.support_triage.voters import (
        encoder_linear_votes,
        keyword_votes,
        neighbour_votes,
        tfidf_votes,
    )
    from graphs.kit.policy import workflow_policy
    from graphs.patterns.vote import SoftVote
    from graphs.support_triage import WORKFLOW_NAME, load_vote_rules, soft_vote

    rules = load_vote_rules()
    policy = workflow_policy(WORKFLOW_NAME, AGENTS)
    others = without_lever(policy)
    context = AgentContext(database_url="memory://")

    started = time.perf_counter()
    meta = train(train_csv, models_dir=models_dir)
    training_seconds = time.perf_counter() - started
    models = load_models(train_csv, models_dir)
    configured_soft = soft_vote(rules)
    # The workflow weighs with the configured data's models; here, with the models just trained.
    soft = (
        SoftVote(models.stacker.weigh, configured_soft.min_confidence, configured_soft.describe)
        if configured_soft is not None
        else None
    )

    texts = [message.text for message in test]
    truth = [message.intent for message in test]
    started = time.perf_counter()
    embeddings, layers = featurize(texts)
    encoded = time.perf_counter()
    votes: dict[str, list[IntentVote | None]] = {
        "keywords": keyword_votes(texts, models),
        "tfidf": list(tfidf_votes(texts, models)),
        "neighbours": neighbour_votes(texts, models, embeddings),
        "encoder_linear": encoder_linear_votes(texts, models, layers, embeddings),
    }
    voted = time.perf_counter()
    voters = OFFLINE_VOTERS
    by_key = {
        spec.writes: _voter_results(votes[name], spec, spec.implementations[0].name)
        for name, spec in zip(CLASSIFIERS, voters, strict=True)
    }
    decisions, ballots = [], []
    for index in range(len(texts)):
        results = {key: column[index] for key, column in by_key.items()}
        decision, ballot = decide(results, rules, others, context, soft)
        decisions.append(decision)
        ballots.append(ballot)
    decided = time.perf_counter()
    evaluation_seconds = decided - started

    arbiter_min = rules.arbiter_min_confidence
    configured = lever_threshold(policy)
    thresholds = sorted({*CURVE, configured})

    def vote_at(threshold: float) -> list[Verdict]:
        return [verdict(decision, threshold, arbiter_min) for decision in decisions]

    if decisions_file is not None:
        _write_decisions(decisions_file, texts, truth, decisions, thresholds, arbiter_min)

    def classifier_at(name: str, threshold: float) -> tuple[list[str | None], list[bool]]:
        labels = [vote.label if vote is not None else None for vote in votes[name]]
        queued = [vote is None or vote.confidence < threshold for vote in votes[name]]
        return labels, queued

    final = vote_at(configured)
    vote_labels = [v.label for v in final]
    headline = score(vote_labels, [v.queued for v in final], truth)
    classifiers = {}
    for name in CLASSIFIERS:
        labels, queued = classifier_at(name, configured)
        answered = sum(vote is not None for vote in votes[name])
        classifiers[name] = {
            **score(labels, queued, truth),
            "answered": _share(answered, len(truth)),
        }

    curve = []
    for threshold in thresholds:
        verdicts = vote_at(threshold)
        point: dict[str, Any] = {
            "threshold": threshold,
            "vote": _curve_point([v.label for v in verdicts], [v.queued for v in verdicts], truth),
        }
        for name in CLASSIFIERS:
            point[name] = _curve_point(*classifier_at(name, threshold), truth)
        curve.append(point)

    fine = []
    for threshold in sorted({*FINE, *CURVE, configured}):
        verdicts = vote_at(threshold)
        fine.append(
            {
                "threshold": threshold,
                **_curve_point([v.label for v in verdicts], [v.queued for v in verdicts], truth),
            }
        )
    lever = _lever(fine, configured)
    suggested = (meta.get("weak_route_on_training_folds") or {}).get("suggested")
    if suggested:
        at = vote_at(suggested["threshold"])
        lever["chosen_on_training_folds"] = {
            **suggested,
            "on_test": _curve_point([v.label for v in at], [v.queued for v in at], truth),
        }
    else:
        lever["chosen_on_training_folds"] = None
    best_voter = max((figures["accuracy"] or 0.0, name) for name, figures in classifiers.items())
    targets = _targets(headline, lever, best_voter)

    total = len(truth)
    decided_by = {}
    for group in ("vote", "majority", "arbiter", "queued"):
        members = [
            (v.label, right) for v, right in zip(final, truth, strict=True) if v.decided_by == group
        ]
        decided_by[group] = {
            "share": _share(len(members), total),
            "count": len(members),
            "accuracy": _accuracy(members),
        }
    reasons = Counter(v.reason for v in final if v.queued)
    outcomes = Counter(ballot.outcome for ballot in ballots)
    statuses: dict[str, Counter[str]] = {spec.name: Counter() for spec in voters}
    for ballot in ballots:
        for line in ballot.votes:
            statuses[line.voter][line.status] += 1
    training_texts = {message.text for message in training}
    held = meta.get("held_out_accuracy") or {}
    return {
        **headline,
        "classifiers": classifiers,
        "curve": curve,
        "lever": lever,
        "targets": targets,
        "thresholds": {
            "decision": rules.decision,
            "soft_vote_min_confidence": rules.soft_vote_min_confidence,
            "soft_vote_weights": models.stacker.weights,
            "weak_route": configured,
            "quorum": rules.quorum,
            "min_vote_confidence": rules.min_vote_confidence,
            "arbiter_min_confidence": arbiter_min,
            "gate_rules": [
                f"{rule.name}: {rule.describe()} → {rule.then}" for rule in policy.rules
            ],
        },
        "queue_definition": {"vote": VOTE_QUEUE, "classifiers": CLASSIFIER_QUEUE},
        "data": {
            "train": {"path": str(train_csv), "rows": len(training)},
            "test": {"path": str(test_csv), "rows": total, "intents": len(set(truth))},
            "test_texts_also_in_training": sum(text in training_texts for text in texts),
        },
        "split": dict(split) if split is not None else None,
        "vote": {
            "voters": [spec.name for spec in voters],
            "decision": rules.decision,
            "sat_out": "model_voter: no chat model is configured, so it sits out and is left "
            "out of the ballot (the arbiter is the deterministic calibrated average)",
            "decided_by": decided_by,
            "queued_because": {reason: _share(count, total) for reason, count in reasons.items()},
            "ballot_outcomes": {
                outcome: _share(count, total) for outcome, count in sorted(outcomes.items())
            },
            "voter_status": {
                name: {
                    status: _share(counter[status], total)
                    for status in ("counted", "abstained", "failed", "sat_out")
                }
                for name, counter in statuses.items()
            },
        },
        "timing": {
            "training_seconds": round(training_seconds, 1),
            "training_cached": bool(meta.get("cached")),
            "trained_in_seconds": meta.get("seconds"),
            "evaluation_seconds": round(evaluation_seconds, 2),
            "encode_seconds": round(encoded - started, 2),
            "voters_seconds": round(voted - encoded, 2),
            "decide_seconds": round(decided - voted, 2),
            "messages_per_second": round(total / evaluation_seconds, 1)
            if evaluation_seconds
            else None,
        },
        "training": {
            "rows": meta.get("rows"),
            "held_out_accuracy": held,
            "embedding_model": meta.get("embedding_model"),
            "encoders": meta.get("encoders"),
            "encoder_precision": meta.get("encoder_precision"),
            "training_version": meta.get("training_version"),
        },
    }


def _lever(fine: Sequence[Mapping[str, Any]], configured: float) -> dict[str, Any]:
    """From the fine curve of the test set: the threshold that queues the least while routing at
    least 99% right alone, and the best accuracy alone with at most 15% queued. These are read
    off the test set, so they say what the lever can do, not a threshold to ship: the one to
    ship is chosen on the training folds (`chosen_on_training_folds`, added by `evaluate`)."""
    reaching = [
        point for point in fine if (point["auto_accuracy"] or 0) >= TARGETS["auto_accuracy"]
    ]
    within = [point for point in fine if point["queue_rate"] <= TARGETS["max_queue_rate"]]
    at_99 = min(reaching, key=lambda p: (p["queue_rate"], p["threshold"])) if reaching else None
    best = (
        max(within, key=lambda p: (p["auto_accuracy"] or 0, -p["queue_rate"])) if within else None
    )
    return {
        "configured": configured,
        "for_99_percent": at_99,
        "best_within_15_percent_queued": best,
        "fine_curve": list(fine),
    }


def _targets(
    headline: Mapping[str, Any], lever: Mapping[str, Any], best_voter: tuple[float, str]
) -> dict[str, Any]:
    """The issue's targets against the measured figures. The queue target is read at the
    threshold chosen on the training folds (else the configured one), never at one picked on
    this test set."""
    chosen = lever.get("chosen_on_training_folds")
    point = (
        {**chosen["on_test"], "threshold": chosen["threshold"]}
        if chosen
        else {
            "queue_rate": headline["queue_rate"],
            "auto_accuracy": headline["auto_accuracy"],
            "threshold": lever["configured"],
        }
    )
    accuracy = headline["accuracy"] or 0.0
    over = round(accuracy - best_voter[0], 4)
    auto = point["auto_accuracy"] or 0.0
    return {
        "accuracy": {
            "target": TARGETS["accuracy"],
            "measured": accuracy,
            "met": accuracy >= TARGETS["accuracy"],
        },
        "auto_accuracy_within_15_percent_queued": {
            "target": TARGETS["auto_accuracy"],
            "measured": point["auto_accuracy"],
            "queue_rate": point["queue_rate"],
            "threshold": point["threshold"],
            "met": auto >= TARGETS["auto_accuracy"]
            and point["queue_rate"] <= TARGETS["max_queue_rate"],
        },
        "over_best_voter": {
            "target": TARGETS["over_best_voter"],
            "best_voter": best_voter[1],
            "measured": over,
            "met": over >= TARGETS["over_best_voter"] - 1e-9,
        },
    }


def _chosen_line(lever: Mapping[str, Any]) -> str:
    chosen = lever.get("chosen_on_training_folds")
    if not chosen:
        return "No threshold was chosen on the training folds (models trained before it was)."
    test = chosen["on_test"]
    return (
        f"The threshold chosen on the training's held-out folds (the most right alone with at "
        f"most 15% queued there): {chosen['threshold']:.2f}, queueing "
        f"{_pct(chosen['queue_rate'])} and routing {_pct(chosen['auto_accuracy'])} right alone on "
        f"those folds; on this test set it queues {_pct(test['queue_rate'])} and routes "
        f"{_pct(test['auto_accuracy'])} right alone (configured: {lever['configured']:.2f})."
    )


def _targets_line(targets: Mapping[str, Any], lever: Mapping[str, Any]) -> str:
    accuracy = targets["accuracy"]
    auto = targets["auto_accuracy_within_15_percent_queued"]
    over = targets["over_best_voter"]
    at_99 = lever["for_99_percent"]
    reach = (
        f"99% right alone is reached at threshold {at_99['threshold']:.2f}, queueing "
        f"{_pct(at_99['queue_rate'])}"
        if at_99
        else "no threshold routes 99% right alone"
    )

    def mark(met: bool) -> str:
        return "met" if met else "not met"

    return (
        f"Targets: accuracy ≥ {_pct(accuracy['target'])}: {_pct(accuracy['measured'])}, "
        f"{mark(accuracy['met'])}; with at most 15% queued, ≥ {_pct(auto['target'])} right "
        f"alone: {_pct(auto['measured'])} at {_pct(auto['queue_rate'])} queued (threshold "
        f"{auto['threshold']:.2f}, chosen on the training folds), {mark(auto['met'])} (on this "
        f"test set, {reach}); the vote ≥ 1 point above its best voter "
        f"({over['best_voter']}): {over['measured'] * 100:+.1f} points, {mark(over['met'])}."
    )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


QUEUE_REASONS = {
    "no_votes": "no voter could vote",
    "arbiter_failed": "the arbiter could not rule",
    "weak_ruling": "the arbiter's ruling was below its threshold",
    "gate": "a rule of the review policy other than the lever fired, such as arbiter_ruling",
    LEVER_RULE: "the settled intent's confidence was below the lever's threshold",
}
"""What each reason a message was queued for means, for the report."""


def section(result: Mapping[str, Any]) -> str:
    """The result as the support triage section of docs/benchmarks.md (Markdown)."""
    data, thresholds, vote, timing = (
        result["data"],
        result["thresholds"],
        result["vote"],
        result["timing"],
    )
    split = result.get("split")
    if split:
        where = (
            f"`{split['source']}` split by `bench.split_csv` (stratified by intent, seed "
            f"{split['seed']}, test share {split['test_share']}): {data['train']['rows']} training "
            f"and {data['test']['rows']} held-out test messages"
        )
    else:
        where = (
            f"trained on `{data['train']['path']}` ({data['train']['rows']} messages), tested on "
            f"`{data['test']['path']}` ({data['test']['rows']} messages)"
        )
    trained = (
        f"models cached (trained in {timing['trained_in_seconds']} s)"
        if timing["training_cached"]
        else f"training {timing['training_seconds']:.0f} s"
    )
    lines = [
        "## Support triage quality (`bench/support_triage_quality.py`)",
        "",
        f"Intents ({data['test']['intents']} in the test set), {where}. The workflow's "
        "offline decision path, with its own functions: the keyword, TF-IDF, neighbour and "
        "encoder-linear voters "
        f"→ the ballot (quorum {thresholds['quorum']}, vote floor "
        f"{thresholds['min_vote_confidence']}) → "
        + (
            "the soft vote (weights learned on held-out folds of the training data: "
            + ", ".join(f"{k} {v:g}" for k, v in thresholds["soft_vote_weights"].items())
            + f"; settles at {thresholds['soft_vote_min_confidence']} or more)"
            if thresholds["decision"] == "soft"
            else "a majority"
        )
        + f", or the deterministic arbiter at "
        f"`arbiter_min_confidence` {thresholds['arbiter_min_confidence']} → the review gate "
        f"({'; '.join(thresholds['gate_rules']) or 'no rules'}). The chat-model voter is not "
        "configured and sits out. "
        f"Encoders: {result['training']['embedding_model']}, in "
        f"{result['training']['encoder_precision']} (`BATON_SUPPORT_TRIAGE_ENCODERS` "
        f"{result['training']['encoders']}).",
        "",
        f"**Vote + arbiter: accuracy {_pct(result['accuracy'])}, macro F1 "
        f"{_num(result['macro_f1'])}, {_pct(result['queue_rate'])} to a person, "
        f"{_pct(result['auto_accuracy'])} right on the rest.**",
        "",
        _targets_line(result["targets"], result["lever"]),
        "",
        _chosen_line(result["lever"]),
        "",
        "| classifier | accuracy | macro F1 | queue rate | auto accuracy |",
        "|---|---:|---:|---:|---:|",
        f"| vote + arbiter | {_pct(result['accuracy'])} | {_num(result['macro_f1'])} | "
        f"{_pct(result['queue_rate'])} | {_pct(result['auto_accuracy'])} |",
    ]
    for name, figures in result["classifiers"].items():
        lines.append(
            f"| {name} alone | {_pct(figures['accuracy'])} | {_num(figures['macro_f1'])} | "
            f"{_pct(figures['queue_rate'])} | {_pct(figures['auto_accuracy'])} |"
        )
    lines += [
        "",
        "Accuracy counts the label the case ends with (for a queued case, the suggestion shown to "
        "the person); an abstention or no label is wrong. Macro F1 is scikit-learn's over the "
        f'intents in the test set, "no label" scored as a label of its own. Queue rate: {VOTE_QUEUE}; '
        f"{CLASSIFIER_QUEUE}. Auto accuracy is the accuracy on the cases not queued.",
        "",
        "How the vote decided (at the configured threshold):",
        "",
        "| decided by | share | accuracy |",
        "|---|---:|---:|",
    ]
    for group, figures in vote["decided_by"].items():
        lines.append(f"| {group} | {_pct(figures['share'])} | {_pct(figures['accuracy'])} |")
    if vote["queued_because"]:
        why = ", ".join(
            f"{reason} {_pct(share)}" for reason, share in sorted(vote["queued_because"].items())
        )
        meaning = "; ".join(
            f"{reason}: {QUEUE_REASONS[reason]}"
            for reason in sorted(vote["queued_because"])
            if reason in QUEUE_REASONS
        )
        meaning = f" ({meaning})" if meaning else ""
        lines += ["", f"Queued because (share of all messages): {why}{meaning}."]
    status = "; ".join(
        f"{name}: abstained {_pct(s['abstained'])}, failed {_pct(s['failed'])}"
        for name, s in vote["voter_status"].items()
    )
    lines += [
        "",
        f"Voters that did not count: {status}. Ballots: "
        + ", ".join(f"{o} {_pct(s)}" for o, s in vote["ballot_outcomes"].items())
        + ".",
        "",
        "Queue rate / auto accuracy as the gate's weak_route threshold moves (the lever: the "
        "settled intent's confidence; for a classifier alone, its confidence against the "
        "threshold):",
        "",
        "| threshold | vote | " + " | ".join(CLASSIFIERS) + " |",
        "|---:|---:|" + "---:|" * len(CLASSIFIERS),
    ]
    for point in result["curve"]:
        cells = [
            f"{_pct(point[name]['queue_rate'])} / {_pct(point[name]['auto_accuracy'])}"
            for name in ("vote", *CLASSIFIERS)
        ]
        marker = " (configured)" if point["threshold"] == thresholds["weak_route"] else ""
        lines.append(f"| {point['threshold']:.2f}{marker} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Time: {trained}; evaluation {timing['evaluation_seconds']:.1f} s for "
        f"{data['test']['rows']} messages ({timing['messages_per_second']} messages/s, one "
        f"embedding batch of {timing['encode_seconds']:.1f} s included).",
    ]
    overlap = data.get("test_texts_also_in_training")
    if overlap:
        lines += [
            "",
            f"{overlap} test message{'s' if overlap > 1 else ''} also "
            f"appear{'' if overlap > 1 else 's'} word for word in the training data.",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.support_triage_quality",
        description="Score the support triage classifiers and the vote on held-out messages.",
    )
    parser.add_argument("train_csv", type=Path, help="text,category CSV to train on")
    parser.add_argument("test_csv", type=Path, help="text,category CSV to score on")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--json-out",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write the JSON object to FILE",
    )
    parser.add_argument(
        "--models-dir", type=Path, default=None, help="where trained models are cached"
    )
    parser.add_argument(
        "--decisions",
        type=Path,
        default=None,
        metavar="FILE",
        help="write each test message's path through the vote here (JSON lines)",
    )
    args = parser.parse_args(argv)
    try:
        result = evaluate(
            args.train_csv, args.test_csv, args.models_dir, decisions_file=args.decisions
        )
    except BenchInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json_out is not None:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(result) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(result))
    else:
        sys.stdout.write(section(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
