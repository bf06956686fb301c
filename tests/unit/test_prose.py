from __future__ import annotations

from datetime import date

from agents.spec import AgentContext
from agents.underwriting.intake import read_free_text_application
from agents.underwriting.prose import read_free_text
from schemas.result import Outcome, Status
from schemas.underwriting import ApplicationFacts, Document, IntakeInput

EMAIL = """Hello, please quote Granite Peak Auto Body Inc. (a garage in Manchester, New Hampshire).
They have 22 years in business. Revenue was around $2.3M last year.
Steel building, constructed in 1979, with no sprinklers. They want a $900k building limit
effective 2027-03-01. Expiring policy btn 2022 7781.
"""


def test_plainly_stated_facts_are_read() -> None:
    values, problems = read_free_text(EMAIL)
    assert problems == []
    assert values == {
        "applicant_name": "Granite Peak Auto Body Inc.",
        "state": "NH",
        "business_class": "auto_repair",
        "years_in_business": 22,
        "annual_revenue": 2_300_000,
        "construction_type": "noncombustible",
        "year_built": 1979,
        "sprinklered": False,
        "requested_limit": 900_000,
        "prior_policy_number": "btn 2022 7781",
        "effective_date": date(2027, 3, 1),
    }


def test_nothing_is_guessed_from_vague_text() -> None:
    values, _ = read_free_text("Our client is a nice business somewhere up north, please call me.")
    assert values == {}


def test_free_text_reader_marks_its_facts_and_fails_on_noise() -> None:
    context = AgentContext(database_url="memory://")
    facts = read_free_text_application(
        IntakeInput(
            submission_id="S", documents=[Document(kind="application", name="mail", content=EMAIL)]
        ),
        context,
    )
    assert isinstance(facts, ApplicationFacts) and facts.extraction == "free_text"
    assert facts.missing_fields == []
    noise = read_free_text_application(
        IntakeInput(
            submission_id="S",
            documents=[Document(kind="application", name="scan", content="%PDF-1.4 xœ")],
        ),
        context,
    )
    assert isinstance(noise, Outcome) and noise.status is Status.FAILED
