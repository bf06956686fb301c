from __future__ import annotations

from datetime import date

import pytest

from agents.spec import AgentContext
from agents.underwriting.intake import read_free_text_application
from agents.underwriting.prose import business_names, read_free_text
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


def test_every_business_named_is_kept_and_the_cued_one_is_the_applicant() -> None:
    text = (
        "Harbor Point Insurance Group is pleased to submit Volkov Maritime Holding LLC for property cover.\n"
        "Regards, Harbor Point Insurance Group"
    )
    values, _ = read_free_text(text)
    assert values["applicant_name"] == "Volkov Maritime Holding LLC"
    assert business_names(text) == ["Harbor Point Insurance Group", "Volkov Maritime Holding LLC"]


def test_several_uncued_businesses_leave_the_applicant_unknown() -> None:
    values, problems = read_free_text("Acme Widgets Inc. and Beta Tools LLC share the building.")
    assert "applicant_name" not in values
    assert problems == ["applicant_name: stated 2 different ways, so left unknown"]


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("Dear Mr. Washington, the shop is at 5 Peach St, Atlanta, Georgia.", "state", "GA"),
        ("We do not write in Florida; the insured is in Ohio.", "state", None),
        ("The building is not fully sprinklered.", "sprinklered", False),
        ("The building is partially sprinklered.", "sprinklered", False),
        ("They want coverage of 50% of value.", "requested_limit", None),
        (
            "No limit of $5 million is needed; a limit of $2 million is.",
            "requested_limit",
            2_000_000,
        ),
        ("Sales tax of 8% applies.", "annual_revenue", None),
        (
            "Prior cover was cancelled effective March 3, 2026; bind effective January 15, 2027.",
            "effective_date",
            date(2027, 1, 15),
        ),
        ("The warehouse was not built in 1998 but later.", "year_built", None),
        ("Reference BTN12345678 in your reply.", "prior_policy_number", None),
        ("Their expiring policy is BTN-2021-004512.", "prior_policy_number", "BTN-2021-004512"),
        ("A limit of $1 million, or maybe a limit of $2 million.", "requested_limit", None),
    ],
)
def test_only_plain_single_statements_are_taken(text: str, field: str, expected: object) -> None:
    values, _ = read_free_text(text)
    assert values.get(field) == expected


def test_legal_forms_are_read_before_a_comma_and_in_full() -> None:
    from agents.underwriting.prose import business_names

    text = "We are quoting Acme Co, based in Ohio; its parent is Kestrel Petro-Chemical Limited."
    assert business_names(text) == ["Acme Co", "Kestrel Petro-Chemical Limited"]
