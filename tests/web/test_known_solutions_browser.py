"""Known solutions in a real headless Chromium against a real `judge serve`: a team uploads a leaked
answer from its page, a candidate's copy of it is flagged on the candidate's page, and the flag opens the
two side by side with the shared lines marked."""

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
LEAKED = """import torch


def kl_divergence(first_mean, first_logvar, second_mean, second_logvar):
    variance_ratio = torch.exp(first_logvar - second_logvar)
    squared_gap = (first_mean - second_mean) ** 2 / torch.exp(second_logvar)
    per_dimension = 0.5 * (variance_ratio + squared_gap - 1.0 + second_logvar - first_logvar)
    summed = per_dimension.sum(dim=-1)
    if summed.dim() == 0:
        return summed
    return summed.mean()
"""


def _screenshot(browser, name: str) -> None:
    """Keep a screenshot for a person to look at, where JUDGE_TEST_SCREENSHOTS names a folder."""
    folder = os.environ.get("JUDGE_TEST_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(folder) / f"{name}.png"))


def test_an_uploaded_known_solution_flags_a_copy_side_by_side(server, browser, tmp_path):
    leak = tmp_path / "leak.py"
    leak.write_text(LEAKED)
    browser.delete_all_cookies()
    browser.get(server.base + "/team/login?next=/team/known-solutions")
    browser.find_element(By.ID, "api_key").send_keys(server.team_key, Keys.ENTER)
    wait_for(browser, ready.presence_of_element_located((By.CLASS_NAME, "known-solution-form")), message="the page")
    browser.find_element(By.NAME, "problem").send_keys("kl-divergence")
    browser.find_element(By.NAME, "label").send_keys("forum post")
    browser.find_element(By.NAME, "file").send_keys(str(leak))
    browser.find_element(By.CSS_SELECTOR, ".known-solution-form button[type=submit]").click()
    wait_for(browser, ready.presence_of_element_located((By.CSS_SELECTOR, "table.known-solutions tr[data-id]")))
    assert "forum post" in browser.find_element(By.CSS_SELECTOR, "table.known-solutions").text
    _screenshot(browser, "known-solutions")

    made = make_assessment(server.api, server.team_key, problems=[{"problem": "kl-divergence"}])
    issued = invite(server.api, server.team_key, made["id"], "Ada")
    headers = {"Authorization": f"Bearer {issued['token']}"}
    assert server.api.post("/api/v1/candidate/start", headers=headers).status_code == 200
    copy = LEAKED.replace("summed", "total").replace("squared_gap", "gap")
    answer = server.api.post(
        "/api/v1/candidate/submissions", json={"problem": "kl-divergence", "source": copy}, headers=headers
    )
    assert answer.status_code == 202, answer.text

    browser.get(f"{server.base}/team/assessments/{made['id']}/candidates/{issued['id']}")
    flag = wait_for(
        browser,
        ready.presence_of_element_located((By.CSS_SELECTOR, 'li.review-flag[data-key^="known:"]')),
        message="the flag",
    )
    assert "matches a known solution: forum post" in flag.text
    _screenshot(browser, "known-solution-flag")
    flag.find_element(By.LINK_TEXT, "side by side").click()
    wait_for(browser, ready.presence_of_element_located((By.CSS_SELECTOR, ".comparison")), message="side by side")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Ada and forum post: kl-divergence"
    columns = browser.find_elements(By.CSS_SELECTOR, "section.compared")
    assert len(columns) == 2
    for column in columns:
        assert column.find_elements(By.CSS_SELECTOR, ".line.shared mark"), "both columns mark the shared lines"
    _screenshot(browser, "known-solution-side-by-side")
