"""Debian's chromium, headless, driven by Selenium through chromium-driver (scripts/browser.sh installs both)."""

from __future__ import annotations

import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as DriverService

from tests.environment import Environment

#: A laptop screen: the pages must work at this size.
WINDOW = (1366, 768)


def chromium_paths() -> tuple[str, str] | None:
    """(chromium, chromedriver) when both are installed."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def start_chromium() -> webdriver.Chrome:
    """A headless Chromium at laptop size; skips without one, fails in CI (where scripts/test installs it)."""
    paths = chromium_paths()
    if paths is None:
        message = "chromium and chromium-driver are not installed; run scripts/browser.sh"
        if Environment().ci:
            pytest.fail(message)
        pytest.skip(message)
    browser, driver = paths
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(options=options, service=DriverService(executable_path=driver))
    chrome.set_page_load_timeout(60)
    # A click that submits a form or follows a link may return before the next page is there:
    # lookups wait a little for their element instead of failing at once on a loaded machine.
    chrome.implicitly_wait(5)
    return chrome
