from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.underwriting import PolicyLookupInput, normalise_policy_number


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("BTN-2021-004512", "BTN-2021-004512"),
        ("btn-2021-004512", "BTN-2021-004512"),
        ("BTN 2021 004512", "BTN-2021-004512"),
        ("BTN2021004512", "BTN-2021-004512"),
        ("btn/2022/7781", "BTN-2022-007781"),
        ("BTN_2022_7781", "BTN-2022-007781"),
        ("  BTN.2019.318 ", "BTN-2019-000318"),
        ("UW-2020-2290", "BTN-2020-002290"),
    ],
)
def test_known_spellings_are_normalised(raw: str, canonical: str) -> None:
    assert normalise_policy_number(raw) == canonical
    assert PolicyLookupInput(policy_number=raw).policy_number == canonical


@pytest.mark.parametrize(
    "raw",
    ["POL#88-XYZ", "BTN-21-004512", "XYZ-2021-004512", "BTN-2021-0045123", "", "BTN-1850-000001"],
)
def test_other_spellings_are_rejected_with_the_reason(raw: str) -> None:
    with pytest.raises(ValidationError) as error:
        PolicyLookupInput(policy_number=raw)
    message = str(error.value)
    assert "policy_number" in message
    assert "known format" in message or "impossible year" in message
