"""Deterministic clause analysis: CUAD categories found and not found, exact spans, feedback."""

from __future__ import annotations

from agents.contract_review.clause_model import RULES_ONLY
from agents.contract_review.clause_rules import clause_rules
from agents.contract_review.clauses import analyse_clauses, find_clauses, sentences
from agents.spec import AgentContext
from schemas.contract_review import ClauseCategory, ClauseFinding, ClauseReport, StageInput
from schemas.result import Outcome, Status

C = ClauseCategory
CONTEXT = AgentContext(database_url="sqlite:///:memory:")

DISTRIBUTION = """DISTRIBUTION AGREEMENT

This Distribution Agreement (the "Agreement") is made and entered into as of March 3, 2020 by and
between Birch Supply Inc., a Nevada corporation ("Supplier"), and Mount Trading LLC, a Delaware
limited liability company ("Distributor").

1. Appointment. Supplier hereby appoints Distributor as its exclusive distributor of the Products
in the Territory, and Supplier shall not appoint any other distributor in the Territory.

2. Term. The term of this Agreement shall commence on the Effective Date and shall continue for a
period of three (3) years. Thereafter this Agreement shall automatically renew for successive one
(1) year periods unless either party gives the other at least ninety (90) days prior written
notice of non-renewal before the end of the then current term.

3. Assignment. Neither party may assign this Agreement without the prior written consent of the
other party, and any attempted assignment without such consent shall be void.

4. Audit. Supplier shall have the right to audit the books and records of Distributor once per
calendar year upon reasonable notice.

5. Limitation of Liability. In no event shall either party be liable for any indirect,
incidental or consequential damages, and each party's aggregate liability shall not exceed the
fees paid under this Agreement.

6. Governing Law. This Agreement shall be governed by and construed in accordance with the laws
of the State of New York.
"""

WORK_FOR_HIRE = """CONSULTING AGREEMENT

This Consulting Agreement is entered into as of May 1, 2019 by and between Acme Corp., a Delaware
corporation (the "Company"), and Jane Roe, an individual (the "Consultant").

1. Work Product. The Consultant hereby irrevocably assigns to the Company all right, title and
interest in and to the deliverables and all inventions made in performing the services.

2. Relationship. The Consultant is an independent contractor of the Company and the Company
shall pay the fees set out in Exhibit A within thirty days of each invoice.
"""


def analyse(content: str, feedback: list[str] | None = None) -> ClauseReport | Outcome:
    payload = StageInput(contract_id="c-1", content=content, feedback=feedback or [])
    return analyse_clauses(payload, CONTEXT)


def report_of(content: str, feedback: list[str] | None = None) -> ClauseReport:
    result = analyse(content, feedback)
    assert isinstance(result, ClauseReport), result
    return result


def finding(report: ClauseReport, category: ClauseCategory) -> ClauseFinding:
    return next(f for f in report.findings if f.category is category)


def test_one_finding_per_category_and_every_span_is_the_contracts_own_text() -> None:
    report = report_of(DISTRIBUTION)
    assert len(report.findings) == 41
    assert {f.category for f in report.findings} == set(ClauseCategory)
    for item in report.findings:
        assert item.present == bool(item.spans)
        for span in item.spans:
            assert DISTRIBUTION[span.start : span.end] == span.text


def test_the_clauses_a_distribution_agreement_states_are_found() -> None:
    report = report_of(DISTRIBUTION)
    expected = {
        C.DOCUMENT_NAME,
        C.PARTIES,
        C.AGREEMENT_DATE,
        C.EXPIRATION_DATE,
        C.RENEWAL_TERM,
        C.NOTICE_PERIOD_TO_TERMINATE_RENEWAL,
        C.GOVERNING_LAW,
        C.EXCLUSIVITY,
        C.ANTI_ASSIGNMENT,
        C.AUDIT_RIGHTS,
        C.CAP_ON_LIABILITY,
    }
    assert expected <= set(report.present())
    absent = {C.IP_OWNERSHIP_ASSIGNMENT, C.SOURCE_CODE_ESCROW, C.NON_COMPETE, C.INSURANCE}
    assert absent.isdisjoint(report.present())
    assert finding(report, C.DOCUMENT_NAME).spans[0].text == "DISTRIBUTION AGREEMENT"
    law = " ".join(finding(report, C.GOVERNING_LAW).spans[0].text.split())
    assert "laws of the State of New York" in law
    assignment = finding(report, C.ANTI_ASSIGNMENT).spans[0].text
    assert assignment.startswith("Neither party may assign")


def test_an_ip_assignment_is_not_an_anti_assignment_clause() -> None:
    report = report_of(WORK_FOR_HIRE)
    assert C.IP_OWNERSHIP_ASSIGNMENT in report.present()
    assert C.ANTI_ASSIGNMENT not in report.present()
    assert "irrevocably assigns" in finding(report, C.IP_OWNERSHIP_ASSIGNMENT).spans[0].text


def test_an_anti_assignment_clause_is_not_an_ip_assignment() -> None:
    report = report_of(DISTRIBUTION)
    assert C.ANTI_ASSIGNMENT in report.present()
    assert C.IP_OWNERSHIP_ASSIGNMENT not in report.present()


def test_no_third_party_beneficiaries_is_not_a_third_party_beneficiary_clause() -> None:
    denial = DISTRIBUTION + "\n7. No Third Party Beneficiaries. Nothing in this Agreement confers "
    denial += (
        "any right on any person other than the parties; there are no third party beneficiaries.\n"
    )
    grant = DISTRIBUTION + "\n7. The Licensor's affiliates are intended third party beneficiaries "
    grant += "of Section 5 and may enforce it directly.\n"
    assert C.THIRD_PARTY_BENEFICIARY not in report_of(denial).present()
    assert C.THIRD_PARTY_BENEFICIARY in report_of(grant).present()


