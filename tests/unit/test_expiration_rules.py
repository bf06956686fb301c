"""The expiration as extraction reads it: a date the contract states, a date computed from a rule
(period and anchor), a rule whose anchor is not dated, no fixed end, or nothing at all."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from agents.contract_review.date_rules import add_period, classify, read_rule, with_computed_end
from agents.contract_review.extraction import extract_facts
from agents.contract_review.llm_stages import FactsAnswer, QuotedDate, ground_facts
from agents.spec import AgentContext
from schemas.contract_review import ContractFacts, DateRule, ExtractedDate, Span, StageInput

CONTEXT = AgentContext(database_url="sqlite:///:memory:")
CUAD = Path("/work/shared/data/cuad")
GOPAGE = "GopageCorp_20140221_10-K_EX-10.1_8432966_EX-10.1_Content License Agreement"


def _contract(term: str, made: str = "May 8, 2014", effective: bool = True) -> str:
    named = ' (the "Effective Date")' if effective else ""
    return f"""SERVICES AGREEMENT

This Services Agreement (the "Agreement") is made and entered into as of {made}{named} by and
between Alder Analytics Corp., a Delaware corporation ("Provider"), and Spruce Retail Company, a
Nevada corporation ("Client").

1. Services. Provider shall provide the services described in Exhibit A.

2. Term. {term}

