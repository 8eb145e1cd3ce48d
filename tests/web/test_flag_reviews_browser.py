"""Reviewing a flag in a real headless Chromium against a real `judge serve`: the candidate page lists the flag
with its evidence, the form saves a review with a note, and the review shows on the page and over the API."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ready

from tests.web.browser import wait_for
from tests.web.pages import invite, make_assessment

pytestmark = [pytest.mark.browser, pytest.mark.integration]
FLAGGED = "import gc\n\n\ndef kl_diag_gaussian(mu1, logvar1, mu2=None, logvar2=None):\n    return mu1\n"
KEY = "ast:kl-divergence:gc:1"
NOTE = "gc.get_objects() walks to the expected tensors"


def _screenshot(browser, name: str) -> None:
    """Keep a screenshot for a person to look at, where JUDGE_TEST_SCREENSHOTS names a folder."""
    folder = os.environ.get("JUDGE_TEST_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(folder) / f"{name}.png"))


def test_a_flag_is_reviewed_with_a_note_from_the_candidate_page(server, browser):
    made = make_assessment(server.api, server.team_key, title="Flag screen", problems=[{"problem": "kl-divergence"}])
    ada = invite(server.api, server.team_key, made["id"], "Ada")
    headers = {"Authorization": f"Bearer {ada['token']}"}
    assert server.api.post("/api/v1/candidate/start", headers=headers).status_code == 200
    answer = server.api.post(
        "/api/v1/candidate/submissions", json={"problem": "kl-divergence", "source": FLAGGED}, headers=headers
    )
    assert answer.status_code == 202, answer.text

    detail = f"/team/assessments/{made['id']}/candidates/{ada['id']}"
    browser.delete_all_cookies()
    browser.get(server.base + detail)
    browser.find_element(By.ID, "api_key").send_keys(server.team_key, Keys.ENTER)
    wait_for(browser, ready.presence_of_element_located((By.ID, "flags")), message="the candidate page")
    flag = browser.find_element(By.CSS_SELECTOR, f'li.review-flag[data-key="{KEY}"]')
    assert "Line 1 of attempt 1: import gc" in flag.text and "Not reviewed yet." in flag.text
    assert "1 in all, 1 unreviewed" in browser.find_element(By.ID, "flags-heading").text

    flag.find_element(By.TAG_NAME, "summary").click()
    flag.find_element(By.CSS_SELECTOR, 'input[name="outcome"][value="confirmed"]').click()
    flag.find_element(By.TAG_NAME, "textarea").send_keys(NOTE)
    _screenshot(browser, "flag-review-form")
    flag.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    wait_for(
        browser,
        lambda b: "Confirmed by team" in b.find_element(By.CSS_SELECTOR, f'li.review-flag[data-key="{KEY}"]').text,
        message="the saved review",
    )
    assert browser.current_url.endswith(f"{detail}#flag-ast-kl-divergence-gc-1")
    flag = browser.find_element(By.CSS_SELECTOR, f'li.review-flag[data-key="{KEY}"]')
    assert NOTE in flag.text and "reviewed-confirmed" in flag.get_attribute("class")
    assert "1 in all, 0 unreviewed" in browser.find_element(By.ID, "flags-heading").text
    _screenshot(browser, "flag-reviewed")

    report = server.api.get(
        f"/api/v1/assessments/{made['id']}/report/candidates/{ada['id']}",
        headers={"Authorization": f"Bearer {server.team_key}"},
    ).json()
    [reviewed] = [f for f in report["flags"] if f["key"] == KEY]
    assert reviewed["review"]["outcome"] == "confirmed" and reviewed["review"]["note"] == NOTE

    browser.get(f"{server.base}/team/assessments/{made['id']}")
    cell = browser.find_element(By.CSS_SELECTOR, f'#live tr[data-invitation="{ada["id"]}"] td.flags-cell')
    assert cell.text == "1 flag, 0 unreviewed"
    _screenshot(browser, "flag-dashboard")
