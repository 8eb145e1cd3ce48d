"""The whole journey in a real headless Chromium against a real `judge serve` grading for real (process
sandbox): a candidate takes an assessment, a team member reads the report."""

from __future__ import annotations

import json
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import Select

from judge.problem import load_problem
from tests.conftest import PROBLEMS
from tests.web.browser import GRADE_TIMEOUT_S, wait_for
from tests.web.pages import invite, make_assessment

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture(scope="module")
def assessment(server) -> dict:
    """An assessment of vae-mnist (10 points) and a quiz, open now."""
    return make_assessment(server.api, server.team_key, title="Generative models screen")


def test_candidate_takes_the_assessment_with_live_progress_and_a_loss_plot(server, browser, assessment):
    issued = invite(server.api, server.team_key, assessment["id"], "Ada")
    browser.delete_all_cookies()
    browser.get(server.base + issued["link"])
    assert "Hello Ada" in browser.find_element(By.TAG_NAME, "main").text
    browser.find_element(By.ID, "continue").click()
    browser.find_element(By.ID, "start").click()
    wait_for(
        browser,
        ready.presence_of_element_located((By.CSS_SELECTOR, "[data-remaining]")),
        message="the clock after Start",
    )
    clock = browser.find_element(By.ID, "clock")
    first = clock.text
    time.sleep(1.2)
    assert clock.text != first, "the remaining time counts down"

    browser.find_element(By.LINK_TEXT, "Variational autoencoder for 28x28 digits").click()
    assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1, "the statement's headings sit under the page's one <h1>"
    heading = browser.find_element(By.CSS_SELECTOR, ".statement h2:not(.visually-hidden)").text
    assert heading == "Variational autoencoder for 28x28 digits", "the statement is rendered from Markdown"
    editor = browser.find_element(By.ID, "source")
    assert browser.find_elements(By.CSS_SELECTOR, ".editor-highlight .tok-keyword"), "the starter is highlighted"
    # Keyboard: Tab indents inside the editor; Esc then Tab leaves it (no keyboard trap).
    editor.click()
    browser.execute_script("arguments[0].setSelectionRange(0, 0)", editor)
    before = editor.get_attribute("value")
    editor.send_keys(Keys.TAB)
    assert editor.get_attribute("value") == "    " + before
    editor.send_keys(Keys.ESCAPE, Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "submit", "Esc, Tab moves on to Submit"

    reference = load_problem(PROBLEMS / "vae-mnist").solution_path.read_text()
    browser.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", editor, reference
    )
    browser.find_element(By.ID, "submit").click()

    wait_for(
        browser,
        ready.presence_of_element_located((By.CSS_SELECTOR, "#progress-log li")),
        GRADE_TIMEOUT_S,
        "a progress event",
    )
    wait_for(
        browser,
        ready.presence_of_element_located((By.CSS_SELECTOR, "#progress[data-done='true']")),
        GRADE_TIMEOUT_S,
        "the result",
    )
    progress = browser.find_element(By.ID, "progress")
    checks = len(load_problem(PROBLEMS / "vae-mnist").check_specs)
    assert int(progress.get_attribute("data-events-before-result")) == checks, (
        "every check's event arrived before the result"
    )
    assert len(browser.find_elements(By.CSS_SELECTOR, "#progress-log li.outcome-passed")) == checks
    score = browser.find_element(By.ID, "score")
    assert (score.get_attribute("data-score"), score.get_attribute("data-max")) == ("10", "10"), browser.find_element(
        By.ID, "result"
    ).text
    assert browser.find_element(By.ID, "result").get_attribute("data-verdict") == "accepted"
    plot = browser.find_element(By.CSS_SELECTOR, "figure.plot[data-check='loss_decreases'] svg")
    assert "loss" in plot.get_attribute("aria-label")
    assert plot.find_elements(By.CSS_SELECTOR, "polyline[data-series='reported_loss']"), (
        "the candidate's loss curve is drawn"
    )


def test_candidate_answers_the_quiz(server, browser, assessment):
    issued = invite(server.api, server.team_key, assessment["id"], "Quinn")
    browser.delete_all_cookies()
    browser.get(server.base + issued["link"])
    browser.find_element(By.ID, "continue").click()
    browser.find_element(By.ID, "start").click()
    problem = load_problem(PROBLEMS / "aigc-concepts")
    browser.find_element(By.LINK_TEXT, problem.spec.title).click()
    for question in problem.quiz.questions:
        for label in question.answer:
            option = browser.find_element(By.CSS_SELECTOR, f"input[name='q_{question.id}'][value='{label}']")
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", option)
            option.click()
    browser.find_element(By.ID, "submit").click()
    wait_for(
        browser,
        ready.presence_of_element_located((By.CSS_SELECTOR, "#result[data-status='completed']")),
        30,
        "the quiz result",
    )
    score = browser.find_element(By.ID, "score")
    assert score.get_attribute("data-score") == score.get_attribute("data-max") == f"{problem.max_score:g}"


