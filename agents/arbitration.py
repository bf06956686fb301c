"""The deterministic arbiter: settles a split vote on the voters' calibrated probabilities.

Each counted voter gives a probability to each of its candidate labels (calibrated, so a voter
that is often wrong at a given score gives low probabilities there). The arbiter averages them
over the counted voters (a voter that did not name a label gives it nothing) and rules for the
label with the highest average; that average is its confidence. Voters that failed, abstained or
sat out are not heard. Ties go to the label with more votes, then to the earlier name.
"""

from __future__ import annotations

from collections import defaultdict

from schemas.ballot import ArbitrationCase, Candidate, Ruling


def weigh_ballot(case: ArbitrationCase) -> Ruling:
    """The ruling on `case`'s ballot; ValueError when no voter's vote counted (nothing to weigh)."""
    ballot = case.ballot
    counted = [vote for vote in ballot.votes if vote.status == "counted" and vote.candidates]
    if not counted:
        raise ValueError("no counted vote to weigh")
    weights: dict[str, float] = defaultdict(float)
    for vote in counted:
        for candidate in vote.candidates:
            weights[candidate.label] += candidate.probability / len(counted)
    ranked = sorted(
        weights, key=lambda label: (-weights[label], -ballot.counts.get(label, 0), label)
    )
    best = ranked[0]
    backers = [
        f"{vote.voter} {next((c.probability for c in vote.candidates if c.label == best), 0.0):.2f}"
        for vote in counted
    ]
    reason = f"{best} has the highest average calibrated probability, {weights[best]:.2f} ({', '.join(backers)})"
    if len(ranked) > 1:
        runner = ranked[1]
        reason += f"; next is {runner} at {weights[runner]:.2f}"
    return Ruling(
        label=best,
        confidence=min(weights[best], 1.0),
        reason=reason,
        considered=[
            Candidate(label=label, probability=min(weights[label], 1.0)) for label in ranked[:5]
        ],
    )
