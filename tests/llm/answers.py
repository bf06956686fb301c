"""Scripted model answers built from a sample's application form."""

from __future__ import annotations

from datetime import date
from typing import Any

from agents.underwriting.forms import read_labelled_lines
from agents.underwriting.intake import labelled_values

NOT_ASKED = ("fein", "contact_email", "mailing_address")
"""Fields the LLM intake does not ask the model for."""


def faithful_answer(submission: dict[str, Any]) -> dict[str, Any]:
    """What a model that reads the form correctly returns, each value quoting the form."""
    form = next(d for d in submission["documents"] if d["kind"] == "application")["content"]
    values, _, _ = labelled_values(form)
    written, _, _ = read_labelled_lines(form)
    answer: dict[str, Any] = {"evidence": []}
    for name, value in values.items():
        if name in NOT_ASKED:
            continue
        answer[name] = value.isoformat() if isinstance(value, date) else value
        answer["evidence"].append({"field": name, "quote": written[name]})
    return answer
