"""Drafts in a real headless Chromium against a real `judge serve`: typed code is saved by itself and
survives a reload, leaving with unsaved edits asks first (submitting does not), the attempt page and
"Back to the problem" show the submitted code, and Finish submits a never-submitted draft."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready

from tests.web.browser import wait_for
from tests.web.pages import invite, make_assessment

pytestmark = [pytest.mark.browser, pytest.mark.integration]
SAVE_TIMEOUT_S = 20
PROBLEM_TITLE = "KL divergence"
# A cancelable beforeunload event, as leaving dispatches it: prevented means the browser asks first.
LEAVING_ASKS = """
var event = new Event("beforeunload", {cancelable: true});
window.dispatchEvent(event);
return event.defaultPrevented;
"""


@pytest.fixture(scope="module")
def assessment(server) -> dict:
    """An assessment of kl-divergence, open now."""
    return make_assessment(server.api, server.team_key, title="Drafts", problems=[{"problem": "kl-divergence"}])


def _open_problem(server, browser, assessment, name: str):
    """The candidate `name` invited, started and on the problem page; the editor."""
    issued = invite(server.api, server.team_key, assessment["id"], name)
    browser.delete_all_cookies()
    browser.get(server.base + issued["link"])
    browser.find_element(By.ID, "continue").click()
    browser.find_element(By.ID, "start").click()
    wait_for(browser, ready.presence_of_element_located((By.CSS_SELECTOR, "[data-remaining]")), message="started")
    browser.find_element(By.PARTIAL_LINK_TEXT, PROBLEM_TITLE).click()
    return browser.find_element(By.ID, "source")


def _type_at_end(browser, editor, text: str) -> None:
    editor.click()
    browser.execute_script(
        "arguments[0].setSelectionRange(arguments[0].value.length, arguments[0].value.length)", editor
    )
    editor.send_keys(text)


def _wait_saved(browser) -> None:
    wait_for(
        browser,
        ready.text_to_be_present_in_element((By.ID, "draft-status"), "Saved"),
        SAVE_TIMEOUT_S,
        "the draft's Saved status",
    )


def test_typed_code_is_kept_across_a_reload_and_submitted_code_is_shown(server, browser, assessment, tmp_path):
    editor = _open_problem(server, browser, assessment, "Ada")
    starter = editor.get_attribute("value")
    assert browser.execute_script(LEAVING_ASKS) is False, "nothing to lose yet"
    _type_at_end(browser, editor, "# my draft")
    assert browser.find_element(By.ID, "draft-status").text in ("Unsaved changes", "Saving…", "Saved")
    assert browser.execute_script(LEAVING_ASKS) is True, "unsaved edits: leaving asks first"
    _wait_saved(browser)
    assert browser.execute_script(LEAVING_ASKS) is False, "saved: leaving loses nothing"
    browser.execute_script("document.getElementById('draft-status').scrollIntoView({block: 'center'})")
    browser.save_screenshot(str(tmp_path / "saved.png"))

    browser.refresh()
    editor = browser.find_element(By.ID, "source")
    assert editor.get_attribute("value") == starter + "# my draft", "the reload restored the draft"

    # Leaving the editor saves at once (without waiting for the timer).
    _type_at_end(browser, editor, "\n# blurred")
    browser.find_element(By.TAG_NAME, "h1").click()
    _wait_saved(browser)
    browser.refresh()
    editor = browser.find_element(By.ID, "source")
    assert editor.get_attribute("value").endswith("# my draft\n# blurred")

    # Submitting with unsaved edits leaves without asking: the form carries the code.
    _type_at_end(browser, editor, "\n# submitted")
    assert browser.execute_script(LEAVING_ASKS) is True
    submitted = editor.get_attribute("value")
    browser.find_element(By.ID, "submit").click()
    wait_for(browser, ready.url_contains("/take/submissions/"), message="the attempt page after Submit")
    shown = browser.find_element(By.CSS_SELECTOR, "pre.code-view code.highlight-python")
    assert shown.text == submitted.rstrip("\n"), "the attempt page shows the submitted code"
    assert shown.find_elements(By.CSS_SELECTOR, ".tok-comment"), "highlighted like the team's pages"
    browser.save_screenshot(str(tmp_path / "attempt.png"))

    browser.find_element(By.LINK_TEXT, "Back to the problem").click()
    editor = browser.find_element(By.ID, "source")
    assert editor.get_attribute("value") == submitted, "back on the problem: the submitted code, not the starter"


def test_finishing_submits_the_never_submitted_draft_and_the_overview_says_so(server, browser, assessment, tmp_path):
    editor = _open_problem(server, browser, assessment, "Bob")
    _type_at_end(browser, editor, "# bob's draft")
    _wait_saved(browser)
    browser.find_element(By.LINK_TEXT, "Overview").click()
    browser.find_element(By.NAME, "confirm").click()
    browser.find_element(By.XPATH, "//button[normalize-space()='Finish the assessment']").click()
    wait_for(
        browser,
        ready.text_to_be_present_in_element(
            (By.CSS_SELECTOR, "table.problems"), "Submitted automatically from your draft when time ran out."
        ),
        message="the overview's note on the submitted draft",
    )
    browser.save_screenshot(str(tmp_path / "overview.png"))
    attempt = browser.find_element(By.PARTIAL_LINK_TEXT, "kl-divergence #1")
    assert "(submitted automatically from your draft)" in attempt.find_element(By.XPATH, "..").text
    attempt.click()
    shown = browser.find_element(By.CSS_SELECTOR, "pre.code-view code.highlight-python")
    assert shown.text.endswith("# bob's draft")


def test_a_refused_save_says_why_and_leaving_still_asks(server, browser, assessment):
    editor = _open_problem(server, browser, assessment, "Cy")
    limit = 256 * 1024
    browser.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", editor, "#" * (limit + 1)
    )
    browser.find_element(By.TAG_NAME, "h1").click()
    wait_for(
        browser,
        ready.text_to_be_present_in_element((By.ID, "draft-status"), "Not saved: submission is 262145 bytes"),
        SAVE_TIMEOUT_S,
        "the refusal's reason",
    )
    assert "error" in browser.find_element(By.ID, "draft-status").get_attribute("class")
    assert browser.execute_script(LEAVING_ASKS) is True, "the edits are not on the server: leaving asks first"
