"""Deterministic extraction of key contract terms: values, exact spans, and second attempts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from agents.contract_review.extraction import extract_facts
from agents.spec import AgentContext
from schemas.contract_review import FACT_FIELDS, ContractFacts, Extracted, StageInput
from schemas.result import Outcome

CONTEXT = AgentContext(database_url="sqlite:///:memory:")
CUAD = Path("/work/shared/data/cuad/contracts")

SUPPLY = """SUPPLY AGREEMENT

This Supply Agreement (the "Agreement") is made and entered into as of March 3, 2020 by and
between Birch First Global Investments Inc., a Nevada corporation ("Company"), and Mount
Knowledge Holdings LLC, a Delaware limited liability company ("Supplier").

WHEREAS, Company wishes to buy and Supplier wishes to sell certain goods.

1. Term. This Agreement shall commence on April 1, 2020 (the "Effective Date") and shall expire
on March 31, 2023. Thereafter this Agreement shall automatically renew for successive one (1)
year periods unless either party gives the other at least thirty (30) days prior written notice
of its intent not to renew.

2. Governing Law. This Agreement shall be governed by and construed in accordance with the laws
of the State of New York, without regard to its conflict of laws principles.
"""

LICENSE = """CONTENT LICENSE AGREEMENT

This Content License Agreement ("Agreement"), dated as of February 10, 2014 (the "Effective
Date"), is by and between PSiTech Corporation, a BVI corporation ("Licensor"), and Empirical
Ventures, Inc., a Nevada corporation ("Licensee").

3. Term. The initial term of this Agreement commences as of the Effective Date and shall
continue until five (5) years following the Effective Date (the "Initial Term").

4. Confidentiality. Each party shall keep the other party's information confidential.
"""

SHORT_SERVICE = """SERVICES AGREEMENT

This Services Agreement is entered into as of January 1, 2015 by and between Alder Analytics
Corp. ("Provider") and Spruce Retail Company ("Client").

1. Term. The term of this Agreement shall commence on January 1, 2015 and end on December 31,
2014, as amended, and in any event this Agreement shall expire on December 31, 2017.

2. Fees. Client shall pay Provider the fees set out in the order form within thirty days.
"""

LETTER = """LETTER OF UNDERSTANDING

Reference is made to the matters discussed at our meeting last week concerning the delivery of
the pilot programme. The programme will run as described in the attached schedule, and the
costs will be shared as agreed in the meeting. Please confirm your agreement by signing below.

IN WITNESS WHEREOF, the parties have signed this letter.

ALDER ANALYTICS CORP.
By: /s/ Jane Roe

SPRUCE RETAIL COMPANY
By: /s/ John Doe
"""


def _extract(content: str, feedback: list[str] | None = None) -> ContractFacts:
    result = extract_facts(_payload(content, feedback or []), CONTEXT)
    assert isinstance(result, ContractFacts)
    return result


def _payload(content: str, feedback: list[str]) -> StageInput:
    return StageInput(contract_id="c-1", content=content, feedback=feedback)


def _every_value(facts: ContractFacts) -> list[Extracted]:
    values: list[Extracted] = list(facts.parties)
    for field in FACT_FIELDS[1:]:
        value = getattr(facts, field)
        if value is not None:
            values.append(value)
    return values


def test_the_samples_are_long_enough_for_the_input_contract() -> None:
    assert all(len(text) >= 200 for text in (SUPPLY, LICENSE, SHORT_SERVICE, LETTER))


def test_preamble_parties_and_agreement_date() -> None:
    facts = _extract(SUPPLY)
    assert [party.value for party in facts.parties] == [
        "Birch First Global Investments Inc.",
        "Mount Knowledge Holdings LLC",
    ]
    assert facts.agreement_date is not None
    assert facts.agreement_date.on == date(2020, 3, 3)
    assert facts.agreement_date.value == "March 3, 2020"


def test_effective_date_distinct_from_agreement_date() -> None:
    facts = _extract(SUPPLY)
    assert facts.effective_date is not None
    assert facts.effective_date.on == date(2020, 4, 1)
    assert facts.effective_date.span.text == "April 1, 2020"


def test_expiration_stated_as_a_date() -> None:
    facts = _extract(SUPPLY)
    assert facts.expiration_date is not None
    assert facts.expiration_date.on == date(2023, 3, 31)


def test_expiration_stated_as_a_rule_is_computed_from_the_effective_date() -> None:
    facts = _extract(LICENSE)
    assert facts.expiration_date is not None
    assert facts.expiration_date.kind == "computed"
    assert facts.expiration_date.on == date(2019, 2, 10)
    assert facts.expiration_date.value == "five (5) years following the Effective Date"
    assert facts.effective_date is not None
    assert facts.effective_date.on == date(2014, 2, 10)


def test_governing_law_is_the_jurisdiction() -> None:
    facts = _extract(SUPPLY)
    assert facts.governing_law is not None
    assert facts.governing_law.value == "New York"
    assert facts.governing_law.span.text == "New York"


def test_renewal_term_and_notice_period() -> None:
    facts = _extract(SUPPLY)
    assert facts.renewal_term is not None
    assert facts.renewal_term.value == "successive 1 year periods"
    assert facts.renewal_term.span.text == "successive one (1)\nyear periods"
    assert facts.notice_period is not None
    assert facts.notice_period.value == "30 days"
    assert facts.notice_period.span.text == "thirty (30) days"


def test_absent_terms_stay_empty() -> None:
    facts = _extract(LICENSE)
    assert facts.renewal_term is None
    assert facts.notice_period is None
    assert facts.governing_law is None


def test_every_span_indexes_the_text_exactly() -> None:
    for content in (SUPPLY, LICENSE, SHORT_SERVICE):
        for value in _every_value(_extract(content)):
            assert content[value.span.start : value.span.end] == value.span.text


def test_expiration_not_after_the_start_moves_to_a_later_candidate() -> None:
    first = _extract(SHORT_SERVICE)
    assert first.expiration_date is not None
    assert first.expiration_date.on == date(2014, 12, 31)
    second = _extract(
        SHORT_SERVICE,
        ["expiration_date: 2014-12-31 is not after effective_date 2015-01-01"],
    )
    assert second.expiration_date is not None
    assert second.expiration_date.on == date(2017, 12, 31)


def test_fewer_than_two_parties_widens_to_the_signature_block() -> None:
    first = extract_facts(_payload(LETTER, []), CONTEXT)
    assert isinstance(first, Outcome)  # nothing the rules recognise on a first reading
    second = _extract(LETTER, ["parties: fewer than two parties found"])
    assert [party.value for party in second.parties] == [
        "ALDER ANALYTICS CORP.",
        "SPRUCE RETAIL COMPANY",
    ]


def test_value_not_in_its_span_is_answered_with_the_contracts_wording() -> None:
    second = _extract(SUPPLY, ["notice_period: span text does not contain the value '30 days'"])
    assert second.notice_period is not None
    assert second.notice_period.value == "thirty (30) days"


@pytest.mark.skipif(not CUAD.is_dir(), reason="the CUAD contracts are not available")
def test_spans_index_real_contracts_exactly() -> None:
    for path in sorted(CUAD.glob("*.txt"))[:3]:
        content = path.read_text(encoding="utf-8")
        facts = _extract(content)
        assert _every_value(facts), path.name
        for value in _every_value(facts):
            assert content[value.span.start : value.span.end] == value.span.text, path.name
