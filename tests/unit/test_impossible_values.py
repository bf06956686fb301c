"""Impossible values are unreadable values with the reason, never guessed."""

from __future__ import annotations

from typing import Any

import pytest

from graphs.kit.runtime import open_workflow
from tests.conftest import load_sample


def _with_lines(**lines: str) -> dict[str, Any]:
    submission = load_sample("01_clean_straight_through")
    form = submission["documents"][0]
    content = form["content"]
    for label, value in lines.items():
        kept = [line for line in content.splitlines() if not line.lower().startswith(label.lower())]
        content = "\n".join(kept) + f"\n{label}: {value}\n"
    form["content"] = content
    return submission


@pytest.mark.parametrize(
    ("label", "value", "field", "why"),
    [
        ("Years in Business", "-4", "years_in_business", "not a whole number: '-4'"),
        ("Years in Business", "5000", "years_in_business", "more than any business"),
        ("Year Built", "2031", "year_built", "not a year a standing building was built"),
        ("Requested Limit", "$100,000,000,000,000,000,000", "requested_limit", "plausible limit"),
    ],
)
def test_an_impossible_value_is_unreadable_and_the_case_stops(
    label: str, value: str, field: str, why: str
) -> None:
    thread = f"impossible-{field}-{len(value)}"
    with open_workflow("underwriting", "memory://") as flow:
        report = flow.start(_with_lines(**{label: value}), thread_id=thread)
        intake = flow.graph.get_state(flow.config(thread)).values["intake"]
    facts = intake["value"]
    assert facts.get(field) is None
    assert any(p.startswith(f"{field}: ") and why in p for p in facts["unreadable_values"]), facts
    assert report.status == "awaiting_review"
    assert report.decision is None
