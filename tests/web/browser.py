"""Debian's chromium, headless, driven by Selenium through chromium-driver (scripts/browser.sh installs both),
and the real `judge serve` the browser tests drive it against."""

from __future__ import annotations

import shutil

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.api.support import ServiceProcess, create_key, free_port, judge_command, service_env, wait_healthy
from tests.environment import Environment

#: A laptop screen: the pages must work at this size.
WINDOW = (1366, 768)
#: Grading a real problem on a loaded 2-core machine.
GRADE_TIMEOUT_S = 180


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


class Server:
    """A real `judge serve` (embedded queue, two grading threads) on a free port and its own data dir."""

    def __init__(self, tmp) -> None:
        port = free_port()
        self.env = service_env(tmp, port=str(port), workers="2", poll_interval_s="0.2")
        self.base = f"http://127.0.0.1:{port}"
        self.process = ServiceProcess(judge_command("serve"), self.env, tmp / "serve.log").start()
        wait_healthy(self.base, self.process)
        self.team_key = create_key(self.env, "team")
        self.api = httpx.Client(base_url=self.base, timeout=60)


def wait_for(browser, condition, timeout_s: float = 20, message: str = ""):
    """WebDriverWait with the page's text in the failure message."""
    try:
        return WebDriverWait(browser, timeout_s, poll_frequency=0.1).until(condition)
    except TimeoutException:
        pytest.fail(
            f"{message or condition}; page {browser.current_url}:\n{browser.find_element(By.TAG_NAME, 'body').text[:3000]}"
        )
