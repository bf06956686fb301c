"""Intake: the submission's documents -> `ApplicationFacts`, listing what is missing."""

from __future__ import annotations

from typing import Any

from agents.spec import AgentContext
from agents.underwriting.forms import PARSERS, read_labelled_lines, read_loss_run
from agents.underwriting.reference_data import canonical_class
from schemas.result import ErrorKind, Outcome
from schemas.underwriting import RATED_FIELDS, ApplicationFacts, IntakeInput, LossHistory

MIN_RECOGNISED_LABELS = 3
"""An application with fewer recognisable labels than this is treated as unreadable."""


def read_application(payload: IntakeInput, _context: AgentContext) -> ApplicationFacts | Outcome:
    """Deterministic intake: parse the application form's labels and the loss-run table."""
    applications = [d for d in payload.documents if d.kind == "application"]
    if not applications:
        return Outcome.failed(
            "the submission has no application form (a document of kind 'application')",
            ErrorKind.UNREADABLE_INPUT,
        )
    form = applications[0]
    raw, unknown = read_labelled_lines(form.content)
    if len(raw) < MIN_RECOGNISED_LABELS:
        return Outcome.failed(
            f"application {form.name!r} is unreadable: {len(raw)} recognisable 'Label: value' "
            f"lines (at least {MIN_RECOGNISED_LABELS} needed)",
            ErrorKind.UNREADABLE_INPUT,
        )
    values: dict[str, Any] = {}
    unreadable: list[str] = []
    for name, text in raw.items():
        try:
            values[name] = PARSERS[name](text)
        except ValueError as error:
            unreadable.append(f"{name}: {error}")
    if "business_class" in values:
        values["business_class"] = canonical_class(values["business_class"])

    loss_history = LossHistory(provided=False)
    for document in payload.documents:
        if document.kind != "loss_run":
            continue
        history, problems = read_loss_run(document.content)
        unreadable.extend(problems)
        if history is None:
            unreadable.append(f"loss run {document.name!r}: no claims table or 'no losses' line")
        else:
            claims = loss_history.claims + history.claims
            loss_history = LossHistory(provided=True, claims=claims)

    present = sorted({d.kind for d in payload.documents})
    return ApplicationFacts(
        **values,
        loss_history=loss_history,
        documents_present=present,
        missing_fields=[name for name in RATED_FIELDS if name not in values],
        unrecognised_labels=unknown,
        unreadable_values=unreadable,
    )
