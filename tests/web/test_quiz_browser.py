"""The quiz in a real headless Chromium against a real `judge serve`: the web statement and scaled points,
the score alone until the last attempt, then the explanations; the team reads the answers as a table."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ready

from judge.assessments.feedback import QUIZ_WITHHELD_UNTIL_SETTLED
from judge.problem import load_problem
from tests.conftest import PROBLEMS
from tests.web.browser import wait_for
from tests.web.pages import invite, make_assessment

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SLUG = "aigc-concepts"
QUIZ = load_problem(PROBLEMS / SLUG)
#: 20 points for a quiz whose questions add up to 32: a 1-point question is worth 0.625.
POINTS = 20


def _answer(browser, wrong: str) -> None:
    """Tick the key of every question but `wrong` (left blank), then submit."""
    for question in QUIZ.quiz.questions:
        if question.id == wrong:
            continue
        for label in question.answer:
            option = browser.find_element(By.CSS_SELECTOR, f"input[name='q_{question.id}'][value='{label}']")
            if not option.is_selected():
                browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", option)
                option.click()
    browser.find_element(By.ID, "submit").click()
    wait_for(
        browser,
        ready.presence_of_element_located((By.CSS_SELECTOR, "#result[data-status='completed']")),
        30,
        "the quiz result",
    )


def test_quiz_hides_its_answers_until_the_last_attempt_and_the_team_reads_a_table(server, browser, tmp_path):
    assessment = make_assessment(
        server.api, server.team_key, title="Quiz screen", problems=[{"problem": SLUG, "points": POINTS}], max_attempts=2
    )
    issued = invite(server.api, server.team_key, assessment["id"], "Quinn")
    browser.delete_all_cookies()
    browser.get(server.base + issued["link"])
    browser.find_element(By.ID, "continue").click()
    browser.find_element(By.ID, "start").click()
    browser.find_element(By.LINK_TEXT, QUIZ.spec.title).click()

    # The web statement speaks of the form, never of the CLI or an answers file; points are the assessment's.
    statement = browser.find_element(By.CSS_SELECTOR, ".statement").text
    assert "Submit answers" in statement
    for word in ("judge problems show", "judge grade", "answers.json"):
        assert word not in browser.find_element(By.TAG_NAME, "main").text, word
    first = QUIZ.quiz.questions[0]
    legend = browser.find_element(By.CSS_SELECTOR, f"#question-{first.id} legend").text
    assert f"({round(POINTS * first.points / QUIZ.max_score, 3):g} points;" in legend, legend
    assert "(1 point" not in browser.find_element(By.ID, "quiz-form").text
    browser.save_screenshot(str(tmp_path / "quiz-page.png"))

    wrong = QUIZ.quiz.questions[1]
    _answer(browser, wrong.id)
    result = browser.find_element(By.ID, "result")
    expected = POINTS * (QUIZ.max_score - wrong.points) / QUIZ.max_score
    assert browser.find_element(By.ID, "score").get_attribute("data-score") == f"{round(expected, 2):g}"
    assert not result.find_elements(By.CSS_SELECTOR, "table.checks"), "no question's right or wrong before the last"
    page = browser.find_element(By.TAG_NAME, "main").text
    assert not any(q.explanation[:60] in page for q in QUIZ.quiz.questions), "no explanation before the last attempt"
    assert "not answered" not in page and "incorrect" not in page
    assert browser.find_element(By.ID, "withheld").text == QUIZ_WITHHELD_UNTIL_SETTLED
    browser.save_screenshot(str(tmp_path / "quiz-first-result.png"))
    first_attempt = browser.current_url

    browser.find_element(By.LINK_TEXT, "Back to the problem").click()
    _answer(browser, wrong.id)  # the last attempt
    rows = browser.find_elements(By.CSS_SELECTOR, "#result table.checks tbody tr")
    assert len(rows) == len(QUIZ.quiz.questions)
    result = browser.find_element(By.ID, "result").text
    assert " ".join(wrong.explanation.split())[:60] in " ".join(result.split())
    assert "not answered" in result
    browser.save_screenshot(str(tmp_path / "quiz-last-result.png"))
    browser.get(first_attempt)
    assert browser.find_elements(By.CSS_SELECTOR, "#result table.checks"), "the first attempt now shows its questions"

    browser.delete_all_cookies()
    browser.get(server.base + f"/team/assessments/{assessment['id']}/candidates/{issued['id']}")
    browser.find_element(By.ID, "api_key").send_keys(server.team_key, Keys.ENTER)
    table = wait_for(
        browser, ready.presence_of_element_located((By.CSS_SELECTOR, "table.quiz-answers")), 20, "the answers table"
    )
    headers = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    assert headers == ["Question", "Chosen", "Correct options", "Result", "Points"]
    missed = table.find_element(By.CSS_SELECTOR, f"tr[data-question='{wrong.id}']").text
    assert "not answered" in missed and "wrong" in missed
    right = table.find_element(By.CSS_SELECTOR, f"tr[data-question='{first.id}']").text
    assert "right" in right and f"{round(POINTS * first.points / QUIZ.max_score, 2):g} / " in right
    assert '{"answers"' not in browser.find_element(By.TAG_NAME, "main").text, "no raw JSON"
    browser.save_screenshot(str(tmp_path / "team-quiz-answers.png"))
    print(f"screenshots in {tmp_path}")
