"""The team's dashboard in a real headless Chromium against a real `judge serve` grading for real: it
updates itself while candidates work and stops once nobody does, and a similar pair opens the two
candidates' code side by side with the shared lines marked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ready

from tests.conftest import PROBLEMS
from tests.web.browser import GRADE_TIMEOUT_S, wait_for
from tests.web.pages import invite, make_assessment

pytestmark = [pytest.mark.browser, pytest.mark.integration]
SOLUTION = (PROBLEMS / "kl-divergence" / "solution.py").read_text()
#: dashboard.js refreshes every 10 s: a change shows within two periods plus the grading.
REFRESH_WAIT_S = 40


def _screenshot(browser, name: str) -> None:
    """Keep a screenshot for a person to look at, where JUDGE_TEST_SCREENSHOTS names a folder."""
    folder = os.environ.get("JUDGE_TEST_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(folder) / f"{name}.png"))


def _start(server, assessment_id: str, name: str) -> dict:
    """A candidate invited and started: their clock runs."""
    issued = invite(server.api, server.team_key, assessment_id, name)
    headers = {"Authorization": f"Bearer {issued['token']}"}
    assert server.api.post("/api/v1/candidate/start", headers=headers).status_code == 200
    return {**issued, "headers": headers}


def _submit(server, candidate: dict, source: str) -> None:
    answer = server.api.post(
        "/api/v1/candidate/submissions",
        json={"problem": "kl-divergence", "source": source},
        headers=candidate["headers"],
    )
    assert answer.status_code == 202, answer.text


def _sign_in(server, browser, path: str) -> None:
    browser.delete_all_cookies()
    browser.get(server.base + path)
    browser.find_element(By.ID, "api_key").send_keys(server.team_key, Keys.ENTER)
    wait_for(browser, ready.presence_of_element_located((By.ID, "live")), message="the dashboard")


def _row(browser, invitation_id: str) -> str:
    """A ranking row's text, read in one step: the dashboard may swap the row out between two."""
    return browser.execute_script(
        "var row = document.querySelector('#live tr[data-invitation=\"' + arguments[0] + '\"]');"
        "return row ? row.innerText : '';",
        invitation_id,
    )


def _total(browser, invitation_id: str) -> str:
    """A ranking row's total, read in one step."""
    return browser.execute_script(
        "var cell = document.querySelector('#live tr[data-invitation=\"' + arguments[0] + '\"] td.total');"
        "return cell ? cell.innerText : '';",
        invitation_id,
    )


def test_the_dashboard_updates_itself_while_candidates_work(server, browser):
    made = make_assessment(server.api, server.team_key, title="Live screen", problems=[{"problem": "kl-divergence"}])
    ada = _start(server, made["id"], "Ada")
    _sign_in(server, browser, f"/team/assessments/{made['id']}")
    live = browser.find_element(By.ID, "live")
    assert live.get_attribute("data-live") == "true", "Ada's clock runs"
    assert "updates itself" in browser.find_element(By.ID, "live-status").text
    assert _total(browser, ada["id"]).startswith("0 / "), "nothing graded yet"
    browser.execute_script("window.notReloaded = true; window.scrollTo(0, 120);")
    scrolled = browser.execute_script("return window.scrollY")

    _submit(server, ada, SOLUTION)
    wait_for(
        browser,
        lambda b: _total(b, ada["id"]) == "15 / 15",
        GRADE_TIMEOUT_S,
        "Ada's full score, shown without a reload",
    )
    assert browser.execute_script("return window.notReloaded === true"), "updated in place, not reloaded"
    assert browser.execute_script("return window.scrollY") == scrolled, "the scroll position is kept"
    _screenshot(browser, "dashboard-live")

    assert server.api.post("/api/v1/candidate/finish", headers=ada["headers"]).status_code == 200
    wait_for(
        browser,
        lambda b: b.execute_script("return document.getElementById('live').getAttribute('data-live')") == "false",
        REFRESH_WAIT_S,
        "the dashboard noticing nobody works",
    )
    assert "no longer updates itself" in browser.find_element(By.ID, "live-status").text
    assert "finished" in _row(browser, ada["id"])
    assert browser.execute_script("return window.notReloaded === true")


def test_a_similar_pair_opens_side_by_side_with_the_shared_lines_marked(server, browser):
    made = make_assessment(server.api, server.team_key, title="Pair screen", problems=[{"problem": "kl-divergence"}])
    own = "\n\ndef my_own_helper(values):\n    total = 0\n    for value in values:\n        total += value * value\n    return total\n"
    bo, cy = _start(server, made["id"], "Bo"), _start(server, made["id"], "Cy")
    _submit(server, bo, SOLUTION)
    _submit(server, cy, SOLUTION.replace("mu1", "mean_one").replace("logvar1", "log_variance") + own)
    _sign_in(server, browser, f"/team/assessments/{made['id']}")
    # The dashboard refreshes itself while Bo and Cy work, which may swap the link out under a click:
    # read it in one step and follow it.
    wait_for(
        browser, ready.presence_of_element_located((By.CSS_SELECTOR, "#similar-pairs a.compare")), message="the pair"
    )
    label, href = browser.execute_script(
        "var a = document.querySelector('#similar-pairs tr.similar-pair a.compare');"
        "return [a.getAttribute('aria-label'), a.href];"
    )
    assert label in ("Compare the code of Bo and Cy side by side", "Compare the code of Cy and Bo side by side")
    browser.get(href)
    wait_for(browser, ready.presence_of_element_located((By.CSS_SELECTOR, ".comparison")), message="the comparison")
    first, second = label.split("of ")[1].split(" side")[0].split(" and ")
    assert browser.find_element(By.TAG_NAME, "h1").text == f"{first} and {second}: kl-divergence"
    columns = browser.find_elements(By.CSS_SELECTOR, ".comparison section.compared")
    assert [c.find_element(By.TAG_NAME, "h2").text for c in columns] == [first, second]
    marked = [c.find_elements(By.CSS_SELECTOR, ".line.shared") for c in columns]
    assert all(marked), "both columns mark the shared lines"
    cy = columns[[first, second].index("Cy")]
    assert "mean_one" in " ".join(line.text for line in cy.find_elements(By.CSS_SELECTOR, ".line.shared")), (
        "renamed names still match"
    )
    helper = [line for line in cy.find_elements(By.CSS_SELECTOR, ".line") if "total = 0" in line.text]
    assert helper and "shared" not in helper[0].get_attribute("class"), "Cy's own helper is not marked"
    left_box, right_box = (c.rect for c in columns)
    assert right_box["x"] >= left_box["x"] + left_box["width"] - 1 and abs(right_box["y"] - left_box["y"]) < 2, (
        "the columns stand side by side"
    )
    background = marked[0][0].value_of_css_property("background-color")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent"), "marked lines are highlighted"
    _screenshot(browser, "comparison")
