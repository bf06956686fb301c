"""Browser end-to-end tests: Debian's Chromium, headless, driven by Selenium through
chromium-driver (`/usr/bin/chromium`, `/usr/bin/chromedriver`).

`make browser` installs both with apt-get, and `make test` runs it first where it can (root, apt-get);
where either is missing the tests skip, saying why. Nothing is downloaded at run time: the driver is
given to Selenium by path, so Selenium Manager never runs, and it is kept offline besides."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.server.conftest import server  # noqa: F401  (real servers for the inbox's pages)

HERE = Path(__file__).resolve().parent
WINDOW_SIZE = (1366, 900)
"""A laptop's screen: the pages are checked at the width a reviewer has."""
INSTALL_HINT = "`make browser` installs it (needs root and apt-get)"
_RUNNING: list[webdriver.Chrome] = []
"""The session's browser, once started."""


def chromium_binaries() -> tuple[str, str] | str:
    """(chromium, chromedriver) as found on PATH, or why the browser tests cannot run."""
    chromium = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    if chromium is None:
        return f"chromium is not installed: {INSTALL_HINT}"
    if driver is None:
        return f"chromium-driver is not installed (no chromedriver on PATH): {INSTALL_HINT}"
    return chromium, driver


def chromium_options(binary: str) -> webdriver.ChromeOptions:
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root, and containers without user namespaces
        "--disable-dev-shm-usage",  # a small /dev/shm crashes tabs
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",  # no update checks or field trials: no network here
        f"--window-size={WINDOW_SIZE[0]},{WINDOW_SIZE[1]}",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    return options


@pytest.fixture(scope="session")
def browser() -> Iterator[webdriver.Chrome]:
    """One headless Chromium for the session (skipped, saying why, when it is not installed).
    Each test starts from a blank page with no cookies (see `_fresh_page`)."""
    found = chromium_binaries()
    if isinstance(found, str):
        pytest.skip(found)
    chromium, chromedriver = found
    with pytest.MonkeyPatch.context() as env:
        # Belt and braces: with the driver's path given, Selenium Manager is skipped altogether.
        env.setenv("SE_OFFLINE", "true")
        env.setenv("SE_AVOID_STATS", "true")
        service = Service(executable_path=chromedriver)
        driver = webdriver.Chrome(service=service, options=chromium_options(chromium))
        try:
            driver.set_page_load_timeout(30)
            driver.set_script_timeout(30)
            _RUNNING.append(driver)
            yield driver
        finally:
            _RUNNING.clear()
            driver.quit()


@pytest.fixture(autouse=True)
def _fresh_page(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test that used the browser: no cookies (of any site), nothing stored by the site it
    ended on, and a blank page, so no sign-in carries over to the next test."""
    yield
    if "browser" not in request.fixturenames:
        return
    for driver in _RUNNING:
        origin = driver.execute_script("return window.location.origin")
        if isinstance(origin, str) and origin.startswith("http"):
            driver.execute_cdp_cmd(
                "Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"}
            )
        driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        driver.get("about:blank")


def save_screenshot(driver: webdriver.Chrome, path: Path) -> Path:
    """The browser's viewport as a PNG at `path` (folders made as needed), e.g. for the README."""
    png = driver.get_screenshot_as_png()
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise AssertionError(f"the browser's screenshot is not a PNG ({len(png)} bytes)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    return path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test is slow: it starts chromedriver, Chromium and a server."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.slow)
