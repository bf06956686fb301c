"""Policy lookup: the prior policy on file for the submission, from the policy table."""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from agents.spec import AgentContext
from agents.underwriting.names import name_similarity
from agents.underwriting.policy_db import find_policy
from schemas.result import ErrorKind, Outcome
from schemas.underwriting import PolicyLookupInput, PriorPolicy, normalise_policy_number

SAME_INSURED_SCORE = 85.0
"""Name similarity (0-100) at or above which the insured on file is taken to be the applicant."""


def lookup_prior_policy(payload: PolicyLookupInput, context: AgentContext) -> PriorPolicy | Outcome:
    """Deterministic lookup in the policy table. `empty` when the submission names no prior policy
    (new business); `escalated` when it names one that is not on file, or the submission and the
    application disagree (a person must confirm the number); `failed` when the table cannot be read
    (never read as "no policy")."""
    if payload.policy_number is None:
        return Outcome.empty("the submission names no prior policy (new business)")
    stated = payload.application_policy_number
    if stated is not None and _canonical(stated) != payload.policy_number:
        return Outcome.escalated(
            f"the submission names prior policy {payload.policy_number} but the application names "
            f"{stated!r}: confirm which is right"
        )
    try:
        row = find_policy(context.database_url, payload.policy_number)
    except SQLAlchemyError as error:
        return Outcome.failed(
            f"lookup failed: policy table unavailable ({type(error).__name__}: "
            f"{str(error).splitlines()[0]})",
            ErrorKind.UNAVAILABLE,
        )
    if row is None:
        return Outcome.escalated(
            f"the submission names prior policy {payload.policy_number}, which is not on file: "
            "confirm the number with the broker"
        )
    matches = (
        None
        if payload.applicant_name is None
        else name_similarity(str(row["insured_name"]), payload.applicant_name) >= SAME_INSURED_SCORE
    )
    return PriorPolicy.model_validate({**row, "insured_matches_applicant": matches})


def _canonical(raw: str) -> str | None:
    try:
        return normalise_policy_number(raw)
    except ValueError:
        return None
