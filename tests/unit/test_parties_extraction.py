"""Party extraction from preambles (agents.contract_review.parties), on preambles written for
these tests in styles the CUAD benchmark may not hold."""

from __future__ import annotations

import time

from agents.contract_review.parties import find_parties


def names(text: str) -> list[str]:
    return [party.value for party in find_parties(text)]


def test_company_named_after_running_words_is_a_party() -> None:
    text = (
        "These terms set out the conditions under which Alpha Omega Holdings, Inc., a Nevada "
        'corporation having an address at 1 Main Street ("Alpha"), appoints Gamma Ray Ventures, '
        'LLC, a Texas limited liability company ("Reseller"), as a reseller.'
    )
    assert names(text) == ["Alpha Omega Holdings, Inc.", "Gamma Ray Ventures, LLC"]


def test_running_words_before_a_name_without_legal_form_are_not_a_party() -> None:
    text = (
        'This Agreement (the "Agreement") is made by and between Kite Corp. ("Kite") and Vane '
        'Ltd. ("Vane"). The services under which the supplier delivers the Product ("Widget") '
        "are described below."
    )
    assert names(text) == ["Kite Corp.", "Vane Ltd."]


def test_paragraph_break_after_full_stop_ends_the_preamble() -> None:
    text = (
        'This Co-Marketing Agreement (the "Agreement") is entered into by and between Kite.com, '
        'Inc., with its principal place of business at 1 High Street ("Kite"), and The Vane '
        'Company, with its principal place of business at 2 Low Road ("Vane").\n\n'
        "1.   DEFINITIONS.\n\n"
        '     (a) "Kite Banners" means any banner Kite provides (the "Banners").\n'
    )
    assert names(text) == ["Kite.com, Inc.", "The Vane Company"]


def test_numbered_between_list_on_separate_lines() -> None:
    text = (
        "THIS AGREEMENT is dated 4 May 2022\n\nBETWEEN:\n\n"
        '(1) ACME WIDGETS LIMITED, a company registered in England (the "Seller"); and\n\n'
        '(2) BETA PARTS PLC, a company registered in Scotland (the "Buyer").\n\n1. DEFINITIONS'
    )
    assert names(text) == ["ACME WIDGETS LIMITED", "BETA PARTS PLC"]


def test_three_parties_among() -> None:
    text = (
        'This Lease is entered into among Harbor Point LLC ("Landlord"), Kestrel Labs, Inc. '
        '("Tenant") and Osprey Capital LP ("Guarantor").'
    )
    assert names(text) == ["Harbor Point LLC", "Kestrel Labs, Inc.", "Osprey Capital LP"]


def test_dba_tail_is_not_part_of_the_name() -> None:
    text = (
        "This Agreement is made by and between Jane O'Connor d/b/a O'Connor Design "
        '("Designer") and Bright Lights, Inc. ("Client").'
    )
    assert names(text) == ["Jane O'Connor", "Bright Lights, Inc."]


def test_hereinafter_called_aliases() -> None:
    text = (
        "AGREEMENT between Northwind Traders Co., a Delaware corporation (hereinafter called "
        '"Northwind"), and Contoso Ltd. (hereinafter referred to as "Contoso").'
    )
    assert names(text) == ["Northwind Traders Co.", "Contoso Ltd."]


def test_unicode_names_and_curly_quotes() -> None:
    text = (
        "This Services Agreement is made on 1 March 2021 by and between Société Générale "
        "Façade SAS, a French company (\u201cClient\u201d), and Müller & Söhne GmbH, a German "
        "company (\u201cSupplier\u201d)."
    )
    assert names(text) == ["Société Générale Façade SAS", "Müller & Söhne GmbH"]


def test_party_name_with_quotes_keeps_its_quotes() -> None:
    text = (
        'This Agreement is made by and between Joe\'s "Famous" Pizza, LLC, a New York limited '
        'liability company ("Pizza"), and Dough Supply Co. ("Supplier").'
    )
    assert names(text) == ['Joe\'s "Famous" Pizza, LLC', "Dough Supply Co."]


def test_no_parties_at_all() -> None:
    assert names("This Agreement is between the parties named below. Nothing names anyone.") == []
    assert names("") == []


def test_very_long_preamble_is_fast_and_finds_nothing_invented() -> None:
    filler = "whereby the parties, a, and " * 20_000
    started = time.perf_counter()
    found = names("This Agreement is made by and between " + filler)
    assert found == []
    assert time.perf_counter() - started < 2.0


def test_overlong_name_is_dropped_but_the_other_party_kept() -> None:
    text = (
        'This Agreement is made by and between Alpha Corp. ("Alpha") and '
        + "Beta " * 30_000
        + 'Inc. ("Beta")'
    )
    assert names(text) == ["Alpha Corp."]


def test_long_run_of_words_before_a_legal_form_is_not_a_name() -> None:
    text = "Lorem ipsum dolor, under which Sit Amet " * 5_000 + ' Inc. ("X")'
    assert names(text) == []


def test_a_party_introduced_by_its_role_after_the_other() -> None:
    text = (
        "This Distribution Agreement is entered into by and between Kestrel Incentive Services, "
        'L.L.C., a Missouri limited liability company ("KIS"), and its Reseller, Schoolyard, '
        'Inc., a Delaware corporation ("Schoolyard").'
    )
    assert names(text) == ["Kestrel Incentive Services, L.L.C.", "Schoolyard, Inc."]


def test_a_company_with_its_subsidiaries_collectively_is_one_party() -> None:
    text = (
        'This Agreement is entered into by and between Harbor MP, LLC ("Lender"), and Osprey '
        'Labs, Inc. ("Labs") (collectively, Lender and Labs are referred to as the "AS '
        'Parties") and Pelican Corporation with its principal place of business in Denver, '
        'Colorado and its subsidiaries, (collectively, "Pelican" or the "Company").'
    )
    assert names(text) == ["Harbor MP, LLC", "Osprey Labs, Inc.", "Pelican Corporation"]


def test_parties_named_together_are_not_a_party() -> None:
    text = (
        'This Agreement is made between Kite Corp. ("Kite") and Vane Ltd. ("Vane") (together, '
        'the "Parties") and Wren LLC (collectively with Kite, the "Sellers").'
    )
    assert names(text) == ["Kite Corp.", "Vane Ltd."]


def test_several_parties_under_one_collective_term_are_not_one_party() -> None:
    """Only a company named with its own group ("and its subsidiaries") takes a "collectively"
    term as its own; parties named together keep their term out of any name."""
    text = (
        'This Agreement is made between Kite Corp. and Vane Ltd. (collectively, the "Sellers"), '
        'and Wren LLC ("Buyer"), and Finch Inc. ("Agent").'
    )
    assert "Kite Corp. and Vane Ltd." not in names(text)
    text = (
        'This Guaranty is made by and between John Doe and Jane Doe (collectively, "Guarantor") '
        'and Osprey Bank, N.A. ("Lender").'
    )
    assert "John Doe and Jane Doe" not in names(text)
