from __future__ import annotations

from datetime import date

from agents.spec import AgentContext
from agents.underwriting.forms import parse_money, read_loss_run
from agents.underwriting.intake import read_application
from schemas.result import ErrorKind, Outcome, Status
from schemas.underwriting import ApplicationFacts, Document, IntakeInput

CONTEXT = AgentContext(database_url="memory://")

FORM = """APPLICATION
  sprinklered :   YES
BUSINESS CLASS: Full Service Restaurant
applicant name:Maple Street Diner LLC
State: Maine
Favourite colour: blue
Year Built: 1988
Construction: Wood Frame
Years in Business: 14 years
Requested Limit: $1.2M
Effective Date: 02/01/2027
"""


def _intake(*documents: Document) -> ApplicationFacts | Outcome:
    return read_application(IntakeInput(submission_id="S-1", documents=list(documents)), CONTEXT)


def test_parser_tolerates_case_spacing_order_and_unknown_labels() -> None:
    facts = _intake(Document(kind="application", name="a.txt", content=FORM))
    assert isinstance(facts, ApplicationFacts)
    assert facts.applicant_name == "Maple Street Diner LLC"
    assert facts.state == "ME"
    assert facts.business_class == "restaurant"
    assert facts.construction_type == "frame"
    assert facts.sprinklered is True
    assert facts.years_in_business == 14
    assert facts.requested_limit == 1_200_000
    assert facts.effective_date == date(2027, 2, 1)
    assert facts.unrecognised_labels == ["Favourite colour"]
    assert facts.missing_fields == []


def test_missing_fields_are_listed_not_guessed() -> None:
    form = "Applicant Name: X Co\nState: TX\nBusiness Class: office\n"
    facts = _intake(Document(kind="application", name="a.txt", content=form))
    assert isinstance(facts, ApplicationFacts)
    assert facts.year_built is None
    assert set(facts.missing_fields) == {
        "years_in_business",
        "construction_type",
        "year_built",
        "sprinklered",
        "requested_limit",
        "effective_date",
    }
    assert facts.loss_history.provided is False


def test_unreadable_values_are_reported_with_the_value() -> None:
    form = FORM.replace("Construction: Wood Frame", "Construction: adobe")
    facts = _intake(Document(kind="application", name="a.txt", content=form))
    assert isinstance(facts, ApplicationFacts)
    assert facts.construction_type is None
    assert any("adobe" in item for item in facts.unreadable_values)


def test_unreadable_application_fails_with_a_reason() -> None:
    result = _intake(
        Document(kind="application", name="scan.txt", content="%PDF-1.4 \x00\x01 binary")
    )
    assert isinstance(result, Outcome)
    assert result.status is Status.FAILED
    assert result.error_kind is ErrorKind.UNREADABLE_INPUT
    assert "scan.txt" in result.reason


def test_no_application_form_fails() -> None:
    result = _intake(Document(kind="other", name="note.txt", content="hello"))
    assert isinstance(result, Outcome) and result.status is Status.FAILED


def test_loss_run_table_is_read_and_no_losses_is_a_clean_history() -> None:
    table = "Date of Loss | Cause | Paid | Reserved | Status\n---|---|---|---|---\n2024-01-02 | Fire | 1,000 | 500 | Open\n"
    history, problems = read_loss_run(table)
    assert history is not None and problems == []
    assert history.claims[0].incurred == 1500 and history.claims[0].status == "open"
    clean, _ = read_loss_run("No losses reported in the last five years.")
    assert clean is not None and clean.provided and clean.claims == []
    unreadable, _ = read_loss_run("see attached scan")
    assert unreadable is None


def test_unreadable_loss_run_rows_are_reported_not_dropped() -> None:
    table = (
        "Date of Loss | Cause | Paid | Reserved | Status\n2024-01-02 | Fire | lots | 0 | Closed\n"
    )
    history, problems = read_loss_run(table)
    assert history is not None and history.claims == []
    assert problems == ["loss run row 1: the paid column could not be read"]


def test_money_formats() -> None:
    assert parse_money("$1,250,000") == 1_250_000
    assert parse_money("2.1M") == 2_100_000
    assert parse_money("$25 million") == 25_000_000
    assert parse_money("750k") == 750_000
    assert parse_money("1,000,000 USD") == 1_000_000


def test_notes_under_a_loss_run_table_are_not_rows() -> None:
    table = "Date of Loss | Cause | Paid | Reserved | Status\n2024-01-02 | Fire | 1,000 | 0 | Closed\nCertified by the carrier.\n"
    history, problems = read_loss_run(table)
    assert history is not None and len(history.claims) == 1 and problems == []
