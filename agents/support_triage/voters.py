"""The offline classifiers that vote on a message's intent, each making different mistakes:

- `keywords`: hand-written rules (`data/support_triage/intent_keywords.yaml`); the evidence is the
  phrases of the message that matched. Rules for intents the models were not trained on are
  ignored (a team's own intents may have none: the voter then abstains).
- `tfidf`: TF-IDF word and character n-grams with a logistic regression; the evidence is the
  words that pulled the answer most.
- `neighbours`: the most similar training messages by sentence embedding (all-MiniLM-L6-v2, and
  all-mpnet-base-v2 beside it where the encoder set has it); the evidence is those messages.
- `encoder_linear`: a logistic regression over the encoders' hidden layers; the evidence is the
  runner-up it weighed the answer against.

The two encoder voters abstain on a message unlike every training message (its nearest one less
similar than 99.5% of held-out training messages' nearest: a greeting, another subject), where
their linear models would still name an intent with confidence: nothing they learned fits it.

Each answer's confidence is calibrated (`calibration.Calibration`): of the answers the classifier
gave with that raw score on messages it had not seen, the share that were right. The batch
functions serve the quality benchmark; the implementations serve the graph. `weigh_votes` is
the soft vote the tally uses (`stacking.Stacker`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from agents.spec import AgentContext
from agents.support_triage.calibration import Calibration, scale_runners_up
from agents.support_triage.keyword_rules import load_keyword_rules
from agents.support_triage.sentence_encoders import features_of, featurize
from agents.support_triage.stacking import TOP_CANDIDATES
from agents.support_triage.training import (
    FAMILIAR_SHARE,
    NotTrained,
    TriageModels,
    load_models,
    neighbour_scores,
)
from schemas.ballot import Candidate, Vote
from schemas.result import ErrorKind, Outcome
from schemas.support_triage import IntentVote, TicketText


def calibrated_vote(
    scored: Sequence[tuple[str, float]], calibration: Calibration, evidence: list[str]
) -> IntentVote:
    """A vote from raw scores (best first, summing to at most 1): the top one's probability is
    calibrated, and the runners-up share what is left in proportion to their raw scores."""
    top_label, top_raw = scored[0]
    confidence = min(max(calibration(top_raw), 0.0), 1.0)
    rest = scored[1:TOP_CANDIDATES]
    shares = scale_runners_up(top_raw, confidence, np.asarray([score for _, score in rest]))
    candidates = [Candidate(label=top_label, probability=confidence)]
    candidates += [
        Candidate(label=label, probability=float(share))
        for (label, _), share in zip(rest, shares, strict=True)
        if share > 0
    ]
    return IntentVote(
        label=top_label,
        confidence=confidence,
        candidates=candidates,
        evidence=evidence[:10],
    )


def _ranked(scores: np.ndarray, models: TriageModels) -> list[tuple[str, float]]:
    order = np.argsort(-scores, kind="stable")[:TOP_CANDIDATES]
    return [(models.intents[i], float(scores[i])) for i in order if scores[i] > 0 or i == order[0]]


def keyword_votes(texts: Sequence[str], models: TriageModels) -> list[IntentVote | None]:
    """The rules' vote on each text (None where no rule for a trained intent matched: the voter
    abstains)."""
    rules = load_keyword_rules()
    known = set(models.intents)
    votes: list[IntentVote | None] = []
    for text in texts:
        matches = [match for match in rules.score(text) if match.intent in known]
        total = sum(match.score for match in matches)
        if not matches or total <= 0:
            votes.append(None)
            continue
        scored = [(match.intent, match.score / total) for match in matches]
        evidence = [f'matched "{phrase}"' for phrase in matches[0].phrases]
        votes.append(calibrated_vote(scored, models.keyword_calibration, evidence))
    return votes


def tfidf_votes(texts: Sequence[str], models: TriageModels) -> list[IntentVote]:
    """The linear model's vote on each text; the evidence is the words that weighed most (leaving
    out terms made only of stop words, and the character n-grams)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    features = models.vectorizer.transform(list(texts))
    probabilities = _dense(models.linear.predict_proba(features), models.linear.classes_, models)
    words = models.vectorizer.transformer_list[0][1]
    vocabulary = words.get_feature_names_out()
    word_count = len(vocabulary)
    votes = []
    for row, probs in enumerate(probabilities):
        scored = _ranked(probs, models)
        column = list(models.linear.classes_).index(models.intents.index(scored[0][0]))
        present = features[row, :word_count].nonzero()[1]
        weights = models.linear.coef_[column, present] * features[row, present].toarray()[0]
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
) -> list[IntentVote | None]:
    """The nearest training messages' vote on each text; the evidence is the three nearest.
    None (an abstention) for a text unlike every training message (`unfamiliar`)."""
    vectors = embeddings if embeddings is not None else featurize(texts)[0]
    votes: list[IntentVote | None] = []
    count = len(models.intents)
    for vector in vectors:
        if not models.is_familiar(vector):
            votes.append(None)
            continue
        similarities = models.embeddings @ vector
        scored = _ranked(neighbour_scores(similarities, models.neighbour_labels, count), models)
        nearest = np.argsort(-similarities)[:3]
        evidence = [
            f'similar to "{models.neighbour_texts[i]}" '
            f"({models.intents[models.neighbour_labels[i]]}, {similarities[i]:.2f})"
            for i in nearest
        ]
        votes.append(calibrated_vote(scored, models.neighbour_calibration, evidence))
    return votes


