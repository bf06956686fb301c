"""The reviewer inbox in a real browser (headless Chromium) against a real `langgraph dev`
server on PostgreSQL: a reviewer signs in with their key, sees a waiting case of every workflow,
opens one and approves it, and the run completes (read back through `langgraph_sdk`); an invalid
amendment shows the field's error; a submitter's key is refused; an operator's own case cannot be
decided and the page says why. It also makes the README's screenshots (docs/images, rewritten
with BATON_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from agents.contract_review.documents import contract_input
from agents.late_delivery.shipments_file import read_shipments
from agents.support_triage.training import train
from tests.browser.conftest import save_screenshot
from tests.conftest import ROOT
from tests.server.conftest import KEYS, Server

SAMPLES = ROOT / "data" / "samples"


@pytest.fixture
def images(tmp_path: Path) -> Path:
    """Where the screenshots go: the README's (docs/images) with BATON_UPDATE_SCREENSHOTS=1,
    else a scratch folder (the test still makes them, so a page that cannot be shot fails)."""
    if os.environ.get("BATON_UPDATE_SCREENSHOTS") == "1":
        return ROOT / "docs" / "images"
    return tmp_path


pytestmark = pytest.mark.parametrize("server", ["langgraph-dev"], indirect=True)


def _json(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / path).read_text(encoding="utf-8"))
    return data


def _late_delivery() -> dict[str, Any]:
    question = _json("late_delivery/09_confounded_supplier_behind_country.json")
    question["shipments"] = read_shipments(SAMPLES / "late_delivery" / question["shipments"])
    return question


def _inputs() -> dict[str, dict[str, Any]]:
    """An input of each workflow that stops for a reviewer."""
    return {
        "underwriting": _json("underwriting/02_high_risk_referral.json"),
        "contract_review": contract_input(
            SAMPLES / "contract_review" / "03_joint_filing_escalates.txt"
        ),
        "support_triage": _json("support_triage/03_unclear_goes_to_queue.json"),
        "invoice_review": _json("invoice_review/02_price_above_po.json"),
        "supply_chain": _json("supply_chain/04_both_wait.json"),
        "late_delivery": _late_delivery(),
    }


def _start(server: Server, workflow: str, payload: dict[str, Any], user: str = "alice") -> str:
    client = server.client(user)
    thread = str(client.threads.create()["thread_id"])
    client.runs.wait(thread, workflow, input=payload)
    assert client.threads.get_state(thread)["interrupts"], f"{workflow} did not stop for review"
    return thread


def _and_wait(browser: webdriver.Chrome, element: WebElement, submit: bool = False) -> None:
    """Click (or submit) `element`, then wait until the next page has replaced this one."""
    page = browser.find_element(By.TAG_NAME, "html")
    element.submit() if submit else element.click()
    WebDriverWait(browser, 30).until(expected_conditions.staleness_of(page))


def _sign_in(browser: webdriver.Chrome, server: Server, user: str) -> None:
    browser.get(f"{server.url}/inbox/")
    field = browser.find_element(By.ID, "key")
    assert browser.find_element(By.CSS_SELECTOR, "label[for=key]").text == "API key"
    field.send_keys(KEYS[user][0])
    _and_wait(browser, field, submit=True)


def _open(browser: webdriver.Chrome, server: Server, thread: str) -> None:
    browser.get(f"{server.url}/inbox/cases/{thread}")


def test_a_reviewer_sees_every_workflows_case_and_approves_one(
    browser: webdriver.Chrome, server: Server, images: Path
) -> None:
    train()
    threads = {name: _start(server, name, payload) for name, payload in _inputs().items()}
    _sign_in(browser, server, "rita")
    assert "Signed in as rita (reviewer)" in browser.find_element(By.TAG_NAME, "header").text
    queue = browser.find_element(By.CSS_SELECTOR, "table.queue").text
    for workflow in threads:
        assert workflow in queue, f"no {workflow} case in the queue"
    assert "key" not in browser.current_url and KEYS["rita"][0] not in browser.current_url
    save_screenshot(browser, images / "inbox-queue.png")

    thread = threads["underwriting"]
    _and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"a[href$='/cases/{thread}']"))
    assert "Pelican Bay" in browser.find_element(By.TAG_NAME, "h1").text
    assert "high_risk" in browser.find_element(By.CSS_SELECTOR, "ul.reasons").text
    save_screenshot(browser, images / "inbox-case.png")
    browser.find_element(By.CSS_SELECTOR, "input[name=action][value=approve]").click()
    browser.find_element(By.CSS_SELECTOR, "textarea[name=note]").send_keys("broker confirmed")
    _and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.decide button[type=submit]"))
    assert f"Your decision on {thread} was recorded" in browser.page_source
    state = server.client("alice").threads.get_state(thread)
    assert state["next"] == [] and state["values"]["decision"]["outcome"] == "approved"
    assert state["values"]["decision"]["decided_by"] == "rita"


def test_an_invalid_amendment_shows_the_fields_error(
    browser: webdriver.Chrome, server: Server
) -> None:
    thread = _start(server, "underwriting", _inputs()["underwriting"])
    _sign_in(browser, server, "rita")
    _open(browser, server, thread)
    browser.find_element(By.CSS_SELECTOR, "input[name=action][value=amend]").click()
    limit = browser.find_element(By.CSS_SELECTOR, "input[name='corrections.limit']")
    assert limit.get_attribute("value")  # filled with the quote's limit now
    limit.clear()
    limit.send_keys("lots")
    _and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.decide button[type=submit]"))
    error = browser.find_element(By.ID, "error-1-corrections-limit")
    assert "number" in error.text or "float" in error.text
    limit = browser.find_element(By.CSS_SELECTOR, "input[name='corrections.limit']")
    assert limit.get_attribute("aria-invalid") == "true"
    assert limit.get_attribute("aria-describedby") == "error-1-corrections-limit"
    assert server.client("alice").threads.get_state(thread)["interrupts"]  # still waiting


def test_a_submitters_key_is_refused(browser: webdriver.Chrome, server: Server) -> None:
    _sign_in(browser, server, "alice")
    text = browser.find_element(By.TAG_NAME, "main").text
    assert "the inbox is for reviewers and operators" in text
    assert not browser.find_elements(By.CSS_SELECTOR, "table.queue")


def test_an_operators_own_case_cannot_be_decided_and_says_why(
    browser: webdriver.Chrome, server: Server
) -> None:
    thread = _start(server, "underwriting", _inputs()["underwriting"], user="otto")
    _sign_in(browser, server, "otto")
    _open(browser, server, thread)
    assert "started this case" in browser.find_element(By.ID, "why-not").text
    assert not browser.find_elements(By.CSS_SELECTOR, "form.decide")
