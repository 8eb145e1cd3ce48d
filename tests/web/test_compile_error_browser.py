"""In a real headless Chromium against a real `judge serve`: a file that does not compile is refused on the
problem page with its line (the default), or counted and shown as one banner with the line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready

from tests.web.browser import GRADE_TIMEOUT_S, wait_for
from tests.web.pages import invite, make_assessment

pytestmark = [pytest.mark.browser, pytest.mark.integration]
BROKEN = "import torch\n\n\nclass VAE(torch.nn.Module)\n    pass\n"


def _submit(server, browser, assessment: dict, name: str) -> None:
    """A new candidate opens their link, starts, and submits BROKEN to vae-mnist from the editor."""
    issued = invite(server.api, server.team_key, assessment["id"], name)
    browser.delete_all_cookies()
    browser.get(server.base + issued["link"])
    browser.find_element(By.ID, "continue").click()
    browser.find_element(By.ID, "start").click()
    wait_for(browser, ready.presence_of_element_located((By.CSS_SELECTOR, "[data-remaining]")))
    browser.get(server.base + "/take/problems/vae-mnist")
    editor = browser.find_element(By.ID, "source")
    browser.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", editor, BROKEN
    )
    browser.find_element(By.ID, "submit").click()


def _screenshot(browser, name: str) -> None:
    """Keep a screenshot where JUDGE_TEST_SCREENSHOTS says (to look at), if it says."""
    folder = os.environ.get("JUDGE_TEST_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(folder) / name))


def test_by_default_the_problem_page_refuses_it_and_names_the_line(server, browser):
    assessment = make_assessment(server.api, server.team_key, title="Refusing screen")
    _submit(server, browser, assessment, "Ada")
    banner = wait_for(browser, ready.presence_of_element_located((By.CSS_SELECTOR, ".compile-error")))
    assert "SyntaxError at line 4: expected ':'" in banner.text and "4 | class VAE(torch.nn.Module)" in banner.text
    assert browser.find_element(By.ID, "submit-error").get_attribute("data-error-line") == "4"
    assert "class VAE(torch.nn.Module)\n    pass" in browser.find_element(By.ID, "source").get_attribute("value")
    assert banner.is_displayed()
    _screenshot(browser, "compile-error-refused.png")


def test_when_it_uses_an_attempt_the_result_is_one_banner_with_the_line(server, browser):
    assessment = make_assessment(server.api, server.team_key, title="Counting screen", compile_error_uses_attempt=True)
    _submit(server, browser, assessment, "Bob")
    result = wait_for(
        browser,
        ready.presence_of_element_located((By.CSS_SELECTOR, "#result[data-verdict='compile_error']")),
        GRADE_TIMEOUT_S,
        "the compile_error result",
    )
    assert result.get_attribute("data-error-line") == "4"
    banners = browser.find_elements(By.CSS_SELECTOR, "#result .compile-error")
    assert len(banners) == 1 and "SyntaxError at line 4: expected ':'" in banners[0].text
    assert not browser.find_elements(By.CSS_SELECTOR, "#result table.checks"), "no row per check"
    assert browser.find_element(By.CSS_SELECTOR, "#result .verdict").text.lower() == "compile error"
    _screenshot(browser, "compile-error-result.png")
