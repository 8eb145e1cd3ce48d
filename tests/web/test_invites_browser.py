"""Inviting in a real headless Chromium against a real `judge serve`: the invite form redirects to a
GET (a reload invites nobody again), the link is shown whole with a Copy button, a name already invited
asks to confirm, a link is re-issued, a pasted list downloads its links as CSV; and the create form
shows two errors at once."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.web.browser import start_chromium
from tests.web.pages import make_assessment

pytestmark = [pytest.mark.browser, pytest.mark.integration]
DOWNLOAD_TIMEOUT_S = 20


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    """Where the browser saves downloads."""
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(server, downloads):
    """A headless Chromium signed in as the team, allowed to use the clipboard and to download."""
    chrome = start_chromium()
    chrome.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": server.base, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    chrome.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    chrome.get(server.base + "/team/login")
    chrome.find_element(By.ID, "api_key").send_keys(server.team_key, Keys.ENTER)
    assert chrome.current_url.endswith("/team/assessments")
    yield chrome
    chrome.quit()


def invitations_of(server, assessment_id: str) -> list[dict]:
    """The assessment's invitations over the API."""
    answer = server.api.get(
        f"/api/v1/assessments/{assessment_id}/invitations", headers={"Authorization": f"Bearer {server.team_key}"}
    )
    return answer.json()


def invite_in_page(browser, name: str, email: str = "") -> None:
    """Fill the invite form and press Invite."""
    browser.find_element(By.ID, "candidate_name").send_keys(name)
    if email:
        browser.find_element(By.ID, "candidate_email").send_keys(email)
    browser.find_element(By.CSS_SELECTOR, "form.invite button[type=submit]").click()


def test_invite_copy_reload_duplicate_and_reissue(server, browser, tmp_path):
    made = make_assessment(server.api, server.team_key, title="Invites screen")
    page = f"{server.base}/team/assessments/{made['id']}"
    browser.get(page)
    invite_in_page(browser, "Ada Lovelace", "ada@example.com")
    link = browser.find_element(By.ID, "invite-link")
    assert browser.current_url == page + "#issued", "after Invite the page is the dashboard's GET"
    text = link.text
    assert text.startswith(server.base + "/invite/inv_") and len(text) > 80, "the whole link is shown"
    assert link.size["height"] < 80 and link.is_displayed()
    browser.save_screenshot(str(tmp_path / "invite-result.png"))

    copy = browser.find_element(By.ID, "copy-link")
    assert copy.is_displayed(), "with JavaScript the Copy button shows"
    copy.click()
    status = browser.find_element(By.ID, "copy-status")
    deadline = time.monotonic() + 5
    while not status.text and time.monotonic() < deadline:
        time.sleep(0.1)
    assert browser.execute_script("return window.getSelection().toString().trim()") == text, "the link is selected"
    if status.text == "Copied.":
        clipboard = browser.execute_async_script(
            "var done = arguments[0]; navigator.clipboard.readText().then(done, function (e) { done('! ' + e); });"
        )
        assert clipboard == text, "the whole link is on the clipboard"
    else:
        assert "Ctrl+C" in status.text, status.text

    browser.refresh()
    assert not browser.find_elements(By.ID, "invite-link"), "shown once"
    assert [i["candidate_name"] for i in invitations_of(server, made["id"])] == ["Ada Lovelace"], (
        "a reload invites nobody again"
    )

    invite_in_page(browser, "ada lovelace")
    warning = browser.find_element(By.ID, "duplicate-warning")
    assert "ada lovelace is already invited on" in warning.text
    assert len(invitations_of(server, made["id"])) == 1
    browser.find_element(By.ID, "invite-anyway").click()
    assert "Invitation for ada lovelace made" in browser.find_element(By.ID, "issued").text
    assert len(invitations_of(server, made["id"])) == 2

    first = invitations_of(server, made["id"])[0]["id"]
    browser.find_element(By.CSS_SELECTOR, f"tr[data-invitation='{first}'] form button").click()
    issued = browser.find_element(By.ID, "issued")
    assert "New link for Ada Lovelace; their old link no longer works." in issued.text
    assert browser.find_element(By.ID, "invite-link").text != text
    browser.save_screenshot(str(tmp_path / "reissue-result.png"))
    old = server.api.get("/api/v1/candidate", headers={"Authorization": f"Bearer {text.rsplit('/', 1)[1]}"})
    assert old.status_code == 401, "the old link stops working"


def test_a_pasted_list_downloads_its_links(server, browser, downloads):
    made = make_assessment(server.api, server.team_key, title="Bulk screen")
    browser.get(f"{server.base}/team/assessments/{made['id']}")
    browser.find_element(By.CSS_SELECTOR, "#bulk-invite summary").click()
    browser.find_element(By.ID, "bulk-csv").send_keys("name,email\nBo,bo@example.com\nCy\n")
    browser.find_element(By.ID, "bulk-submit").click()
    target = downloads / f"invitations-{made['id']}.csv"
    deadline = time.monotonic() + DOWNLOAD_TIMEOUT_S
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert target.exists(), f"no download in {list(downloads.iterdir())}"
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [(r["name"], r["email"]) for r in rows] == [("Bo", "bo@example.com"), ("Cy", "")]
    assert all(r["link"].startswith(server.base + "/invite/inv_") for r in rows)
    assert len(invitations_of(server, made["id"])) == 2


def test_the_create_form_shows_two_errors_at_once(server, browser, tmp_path):
    browser.get(f"{server.base}/team/assessments")
    browser.find_element(By.ID, "title").send_keys("Two mistakes")
    opens = browser.find_element(By.ID, "opens_at").get_attribute("value")
    browser.execute_script("document.getElementById('closes_at').value = arguments[0]", opens)
    browser.find_element(By.ID, "create-assessment").click()
    summary = browser.find_element(By.ID, "form-errors")
    assert summary.text.splitlines()[1:] == [
        "Problems: choose at least one problem",
        "Closes at: Closes at must be after Opens at",
    ], "every error at once, top to bottom"
    assert browser.find_element(By.ID, "closes_at-error").text == "Closes at must be after Opens at"
    assert browser.find_element(By.ID, "problems-error").text == "choose at least one problem"
    assert browser.find_element(By.ID, "title").get_attribute("value") == "Two mistakes", "what was typed stays"
    browser.save_screenshot(str(tmp_path / "create-errors.png"))
