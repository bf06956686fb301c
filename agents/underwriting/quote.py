"""Quote: the premium and deductible from the class rate, the limit and the risk band."""

from __future__ import annotations

from agents.spec import AgentContext
from agents.underwriting.reference_data import rating_table
from schemas.result import Outcome
from schemas.underwriting import Quote, QuoteInput


def price_quote(payload: QuoteInput, _context: AgentContext) -> Quote | Outcome:
    """Deterministic pricing: limit / 1000 x class rate x band multiplier, at least the minimum."""
    table = rating_table()
    klass = table["classes"].get(payload.business_class)
    if klass is None:
        return Outcome.escalated(f"no rate for business class {payload.business_class!r}")
    terms = table["band_terms"][payload.band]
    rate = float(klass["rate"])
    multiplier = float(terms["multiplier"])
    technical = payload.requested_limit / 1000 * rate * multiplier
    minimum = float(table["minimum_premium"])
    premium = round(max(technical, minimum), 2)
    breakdown = [
        f"{payload.requested_limit:,.0f} limit / 1,000 x {rate:.2f} ({payload.business_class} rate)"
        f" x {multiplier:.2f} ({payload.band} band) = {technical:,.2f}",
    ]
    if technical < minimum:
        breakdown.append(f"raised to the minimum premium {minimum:,.2f}")
    return Quote(
        limit=payload.requested_limit,
        deductible=float(terms["deductible"]),
        annual_premium=premium,
        rate_per_thousand=rate,
        band_multiplier=multiplier,
        breakdown=breakdown,
    )
