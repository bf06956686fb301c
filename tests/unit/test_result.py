from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.result import AgentResult, ErrorKind, Outcome, Status
from schemas.underwriting import Quote

BASE = {"agent": "quote", "version": "1.0.0"}
QUOTE = Quote(
    limit=1e6,
    deductible=1000,
    annual_premium=900,
    rate_per_thousand=0.9,
    band_multiplier=1.0,
    breakdown=["x"],
)


def test_ok_result_needs_a_value() -> None:
    with pytest.raises(ValidationError, match="an ok result needs a value"):
        AgentResult[Quote](status=Status.OK, **BASE)
    assert AgentResult[Quote](status=Status.OK, value=QUOTE, **BASE).value == QUOTE


@pytest.mark.parametrize("status", [Status.EMPTY, Status.ESCALATED])
def test_a_result_with_neither_value_nor_reason_cannot_be_built(status: Status) -> None:
    with pytest.raises(ValidationError, match="needs a reason"):
        AgentResult[Quote](status=status, **BASE)
    with pytest.raises(ValidationError, match="needs a reason"):
        AgentResult[Quote](status=status, reason="   ", **BASE)


def test_failed_result_needs_reason_and_error_kind() -> None:
    with pytest.raises(ValidationError, match="needs an error_kind"):
        AgentResult[Quote](status=Status.FAILED, reason="database timeout", **BASE)
    result = AgentResult[Quote](
        status=Status.FAILED,
        reason="lookup failed: database timeout",
        error_kind=ErrorKind.UNAVAILABLE,
        **BASE,
    )
    assert result.model_dump(mode="json")["error_kind"] == "unavailable"


def test_non_ok_result_cannot_carry_a_value() -> None:
    with pytest.raises(ValidationError, match="cannot carry a value"):
        AgentResult[Quote](status=Status.EMPTY, reason="none", value=QUOTE, **BASE)


def test_result_round_trips_through_json_state() -> None:
    result = AgentResult[Quote](status=Status.OK, value=QUOTE, **BASE)
    assert AgentResult[Quote].model_validate(result.model_dump(mode="json")) == result


def test_outcome_is_never_ok() -> None:
    with pytest.raises(ValidationError):
        Outcome(status=Status.OK, reason="fine")
    assert Outcome.empty("no policy on file").status is Status.EMPTY