3. Governing Law. This Agreement shall be governed by the laws of the State of New York.
"""


def _expiration(content: str) -> ExtractedDate | None:
    facts = extract_facts(StageInput(contract_id="c-1", content=content), CONTEXT)
    assert isinstance(facts, ContractFacts)
    return facts.expiration_date


def _rule_date(value: str, rule: DateRule) -> ExtractedDate:
    return ExtractedDate(
        value=value, span=Span(start=0, end=len(value), text=value), kind="rule", rule=rule
    )


def test_a_stated_date_is_kind_stated_with_no_rule() -> None:
    end = _expiration(_contract("This Agreement shall expire on March 31, 2023."))
    assert end is not None
    assert (end.kind, end.on, end.rule) == ("stated", date(2023, 3, 31), None)


def test_a_rule_in_years_is_computed_from_the_effective_date() -> None:
    end = _expiration(
        _contract(
            "The initial term of this Agreement commences as of the Effective Date and shall "
            "continue until five (5) years following the Effective Date."
        )
    )
    assert end is not None
    assert end.kind == "computed"
    assert end.value == "five (5) years following the Effective Date"
    assert end.on == date(2019, 5, 8)
    assert end.rule == DateRule(
        amount=5,
        unit="year",
        anchor="the Effective Date",
        anchor_field="effective_date",
        anchor_on=date(2014, 5, 8),
    )


def test_a_rule_in_months_is_computed_to_the_same_day_of_the_month() -> None:
    end = _expiration(
        _contract(
            "This Agreement shall remain in effect for a period of eighteen (18) months from "
            "the Effective Date.",
            made="January 15, 2020",
        )
    )
    assert end is not None
    assert (end.kind, end.on) == ("computed", date(2021, 7, 15))
    assert end.rule is not None and (end.rule.amount, end.rule.unit) == (18, "month")


def test_a_rule_in_days_adds_the_days() -> None:
    end = _expiration(
        _contract(
            "This Agreement shall expire ninety (90) days after the Effective Date.",
            made="December 1, 2020",
        )
    )
    assert end is not None
    assert (end.kind, end.on) == ("computed", date(2021, 3, 1))


def test_an_anniversary_of_the_date_hereof_is_counted_from_the_agreement_date() -> None:
    end = _expiration(
        _contract(
            "The term of this Agreement shall end on the seventh anniversary of the date hereof.",
            made="November 28, 2001",
            effective=False,
        )
    )
    assert end is not None
    assert end.kind == "computed"
    assert end.on == date(2008, 11, 28)
    assert end.rule is not None
    assert (end.rule.anchor, end.rule.anchor_field) == ("the date hereof", "agreement_date")


def test_a_period_with_no_anchor_runs_from_the_start_the_clause_names() -> None:
    end = _expiration(
        _contract(
            "The initial term shall commence on the Effective Date and shall continue for a "
            "period of ten (10) years thereafter.",
            made="September 24, 2013",
        )
    )
    assert end is not None
    assert (end.kind, end.on) == ("computed", date(2023, 9, 24))


def test_shall_continue_for_a_period_is_counted_from_the_effective_date() -> None:
    end = _expiration(_contract("This Agreement shall continue for one (1) year."))
    assert end is not None
    assert end.kind == "computed" and end.on == date(2015, 5, 8)
    assert end.rule is not None and end.rule.anchor == "the start of the term"


def test_a_rule_from_an_undated_event_is_kept_without_a_date() -> None:
    end = _expiration(
        _contract(
            "This Agreement will become effective on the Effective Date and will continue in "
            "effect for 2 years following the Launch Date."
        )
    )
    assert end is not None
    assert (end.kind, end.on) == ("rule", None)
    assert end.rule is not None
    assert (end.rule.anchor, end.rule.anchor_field, end.rule.anchor_on) == (
        "the Launch Date",
        None,
        None,
    )


def test_a_rule_whose_anchor_date_was_not_read_is_kept_without_a_date() -> None:
    rule = read_rule("five (5) years from the Effective Date")
    assert rule is not None
    kept = with_computed_end(_rule_date("five (5) years", rule), None, None)
    assert (kept.kind, kept.on, kept.rule) == ("rule", None, rule)


def test_an_anchor_falls_back_to_the_other_start_date() -> None:
    rule = read_rule("three (3) years from the Execution Date")
    assert rule is not None and rule.anchor_field == "agreement_date"
    effective = ExtractedDate(
        value="March 31, 2016",
        span=Span(start=0, end=14, text="March 31, 2016"),
        on=date(2016, 3, 31),
    )
    computed = with_computed_end(_rule_date("three (3) years", rule), effective, None)
    assert computed.on == date(2019, 3, 31)
    assert computed.rule is not None and computed.rule.anchor_field == "effective_date"


def test_a_term_until_terminated_is_perpetual() -> None:
    end = _expiration(
        _contract("This Agreement shall continue in effect until terminated by either party.")
    )
    assert end is not None
    assert (end.kind, end.on, end.rule) == ("perpetual", None, None)


@pytest.mark.parametrize("words", ["in perpetuity", "indefinitely", "perpetual"])
def test_perpetual_wordings_are_classified_perpetual(words: str) -> None:
    assert classify(words) == ("perpetual", None)


def test_a_contract_stating_no_term_has_no_expiration() -> None:
    assert _expiration(_contract("Intentionally left blank.")) is None


@pytest.mark.parametrize(
    "blank",
    ["_______ __, 20__", "[_____], 20[__]", "March 31, 20__", "September ___, 20__", "[___], 2023"],
)
def test_a_blank_end_date_is_a_stated_date_left_blank(blank: str) -> None:
    """A template's end date left for the signers to fill in, even the year's last digits, is
    reported as stated with no calendar date: told apart from a rule, a perpetual term and a
    contract that states no end, and never read as some date."""
    end = _expiration(_contract(f"This Agreement shall expire on {blank}."))
    assert end is not None
    assert (end.kind, end.on, end.rule, end.value) == ("stated", None, None, blank)


def test_a_number_followed_by_an_underscore_is_not_a_blank_year() -> None:
    from agents.contract_review.dates import find_dates

    assert find_dates("Section 20_1 and clause 19__a apply; 20 units ship in 2020.") == []


def test_a_period_after_the_term_is_not_the_expiration() -> None:
    end = _expiration(
        _contract(
            "During the Term of this Agreement and for two (2) years thereafter, neither party "
            "shall solicit the other party's employees."
        )
    )
    assert end is None


@pytest.mark.parametrize(
    ("start", "amount", "unit", "end"),
    [
        (date(2020, 2, 29), 1, "year", date(2021, 2, 28)),  # no February 29 in 2021
        (date(2020, 2, 29), 4, "year", date(2024, 2, 29)),
        (date(2019, 1, 31), 1, "month", date(2019, 2, 28)),
        (date(2020, 1, 31), 1, "month", date(2020, 2, 29)),
        (date(2020, 3, 31), 1, "month", date(2020, 4, 30)),
        (date(2019, 12, 31), 2, "month", date(2020, 2, 29)),
        (date(2019, 11, 15), 14, "month", date(2021, 1, 15)),
        (date(2020, 2, 28), 2, "week", date(2020, 3, 13)),
        (date(2020, 12, 31), 1, "day", date(2021, 1, 1)),
    ],
)
def test_month_ends_and_leap_days(start: date, amount: int, unit: str, end: date) -> None:
    assert add_period(start, amount, unit) == end


def test_the_cuad_convention_ends_on_the_same_day_not_the_day_before() -> None:
    # CUAD labels effective 2/10/14 + five years as 2/10/19, effective 5/31/19 + five years as
    # 5/31/24 (not 2/9/19, 5/30/24).
    assert add_period(date(2014, 2, 10), 5, "year") == date(2019, 2, 10)
    assert add_period(date(2019, 5, 31), 5, "year") == date(2024, 5, 31)


@pytest.mark.skipif(not CUAD.is_dir(), reason="the CUAD data set is not available")
def test_a_cuad_contract_gets_its_labelled_computed_expiration() -> None:
    with (CUAD / "master_clauses.csv").open(encoding="utf-8", newline="") as handle:
        csv.field_size_limit(10**9)
        labels = {row["Filename"]: row for row in csv.DictReader(handle)}
    assert labels[f"{GOPAGE}.pdf"]["Expiration Date-Answer"] == "2/10/19"
    content = (CUAD / "contracts" / f"{GOPAGE}.txt").read_text(encoding="utf-8")
    end = _expiration(content)
    assert end is not None
    assert (end.kind, end.on) == ("computed", date(2019, 2, 10))


def test_an_absurd_period_is_refused_not_crashed() -> None:
    end = _expiration(
        _contract("This Agreement shall remain in effect for 10000 years from the Effective Date.")
    )
    assert end is not None
    assert (end.kind, end.on, end.rule) == ("rule", None, None)
    assert read_rule("99999999999999999999 years from the Effective Date") is None
    assert add_period(date(2014, 5, 8), 10**9, "year") is None
    assert add_period(date(2014, 5, 8), 10**18, "day") is None
    assert add_period(date(9999, 12, 31), 1, "day") is None


def test_a_period_changed_by_something_undated_is_not_computed() -> None:
    rule = "seventh anniversary of the Effective Date plus such additional calendar months"
    assert read_rule(rule) is None
    assert classify(rule) == ("rule", None)


def test_the_kind_and_the_date_must_agree() -> None:
    span = Span(start=0, end=5, text="years")
    rule = DateRule(amount=1, unit="year", anchor="the Effective Date")
    with pytest.raises(ValidationError):
        ExtractedDate(value="years", span=span, kind="computed", rule=rule)  # no date
    with pytest.raises(ValidationError):
        ExtractedDate(value="years", span=span, kind="perpetual", on=date(2020, 1, 1))
    with pytest.raises(ValidationError):
        ExtractedDate(value="years", span=span, kind="stated", rule=rule)
    assert ExtractedDate(value="years", span=span).kind == "stated"  # the default, as before


def test_the_model_answer_is_read_the_same_way() -> None:
    content = _contract(
        "This Agreement shall continue until five (5) years following the Effective Date."
    )
    sentence = "This Agreement shall continue until five (5) years following the Effective Date."
    answer = FactsAnswer(
        effective_date=QuotedDate(value="May 8, 2014", quote="May 8, 2014", on=date(2014, 5, 8)),
        expiration_date=QuotedDate(
            value="five (5) years following the Effective Date", quote=sentence
        ),
    )
    facts, dropped, _ = ground_facts(answer, content)
    assert dropped == []
    end = facts.expiration_date
    assert end is not None
    assert (end.kind, end.on) == ("computed", date(2019, 5, 8))


@pytest.mark.parametrize(
    ("words", "anchor"),
    [
        (
            "five (5) years from the later of the Effective Date and the Launch Date",
            "the later of the Effective Date and the Launch Date",
        ),
        (
            "five (5) years from the earlier of the Effective Date or the Closing",
            "the earlier of the Effective Date or the Closing",
        ),
        (
            "five (5) years from the Effective Date or the Closing, whichever is earlier",
            "the Effective Date or the Closing, whichever is earlier",
        ),
        (
            "ten (10) years from the first day of the month following the Effective Date",
            "the first day of the month following the Effective Date",
        ),
        (
            "two (2) years from the date of first commercial sale following the Effective Date",
            "the date of first commercial sale following the Effective Date",
        ),
        (
            "three (3) years from the Effective Date of the Supply Agreement",
            "the Effective Date of the Supply Agreement",
        ),
    ],
)
def test_a_rule_anchored_on_more_than_the_effective_date_is_not_computed_from_it(
    words: str, anchor: str
) -> None:
    end = _expiration(_contract(f"This Agreement shall continue until {words}."))
    assert end is not None
    assert (end.kind, end.on) == ("rule", None)
    assert end.rule is not None
    # No field in DateRule says why: the whole anchor phrase, kept as written, shows it.
    assert (end.rule.anchor, end.rule.anchor_field, end.rule.anchor_on) == (anchor, None, None)


@pytest.mark.parametrize(
    ("words", "field"),
    [
        ("the Effective Date of this Agreement", "effective_date"),
        ("the date of this Agreement", "agreement_date"),
        ("the date hereof", "agreement_date"),
    ],
)
def test_an_anchor_that_is_wholly_the_contracts_own_date_is_computed(
    words: str, field: str
) -> None:
    end = _expiration(_contract(f"This Agreement shall continue until two (2) years from {words}."))
    assert end is not None
    assert (end.kind, end.on) == ("computed", date(2016, 5, 8))
    assert end.rule is not None and (end.rule.anchor, end.rule.anchor_field) == (words, field)


def test_a_period_with_a_thousands_separator_is_read_as_a_number() -> None:
    kind, rule = classify("1,000 years from the Effective Date")
    assert kind == "rule"
    assert rule is not None and (rule.amount, rule.unit) == (1000, "year")
    end = _expiration(
        _contract("This Agreement shall remain in effect for 1,000 years from the Effective Date.")
    )
    assert end is not None
    assert (end.kind, end.on, end.value) == (
        "computed",
        date(3014, 5, 8),
        "1,000 years from the Effective Date",
    )
    # Past the cap (MAX_YEARS), like "10000 years": a rule, with no period and no date.
    assert classify("10,000 years from the Effective Date") == ("rule", None)


def test_an_anchor_before_1900_is_dated() -> None:
    rule = read_rule("five (5) years from January 1, 1850")
    assert rule is not None
    assert (rule.anchor, rule.anchor_field, rule.anchor_on) == (
        "January 1, 1850",
        None,
        date(1850, 1, 1),
    )
    end = _expiration(_contract("This Agreement shall expire five (5) years from January 1, 1850."))
    assert end is not None
    assert (end.kind, end.on) == ("computed", date(1855, 1, 1))


def test_adding_months_up_to_the_last_calendar_year_is_not_an_overflow() -> None:
    assert add_period(date(9999, 3, 1), 9, "month") == date(9999, 12, 1)
    assert add_period(date(9999, 1, 31), 11, "month") == date(9999, 12, 31)
    assert add_period(date(9998, 12, 31), 1, "year") == date(9999, 12, 31)
    assert add_period(date(9999, 3, 1), 10, "month") is None  # January of the year 10000
    assert add_period(date(9999, 12, 31), 1, "year") is None


@pytest.mark.parametrize(
    ("term", "value"),
    [
        (
            "The term of this Agreement shall be ____ (__) years after the Effective Date.",
            "____ (__) years after the Effective Date",
        ),
        (
            "This Agreement shall continue in full force and effect for a period of [\u25cf] "
            "years from the Effective Date.",
            "[\u25cf] years from the Effective Date",
        ),
        (
            "This Agreement shall commence on the Effective Date and, unless earlier terminated, "
            "shall continue in full force and effect for a period of [***] years thereafter.",
            "[***] years thereafter",
        ),
        (
            "The Initial Term shall end [__] months from the Effective Date.",
            "[__] months from the Effective Date",
        ),
        (
            "This Agreement shall expire [ ] days after the Effective Date.",
            "[ ] days after the Effective Date",
        ),
    ],
)
def test_a_term_whose_period_is_left_blank_is_a_rule_with_no_period_and_no_date(
    term: str, value: str
) -> None:
    """A template's term length left for the signers, or redacted, is reported as a rule (told
    apart from a stated date, a perpetual term and no term at all) with nothing computed: no
    period is guessed from the blank."""
    end = _expiration(_contract(term))
    assert end is not None
    assert (end.kind, end.on, end.rule, end.value) == ("rule", None, None, value)


def test_a_blank_notice_period_is_not_taken_for_the_term() -> None:
    end = _expiration(
        _contract(
            "This Agreement shall continue for three (3) years. Either party may terminate it "
            "on ____ days' notice."
        )
    )
    assert end is not None and end.rule is not None
    assert (end.rule.amount, end.rule.unit, end.on) == (3, "year", date(2017, 5, 8))


def test_the_model_answer_with_a_blank_period_is_read_as_a_rule() -> None:
    assert classify("[***] years thereafter") == ("rule", None)
    assert classify("for ____ (__) years after the Effective Date") == ("rule", None)


@pytest.mark.parametrize(
    ("term", "stated"),
    [
        ("This Agreement shall expire on March 31, 2023.", True),
        ("This Agreement shall continue for five (5) years.", True),
        ("This Agreement shall expire two (2) years after the Launch Date.", True),
        ("This Agreement shall continue until terminated by either party.", False),
        ("This Agreement shall expire on _______ __, 20__.", False),
        ("The term of this Agreement shall be ____ (__) years after the Effective Date.", False),
        ("Intentionally left blank.", False),
    ],
)
def test_risk_reads_an_end_only_where_the_contract_says_when_it_ends(
    term: str, stated: bool
) -> None:
    """The risk policy's `expiration_missing` is about a contract that may run forever: one that
    runs until terminated, or whose end is left blank, has no end stated."""
    from agents.contract_review.specs import RISK

    facts = extract_facts(StageInput(contract_id="c-1", content=_contract(term)), CONTEXT)
    assert isinstance(facts, ContractFacts)
    extraction = {"status": "ok", "value": facts.model_dump(mode="json")}
    clauses = {"status": "ok", "value": {"findings": []}}
    risk_input = RISK.select_input({"extraction": extraction, "clause_analysis": clauses})
    assert risk_input["expiration_stated"] is stated


@pytest.mark.parametrize(
    ("term", "shown"),
    [
        ("This Agreement shall expire on March 31, 2023.", "March 31, 2023"),
        (
            "This Agreement shall continue for five (5) years following the Effective Date.",
            "five (5) years following the Effective Date → 2019-05-08",
        ),
        (
            "This Agreement shall continue until terminated by either party.",
            "until terminated (no fixed end)",
        ),
        (
            "The term of this Agreement shall be ____ (__) years after the Effective Date.",
            "____ (__) years after the Effective Date (left blank: no date)",
        ),
        (
            "This Agreement shall expire on _______ __, 20__.",
            "_______ __, 20__ (left blank: no date)",
        ),
        (
            "This Agreement shall expire two (2) years after the Launch Date.",
            "two (2) years after the Launch Date (no date computed from it)",
        ),
        ("Intentionally left blank.", "(not read)"),
    ],
)
def test_the_case_status_shows_what_the_expiration_came_to(term: str, shown: str) -> None:
    from agents.contract_review.status import status_lines

    facts = extract_facts(StageInput(contract_id="c-1", content=_contract(term)), CONTEXT)
    assert isinstance(facts, ContractFacts)
    state = {"extraction": {"status": "ok", "value": facts.model_dump(mode="json")}}
    assert status_lines(state)["expiration date"] == shown


def test_the_summary_says_a_blank_end_is_to_be_filled_in() -> None:
    from agents.contract_review.summary import summarise
    from schemas.contract_review import (
        ClauseCategory,
        ClauseFinding,
        ClauseReport,
        ContractRisk,
        SummaryInput,
    )

    content = _contract(
        "The term of this Agreement shall be ____ (__) years after the Effective Date."
    )
    facts = extract_facts(StageInput(contract_id="c-1", content=content), CONTEXT)
    assert isinstance(facts, ContractFacts)
    risk = ContractRisk(score=0, band="low", points=[], policy="test 1")
    none_found = ClauseReport(
        findings=[ClauseFinding(category=c, present=False) for c in ClauseCategory]
    )
    payload = SummaryInput(
        contract_id="c-1",
        content=content,
        facts=facts,
        clauses=none_found,
        risk=risk,
    )
    term = summarise(payload, CONTEXT).points[1].text
    assert term == (
        "Term: from May 8, 2014, its end left blank to be filled in "
        "(____ (__) years after the Effective Date)."
    )
