"""The browser works end to end: a page served on this machine, a form filled and submitted through
Chromium, the server's answer read back, JavaScript run, and a screenshot at a laptop's width."""

from __future__ import annotations

import html
import struct
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import WINDOW_SIZE, save_screenshot
from tests.conftest import free_port

FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Smoke form</title></head>
<body>
  <form method="post" action="/greet">
    <label for="name">Reviewer</label>
    <input id="name" name="name" autocomplete="off">
    <button type="submit">Send</button>
  </form>
  <script>document.body.dataset.ready = "yes";</script>
</body></html>
"""


class _Handler(BaseHTTPRequestHandler):
    """`GET /`: the form; `POST /greet`: a page naming who sent it (escaped)."""

    def do_GET(self) -> None:
        if urlsplit(self.path).path != "/":
            self.send_error(404)
            return
        self._send(FORM)

    def do_POST(self) -> None:
        if self.path != "/greet":
            self.send_error(404)
            return
        length = int(self.headers.get("Content-Length", "0"))
        fields = parse_qs(self.rfile.read(length).decode("utf-8"))
        name = html.escape(fields.get("name", [""])[0])
        self._send(
            '<!doctype html><html lang="en"><head><title>Greeted</title></head>'
            f'<body><p id="result">Hello, {name}!</p></body></html>'
        )

    def _send(self, page: str) -> None:
        body = page.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def site() -> Iterator[str]:
    """The two-page site above on 127.0.0.1, a free port; its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_form_is_filled_and_submitted(
    browser: webdriver.Chrome, site: str, tmp_path: Path
) -> None:
    browser.get(f"{site}/")
    assert browser.title == "Smoke form"
    assert browser.execute_script("return document.body.dataset.ready") == "yes"
    field = browser.find_element(By.ID, "name")
    assert browser.find_element(By.CSS_SELECTOR, "label[for=name]").text == "Reviewer"
    field.send_keys("Dana <Lee>")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    result = WebDriverWait(browser, 10).until(
        expected_conditions.visibility_of_element_located((By.ID, "result"))
    )
    assert result.text == "Hello, Dana <Lee>!"  # escaped by the server, shown as typed
    assert browser.current_url == f"{site}/greet"

    shot = save_screenshot(browser, tmp_path / "shots" / "greeted.png")
    width, height = struct.unpack(">II", shot.read_bytes()[16:24])  # the PNG's IHDR
    assert width == WINDOW_SIZE[0]
    assert 0 < height <= WINDOW_SIZE[1]