def encoder_linear_votes(
    texts: Sequence[str],
    models: TriageModels,
    layers: np.ndarray | None = None,
    embeddings: np.ndarray | None = None,
) -> list[IntentVote | None]:
    """The logistic regression over the encoders' layers: its vote on each text. None (an
    abstention) for a text unlike every training message (`unfamiliar`)."""
    if layers is None or embeddings is None:
        embeddings, layers = featurize(texts)
    linear = models.layer_linear
    probabilities = _dense(
        linear.predict_proba(models.layer_scaler.transform(layers)), linear.classes_, models
    )
    votes: list[IntentVote | None] = []
    for probs, vector in zip(probabilities, embeddings, strict=True):
        if not models.is_familiar(vector):
            votes.append(None)
            continue
        scored = _ranked(probs, models)
        evidence = [
            f"{label} at {score:.2f} against {scored[0][0]}" for label, score in scored[1:2]
        ]
        votes.append(calibrated_vote(scored, models.layer_calibration, evidence))
    return votes


def unfamiliar(embedding: np.ndarray, models: TriageModels) -> str:
    """Why the encoders' voters abstain on a message unlike every training message."""
    nearest = float((models.embeddings @ embedding).max())
    return (
        f"the message is unlike every training message (nearest similarity {nearest:.2f}, "
        f"below the {models.familiarity_floor:.2f} that {FAMILIAR_SHARE:.1%} of held-out training "
        "messages reach): no intent it was trained on fits it"
    )


def _dense(probabilities: np.ndarray, classes: np.ndarray, models: TriageModels) -> np.ndarray:
    """A model's probabilities over its classes as columns of every intent."""
    out = np.zeros((len(probabilities), len(models.intents)))
    out[:, classes] = probabilities
    return out


def weigh_votes(votes: Sequence[Vote]) -> list[Candidate]:
    """The soft vote: the counted votes' candidates weighed by the learned weights (an average
    with equal weights when no models are trained)."""
    try:
        stacker = load_models().stacker
    except NotTrained:
        from agents.support_triage.stacking import Stacker

        return Stacker({}, Calibration((0.0, 1.0), (0.0, 1.0)), 1.0).plain(votes)
    return stacker.weigh(votes)


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
    if isinstance(models, Outcome):
        return models
    embedding, _ = features_of(ticket.text)
    vote = neighbour_votes([ticket.text], models, embedding[None, :])[0]
    return vote or Outcome.empty(unfamiliar(embedding, models))


def vote_by_encoder_layers(ticket: TicketText, context: AgentContext) -> IntentVote | Outcome:
    models = _models()
    if isinstance(models, Outcome):
        return models
    embedding, layers = features_of(ticket.text)
    vote = encoder_linear_votes([ticket.text], models, layers[None, :], embedding[None, :])[0]
    return vote or Outcome.empty(unfamiliar(embedding, models))
