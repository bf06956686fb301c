"""The offline classifiers that vote on a message's intent, each genuinely different:

- `keywords`: hand-written rules (`data/support_triage/intent_keywords.yaml`); the evidence is the
  phrases of the message that matched.
- `tfidf`: TF-IDF word and bigram features with a logistic regression trained on the training
  data; the evidence is the words that pulled the answer most.
- `neighbours`: the most similar training messages by sentence embedding (all-MiniLM-L6-v2); the
  evidence is those messages.

Each answer's confidence is calibrated (`training.Calibration`): of the answers the classifier
gave with that raw score on messages it had not seen, the share that were right. The batch
functions serve the quality benchmark; the implementations serve the graph.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from agents.spec import AgentContext
from agents.support_triage.keyword_rules import load_keyword_rules
from agents.support_triage.training import (
    TOP_CANDIDATES,
    Calibration,
    NotTrained,
    TriageModels,
    encode,
    load_models,
    neighbour_scores,
)
from schemas.ballot import Candidate
from schemas.result import ErrorKind, Outcome
from schemas.support_triage import IntentVote, TicketText


def calibrated_vote(
    scored: Sequence[tuple[str, float]], calibration: Calibration, evidence: list[str]
) -> IntentVote:
    """A vote from raw scores (best first, summing to at most 1): the top one's probability is
    calibrated, and the runners-up share what is left in proportion to their raw scores."""
    top_label, top_raw = scored[0]
    confidence = min(max(calibration(top_raw), 0.0), 1.0)
    scale = (1 - confidence) / (1 - top_raw) if top_raw < 1 else 0.0
    candidates = [Candidate(label=top_label, probability=confidence)]
    candidates += [
        Candidate(label=label, probability=min(score * scale, 1.0))
        for label, score in scored[1:TOP_CANDIDATES]
        if score > 0
    ]
    return IntentVote(
        label=top_label,
        confidence=confidence,
        candidates=candidates,
        evidence=evidence[:10],
    )


def keyword_votes(texts: Sequence[str], models: TriageModels) -> list[IntentVote | None]:
    """The rules' vote on each text (None where no rule matched: the voter abstains)."""
    rules = load_keyword_rules()
    votes: list[IntentVote | None] = []
    for text in texts:
        matches = rules.score(text)
        if not matches:
            votes.append(None)
            continue
        total = sum(match.score for match in matches)
        scored = [(match.intent, match.score / total) for match in matches]
        evidence = [f'matched "{phrase}"' for phrase in matches[0].phrases]
        votes.append(calibrated_vote(scored, models.keyword_calibration, evidence))
    return votes


def tfidf_votes(texts: Sequence[str], models: TriageModels) -> list[IntentVote]:
    """The linear model's vote on each text; the evidence is the words that weighed most (leaving
    out terms made only of stop words)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    features = models.vectorizer.transform(list(texts))
    probabilities = models.linear.predict_proba(features)
    vocabulary = models.vectorizer.get_feature_names_out()
    votes = []
    for row, probs in enumerate(probabilities):
        order = np.argsort(-probs)[:TOP_CANDIDATES]
        scored = [(models.intents[models.linear.classes_[i]], float(probs[i])) for i in order]
        present = features[row].nonzero()[1]
        weights = models.linear.coef_[order[0], present] * features[row, present].toarray()[0]
        strongest = [
            vocabulary[present[i]]
            for i in np.argsort(-weights)
            if weights[i] > 0 and not set(vocabulary[present[i]].split()) <= ENGLISH_STOP_WORDS
        ][:4]
        evidence = [f'weighed "{term}"' for term in strongest]
        votes.append(calibrated_vote(scored, models.tfidf_calibration, evidence))
    return votes


def neighbour_votes(
    texts: Sequence[str], models: TriageModels, embeddings: np.ndarray | None = None
) -> list[IntentVote]:
    """The nearest training messages' vote on each text; the evidence is the three nearest."""
    vectors = embeddings if embeddings is not None else encode(texts)
    votes = []
    count = len(models.intents)
    for vector in vectors:
        similarities = models.embeddings @ vector
        scores = neighbour_scores(similarities, models.neighbour_labels, count)
        order = np.argsort(-scores)[:TOP_CANDIDATES]
        scored = [(models.intents[i], float(scores[i])) for i in order if scores[i] > 0]
        nearest = np.argsort(-similarities)[:3]
        evidence = [
            f'similar to "{models.neighbour_texts[i]}" '
            f"({models.intents[models.neighbour_labels[i]]}, {similarities[i]:.2f})"
            for i in nearest
        ]
        votes.append(calibrated_vote(scored, models.neighbour_calibration, evidence))
    return votes


def _models() -> TriageModels | Outcome:
    try:
        return load_models()
    except NotTrained as error:
        return Outcome.failed(str(error), ErrorKind.UNAVAILABLE)


def vote_by_keywords(ticket: TicketText, context: AgentContext) -> IntentVote | Outcome:
    models = _models()
    if isinstance(models, Outcome):
        return models
    vote = keyword_votes([ticket.text], models)[0]
    return vote or Outcome.empty("no keyword rule matched the message")


def vote_by_tfidf(ticket: TicketText, context: AgentContext) -> IntentVote | Outcome:
    models = _models()
    return models if isinstance(models, Outcome) else tfidf_votes([ticket.text], models)[0]


def vote_by_neighbours(ticket: TicketText, context: AgentContext) -> IntentVote | Outcome:
    models = _models()
    return models if isinstance(models, Outcome) else neighbour_votes([ticket.text], models)[0]
