"""Intake: the submission's documents -> `ApplicationFacts`, listing what is missing."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from agents.spec import AgentContext
from agents.underwriting.forms import (
    PARSERS,
    implausible,
    masked,
    named_parties,
    read_labelled_lines,
    read_loss_run,
    suspicious_lines,
)
from agents.underwriting.prose import business_names, read_free_text
from agents.underwriting.reference_data import canonical_class
from schemas.result import ErrorKind, Outcome
from schemas.sensitive import sensitive_fields
from schemas.underwriting import (
    RATED_FIELDS,
    ApplicationFacts,
    Document,
    IntakeInput,
    LossHistory,
)

MIN_RECOGNISED_FIELDS = 3
"""An application with fewer recognisable fields than this is treated as unreadable."""


def read_application(payload: IntakeInput, _context: AgentContext) -> ApplicationFacts | Outcome:
    """Deterministic intake: parse the application form's labels and the loss-run table."""
    form = application_document(payload)
    if isinstance(form, Outcome):
        return form
    values, unknown, unreadable = labelled_values(form.content)
    if len(values) + len(unreadable) < MIN_RECOGNISED_FIELDS:
        return Outcome.failed(
            f"application {form.name!r} is unreadable: {len(values) + len(unreadable)} "
            f"recognisable 'Label: value' lines (at least {MIN_RECOGNISED_FIELDS} needed)",
            ErrorKind.UNREADABLE_INPUT,
        )
    return facts_from(
        payload, values, "labelled_form", unknown, unreadable, business_names(form.content)
    )


def labelled_values(content: str) -> tuple[dict[str, Any], list[str], list[str]]:
    """The values of a form's `Label: value` lines, the unknown labels, and the values that could
    not be read."""
    raw, unknown, conflicting = read_labelled_lines(content)
    values: dict[str, Any] = {}
    unreadable: list[str] = []
    for name, text in raw.items():
        try:
            values[name] = PARSERS[name](text)
        except ValueError as error:
            unreadable.append(f"{name}: {error}")
    if "business_class" in values:
        values["business_class"] = canonical_class(values["business_class"])
    unreadable += [f"{name}: written more than once with different values" for name in conflicting]
    return values, unknown, unreadable


def read_free_text_application(
    payload: IntakeInput, _context: AgentContext
) -> ApplicationFacts | Outcome:
    """Deterministic fallback intake: read the facts a free-text application states plainly (a
    broker's email, a cover letter). Marked `free_text`, so the review policy can ask a person to
    confirm them."""
    form = application_document(payload)
    if isinstance(form, Outcome):
        return form
    values, unreadable = read_free_text(form.content)
    if len(values) < MIN_RECOGNISED_FIELDS:
        return Outcome.failed(
            f"application {form.name!r} is unreadable: {len(values)} facts stated plainly "
            f"(at least {MIN_RECOGNISED_FIELDS} needed)",
            ErrorKind.UNREADABLE_INPUT,
        )
    return facts_from(payload, values, "free_text", [], unreadable, business_names(form.content))


def application_document(payload: IntakeInput) -> Document | Outcome:
    """The submission's application form, or a failed outcome when there is none."""
    applications = [d for d in payload.documents if d.kind == "application"]
    if not applications:
        return Outcome.failed(
            "the submission has no application form (a document of kind 'application')",
            ErrorKind.UNREADABLE_INPUT,
        )
    return applications[0]


def facts_from(
    payload: IntakeInput,
    values: dict[str, Any],
    extraction: Literal["labelled_form", "free_text", "llm"],
    unknown: list[str],
    unreadable: list[str],
    names: list[str],
    model_flags: list[str] | None = None,
) -> ApplicationFacts:
    """`ApplicationFacts` from the values read from the application, however they were read: adds
    the loss history (from the loss-run documents), the documents present and what is missing.
    Values that cannot be true are left out and named as unreadable, with why."""
    values = dict(values)
    unreadable = [*unreadable, *implausible(values, date.today())]
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
    private = [str(values[name]) for name in SENSITIVE_FACTS if values.get(name)]
    return ApplicationFacts(
        **values,
        extraction=extraction,
        loss_history=loss_history,
        documents_present=sorted({d.kind for d in payload.documents}),
        missing_fields=[name for name in RATED_FIELDS if name not in values],
        unrecognised_labels=[masked(label, private) for label in unknown],
        unreadable_values=[masked(problem, private) for problem in unreadable],
        names_mentioned=list(
            dict.fromkeys(
                [*names, *(n for d in payload.documents for n in named_parties(d.content))]
            )
        ),
        model_flags=[masked(flag, private) for flag in model_flags or []],
        suspicious_text=[
            masked(f"{document.name} line {number}: {line[:160]}", private)
            for document in payload.documents
            for number, line in suspicious_lines(document.content)
        ],
    )


SENSITIVE_FACTS = tuple(sorted(sensitive_fields(ApplicationFacts)))
"""The facts marked sensitive (FEIN, contact, address): text quoting them is masked."""
