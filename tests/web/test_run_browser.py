"""Run in a real headless Chromium against a real `judge serve` grading in a real sandbox: the candidate
types code that prints, presses Run, and sees the public checks' results and the printed text under the
editor, on the same page, with no attempt used."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready

from judge.grading import public_checks
from judge.problem import load_problem
from tests.conftest import PROBLEMS
from tests.web.browser import wait_for
from tests.web.pages import invite, make_assessment

pytestmark = [pytest.mark.browser, pytest.mark.integration]
KL = load_problem(PROBLEMS / "kl-divergence")
RUN_TIMEOUT_S = 180
#: The screenshot the test takes, for a person to look at.
SCREENSHOT = "run-result.png"


def test_run_shows_public_check_results_and_printed_output_without_using_an_attempt(server, browser, tmp_path):
    base, api, team_key = server.base, server.api, server.team_key
    assessment = make_assessment(
        api, team_key, title="Run screen", problems=[{"problem": "kl-divergence", "points": 10}], max_attempts=2
    )
    issued = invite(api, team_key, assessment["id"], "Ada")
    browser.delete_all_cookies()
    browser.get(base + issued["link"])
    browser.find_element(By.ID, "continue").click()
    browser.find_element(By.ID, "start").click()
    wait_for(browser, ready.presence_of_element_located((By.CSS_SELECTOR, "[data-remaining]")), message="Start")
    browser.find_element(By.LINK_TEXT, KL.spec.title).click()
    page_url = browser.current_url
    header = browser.find_element(By.CSS_SELECTOR, "main > p.muted").text
    assert "2 of 2 attempts left" in header

    code = 'print("hello from my kl code")\n' + KL.solution_path.read_text()
    editor = browser.find_element(By.ID, "source")
    browser.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", editor, code
    )
    run = browser.find_element(By.ID, "run")
    assert run.text == "Run" and run.get_attribute("type") == "button"
    run.click()
    wait_for(
        browser,
        ready.visibility_of_element_located((By.ID, "run-output")),
        RUN_TIMEOUT_S,
        "the Run's result",
    )

    public = [c.id for c in public_checks(KL)]
    shown = browser.find_elements(By.CSS_SELECTOR, "#run-checks li")
    assert [item.get_attribute("data-check") for item in shown] == public, "only the public checks ran"
    assert all("outcome-passed" in item.get_attribute("class") for item in shown), [i.text for i in shown]
    assert browser.find_element(By.ID, "run-output").text == "hello from my kl code"
    status = browser.find_element(By.ID, "run-status").text
    assert status.startswith(f"{len(public)} of {len(public)} public checks passed"), status
    assert browser.find_element(By.ID, "run").is_enabled(), "Run may be pressed again"
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"], "no script or CSP error"
    # Same page, editor untouched, no attempt used, nothing listed among the attempts.
    assert browser.current_url == page_url
    assert browser.find_element(By.ID, "source").get_attribute("value") == code
    assert "2 of 2 attempts left" in browser.find_element(By.CSS_SELECTOR, "main > p.muted").text
    assert not browser.find_elements(By.CSS_SELECTOR, "ul.attempts")
    browser.find_element(By.ID, "run-result").screenshot(str(tmp_path / "run-panel.png"))
    browser.save_screenshot(str(tmp_path / SCREENSHOT))
    browser.refresh()
    assert "2 of 2 attempts left" in browser.find_element(By.CSS_SELECTOR, "main > p.muted").text
    assert not browser.find_elements(By.CSS_SELECTOR, "ul.attempts")
