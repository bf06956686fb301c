"""Risk scoring: the rating table (`data/underwriting/rating_table.yaml`) applied factor by factor."""

from __future__ import annotations

from datetime import date
from typing import Any

from agents.spec import AgentContext
from agents.underwriting.reference_data import rating_table
from schemas.result import Outcome
from schemas.underwriting import RiskAssessment, RiskFactor, RiskInput

LOOKBACK_YEARS = 5


def _banded(bands: list[dict[str, Any]], value: float) -> int:
    for band in bands:
        if "under" in band and value < band["under"]:
            return int(band["points"])
        if "at_most" in band and value <= band["at_most"]:
            return int(band["points"])
    raise ValueError(f"no band of the rating table covers {value}")


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def score_risk(payload: RiskInput, _context: AgentContext) -> RiskAssessment | Outcome:
    """Deterministic rating: every factor's points, their sum, and the band it falls in."""
    table = rating_table()
    classes = table["classes"]
    if payload.business_class not in classes:
        return Outcome.escalated(
            f"business class {payload.business_class!r} is not in rating table "
            f"{table['version']} (known: {', '.join(sorted(classes))}); an underwriter must rate it"
        )
    factors: list[RiskFactor] = []

    def add(name: str, value: str, points: int, note: str) -> None:
        factors.append(RiskFactor(name=name, value=value, points=points, note=note))

    add(
        "construction",
        payload.construction_type,
        int(table["construction"][payload.construction_type]),
        "points by construction type",
    )
    age = max(0, payload.effective_date.year - payload.year_built)
    add(
        "building_age",
        f"{age} years",
        _banded(table["building_age"], age),
        f"built {payload.year_built}",
    )
    add(
        "protection",
        "sprinklered" if payload.sprinklered else "not sprinklered",
        int(table["sprinklered"][payload.sprinklered]),
        "automatic sprinkler protection",
    )
    if payload.loss_history.provided:
        since = _years_before(payload.effective_date, LOOKBACK_YEARS)
        recent = [
            c
            for c in payload.loss_history.claims
            if since <= c.date_of_loss <= payload.effective_date
        ]
        incurred = sum(c.incurred for c in recent)
        add(
            "loss_frequency",
            f"{len(recent)} claims",
            _banded(table["loss_frequency"], len(recent)),
            f"claims since {since.isoformat()}",
        )
        add(
            "loss_severity",
            f"${incurred:,.0f} incurred",
            _banded(table["loss_severity"], incurred),
            f"paid + reserved since {since.isoformat()}",
        )
    else:
        add(
            "loss_history",
            "unknown",
            int(table["loss_history_unknown"]),
            "no loss run supplied: surcharged, not assumed clean",
        )
    klass = classes[payload.business_class]
    add("business_class", payload.business_class, int(klass["points"]), "class hazard")
    state = table["states"].get(payload.state)
    add(
        "state",
        payload.state,
        int(state["points"]) if state else 0,
        state["note"] if state else "no catastrophe load",
    )
    add(
        "years_in_business",
        str(payload.years_in_business),
        _banded(table["years_in_business"], payload.years_in_business),
        "management experience",
    )

    score = sum(f.points for f in factors)
    band = next(b["band"] for b in table["bands"] if score < b["below"])
    return RiskAssessment(
        score=score, band=band, factors=factors, rating_table=str(table["version"])
    )