def rules_find(content: str) -> list[ClauseCategory]:
    report = find_clauses(content, [], clause_rules(), RULES_ONLY)
    assert isinstance(report, ClauseReport), report
    return report.present()


def test_the_rules_read_a_commitment_to_buy_from_one_party_alone_as_exclusivity() -> None:
    """CUAD's Exclusivity includes a commitment to procure from one party only, however the
    contract words it. (Whether the model must agree is the shipped decisions' say.)"""
    bare = WORK_FOR_HIRE.replace("1. Work Product.", "0. Supply. Placeholder.\n\n1. Work Product.")
    for wording in (
        "The Company shall procure the Products solely from the Consultant.",
        "The Company shall purchase its requirements of the Products exclusively from the Consultant.",
        "The Company will buy the Products only from the Consultant during the Term.",
    ):
        assert C.EXCLUSIVITY in rules_find(bare.replace("Placeholder.", wording)), wording
    assert C.EXCLUSIVITY not in rules_find(bare)


def test_the_rules_read_a_sell_off_right_after_termination_as_a_post_termination_service() -> None:
    sell_off = DISTRIBUTION + (
        "\n7. Sell-off. Upon termination of this Agreement, Distributor may sell off its remaining "
        "inventory of Products for ninety (90) days.\n"
    )
    assert C.POST_TERMINATION_SERVICES in rules_find(sell_off)
    assert C.POST_TERMINATION_SERVICES not in rules_find(DISTRIBUTION)


LICENSE = """SOFTWARE LICENSE AGREEMENT

This Software License Agreement is effective as of April 2, 2024 between Quillstone Software Inc.
("Licensor") and Harborview Logistics LLC ("Licensee").

1. License Grant. Licensor grants Licensee a non-exclusive license to use the Software for its
internal business purposes.

2. Governing Law. This Agreement is governed by the laws of the State of California.
"""


def test_the_rules_read_a_licence_licensees_affiliates_may_use_and_a_promise_not_to_sue() -> None:
    affiliates = (
        "3. Affiliates. Licensee may permit its Affiliates to use the Software under this license."
    )
    no_claims = (
        "3. Claims. Licensee agrees not to bring any claim of infringement against Licensor "
        "relating to the Software."
    )
    assert C.AFFILIATE_LICENSE_LICENSEE in rules_find(LICENSE + "\n" + affiliates + "\n")
    assert C.COVENANT_NOT_TO_SUE in rules_find(LICENSE + "\n" + no_claims + "\n")
    plain = rules_find(LICENSE)
    assert C.AFFILIATE_LICENSE_LICENSEE not in plain and C.COVENANT_NOT_TO_SUE not in plain


def test_feedback_naming_a_category_sets_its_previous_spans_aside() -> None:
    first = finding(report_of(DISTRIBUTION), C.CAP_ON_LIABILITY)
    assert first.present
    second = finding(
        report_of(DISTRIBUTION, ["Cap On Liability: span does not contain a liability limit"]),
        C.CAP_ON_LIABILITY,
    )
    assert not {s.start for s in second.spans} & {s.start for s in first.spans}
    assert not second.present  # the contract states no other liability limit


def test_feedback_on_one_category_leaves_the_others_alone() -> None:
    first = report_of(DISTRIBUTION)
    second = report_of(DISTRIBUTION, ["Audit Rights: span 10:20 is not the contract's text"])
    changed = {a.category for a, b in zip(first.findings, second.findings, strict=True) if a != b}
    assert changed == {C.AUDIT_RIGHTS}


def test_no_clause_found_feedback_reads_again_with_lower_thresholds() -> None:
    # The rules' own thresholds (the learned model's are relaxed too: test_clause_model.py).
    faint = (
        "MEMORANDUM\n\nThe goods in transit are covered by an insurance policy. "
        "Nothing else is agreed between the people named in it, who met on a Tuesday.\n"
    )
    first = find_clauses(faint, [], clause_rules(), RULES_ONLY)
    assert isinstance(first, ClauseReport) and first.present() == []
    feedback = ["no clause of any category was found; read the whole contract again"]
    reread = find_clauses(faint, feedback, clause_rules(), RULES_ONLY)
    assert isinstance(reread, ClauseReport) and C.INSURANCE in reread.present()


def test_a_reread_that_still_finds_nothing_is_an_empty_answer_with_a_reason() -> None:
    result = analyse("Lorem ipsum dolor sit amet.", ["no clause of any category was found"])
    assert isinstance(result, Outcome) and result.status is Status.EMPTY
    assert "no clause" in result.reason


def test_feedback_the_rules_cannot_act_on_escalates_instead_of_being_ignored() -> None:
    result = analyse(DISTRIBUTION, ["the summary reads badly"])
    assert isinstance(result, Outcome) and result.status is Status.ESCALATED
    assert "the summary reads badly" in result.reason


def test_a_contract_without_letters_is_unreadable() -> None:
    result = analyse("12 34 56 -- 78")
    assert isinstance(result, Outcome) and result.status is Status.FAILED


def test_sentences_keep_offsets_and_do_not_break_after_abbreviations() -> None:
    text = "Acme Inc. shall pay. The Buyer (U.S. entity) shall pay too.\n1.2 Next clause here."
    cut = [text[s.start : s.end] for s in sentences(text)]
    assert cut == [
        "Acme Inc. shall pay.",
        "The Buyer (U.S. entity) shall pay too.",
        "1.2 Next clause here.",
    ]