def test_opening_another_candidate_s_link_asks_before_switching(server, browser, assessment):
    ada, eve = (invite(server.api, server.team_key, assessment["id"], name) for name in ("Ada", "Eve"))
    browser.delete_all_cookies()
    browser.get(server.base + ada["link"])
    browser.find_element(By.ID, "continue").click()
    wait_for(browser, ready.presence_of_element_located((By.ID, "start")), message="Ada's overview")
    browser.get(server.base + eve["link"])
    assert "as Ada" in browser.find_element(By.ID, "switch-consequences").text
    browser.find_element(By.ID, "keep-current").click()
    wait_for(browser, ready.presence_of_element_located((By.ID, "start")), message="back to Ada's overview")
    browser.get(server.base + eve["link"])
    browser.find_element(By.ID, "confirm-switch").click()
    wait_for(browser, ready.url_to_be(server.base + "/take"), message="Eve's overview")
    browser.get(server.base + ada["link"])
    assert "as Eve" in browser.find_element(By.ID, "switch-consequences").text, "the browser now takes Eve's invitation"


def test_team_member_sees_the_report_histogram_and_a_similar_pair(server, browser, assessment):
    reference = load_problem(PROBLEMS / "vae-mnist").solution_path.read_text()
    twins = {
        "Bo": reference.replace("latent_dim", "z_dim"),
        "Cy": "import subprocess\n" + reference.replace("latent_dim", "z_size"),
    }
    for name, source in twins.items():
        token = invite(server.api, server.team_key, assessment["id"], name)["token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert server.api.post("/api/v1/candidate/start", headers=headers).status_code == 200
        answer = server.api.post(
            "/api/v1/candidate/submissions", json={"problem": "vae-mnist", "source": source}, headers=headers
        )
        assert answer.status_code == 202, answer.text

    browser.delete_all_cookies()
    browser.get(server.base + "/team/assessments")
    assert "/team/login" in browser.current_url, "a browser without a session is sent to sign in"
    browser.find_element(By.ID, "api_key").send_keys(server.team_key)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    browser.find_element(By.LINK_TEXT, "Generative models screen").click()
    deadline = time.monotonic() + GRADE_TIMEOUT_S
    while "grading)" in browser.find_element(By.CSS_SELECTOR, "table.ranking").text and time.monotonic() < deadline:
        time.sleep(1)
        browser.refresh()
    ranking = browser.find_element(By.CSS_SELECTOR, "table.ranking").text
    assert "grading)" not in ranking, ranking
    bars = browser.find_elements(By.CSS_SELECTOR, "#distribution svg rect.bar")
    assert len(bars) == 10 and sum(int(b.get_attribute("data-count")) for b in bars) >= 3
    pairs = browser.find_elements(By.CSS_SELECTOR, "#similar-pairs tr.similar-pair")
    assert any("Bo" in p.text and "Cy" in p.text for p in pairs), [p.text for p in pairs]

    browser.find_element(By.CSS_SELECTOR, "table.ranking").find_element(By.LINK_TEXT, "Cy").click()
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Similar to other candidates" in main and "Bo" in main
    assert browser.find_elements(By.CSS_SELECTOR, "ul.flags li"), "the subprocess import is flagged"
    assert "subprocess" in browser.find_element(By.CSS_SELECTOR, "ul.flags").text
    assert browser.find_elements(By.CSS_SELECTOR, "code.highlight-python .tok-keyword"), (
        "the code is shown, highlighted"
    )


def test_team_member_rejudges_a_problem_and_withdraws_an_invitation(server, browser, assessment):
    """A quiz attempt is rejudged (quick, unlike the code problem); the rounds' progress updates without a reload."""
    token = invite(server.api, server.team_key, assessment["id"], "Dee")["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert server.api.post("/api/v1/candidate/start", headers=headers).status_code == 200
    quiz = load_problem(PROBLEMS / "aigc-concepts").quiz
    answers = {q.id: list(q.answer) if q.kind == "multiple" else q.answer[0] for q in quiz.questions}
    answer = server.api.post(
        "/api/v1/candidate/submissions",
        json={"problem": "aigc-concepts", "source": json.dumps({"answers": answers})},
        headers=headers,
    )
    assert answer.status_code == 202, answer.text

    browser.delete_all_cookies()
    browser.get(server.base + f"/team/assessments/{assessment['id']}")
    browser.find_element(By.ID, "api_key").send_keys(server.team_key, Keys.ENTER)
    Select(browser.find_element(By.ID, "rejudge-problem")).select_by_value("aigc-concepts")
    browser.find_element(By.ID, "start-rejudge").click()
    # A click that submits a form does not wait for the next page: wait for what it shows.
    notice = wait_for(
        browser, ready.presence_of_element_located((By.ID, "rejudge-started")), 20, "the rejudge notice"
    ).text
    assert "Rejudge round" in notice and "started" in notice, notice
    grading_at_load = bool(browser.find_elements(By.LINK_TEXT, "Refresh progress"))
    wait_for(
        browser,
        lambda b: "graded · done" in b.find_element(By.ID, "rejudge-rounds").text,
        60,
        "the round finishing, shown without a reload",
    )
    if grading_at_load:
        assert "Rejudging is done." in browser.find_element(By.ID, "rejudge-status").get_attribute("textContent")

    withdraw = browser.find_element(By.CSS_SELECTOR, "a[aria-label='Withdraw the invitation of Dee']")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", withdraw)
    withdraw.send_keys(Keys.ENTER)
    confirm = wait_for(browser, ready.presence_of_element_located((By.ID, "confirm-withdraw")), 20, "the confirm page")
    assert "Withdraw the invitation of Dee?" in browser.find_element(By.TAG_NAME, "h1").text
    confirm.click()
    withdrawn = wait_for(browser, ready.presence_of_element_located((By.ID, "withdrawn")), 20, "the withdrawn notice")
    assert "is withdrawn" in withdrawn.text
