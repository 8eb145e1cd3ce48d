"""The problem page's editor and its neighbours in a real headless Chromium against a real `judge serve`:
line numbers, the error line, bracket matching, the resizable split, Submit in view, wide statement
tables; the submission's progress as one list in check order; the overview after Finish; the API docs
with no CDN."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ready

from judge.problem import load_problem
from tests.conftest import PROBLEMS
from tests.web.browser import GRADE_TIMEOUT_S, WINDOW, wait_for
from tests.web.pages import invite, make_assessment

pytestmark = [pytest.mark.browser, pytest.mark.integration]
VAE = load_problem(PROBLEMS / "vae-mnist")
#: Where the screenshots of the problem page go, to be looked at.
SCREENSHOTS = Path("/tmp/judge-editor-screenshots")
CDNS = [
    "*cdn.jsdelivr.net*",
    "*unpkg.com*",
    "*cdn.redoc.ly*",
    "*fonts.googleapis.com*",
    "*fonts.gstatic.com*",
    "*fastapi.tiangolo.com*",
]


@pytest.fixture(scope="module")
def assessment(server) -> dict:
    """vae-mnist (10 points) and a quiz, open now, full feedback."""
    return make_assessment(server.api, server.team_key, title="Editor screen")


def take(server, browser, assessment, name: str) -> None:
    """A new candidate, started, on the overview."""
    issued = invite(server.api, server.team_key, assessment["id"], name)
    browser.delete_all_cookies()
    browser.get(server.base + issued["link"])
    browser.find_element(By.ID, "continue").click()
    browser.find_element(By.ID, "start").click()
    wait_for(browser, ready.presence_of_element_located((By.CSS_SELECTOR, "[data-remaining]")), message="started")


def open_problem(server, browser) -> None:
    browser.get(server.base + "/take/problems/vae-mnist")
    wait_for(browser, ready.presence_of_element_located((By.CSS_SELECTOR, ".editor-gutter")), message="the editor")


def set_source(browser, text: str) -> None:
    editor = browser.find_element(By.ID, "source")
    browser.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", editor, text
    )


def in_view(browser, element, box=None) -> bool:
    """Whether `element` lies wholly inside the viewport (or inside `box`'s rectangle)."""
    return browser.execute_script(
        """
        const r = arguments[0].getBoundingClientRect();
        const b = arguments[1] ? arguments[1].getBoundingClientRect()
                               : {top: 0, left: 0, bottom: innerHeight, right: innerWidth};
        return r.height > 0 && r.top >= b.top - 1 && r.bottom <= b.bottom + 1 && r.left >= b.left - 1 && r.right <= b.right + 1;
        """,
        element,
        box,
    )


def test_line_numbers_follow_the_lines_and_the_scroll(server, browser, assessment):
    take(server, browser, assessment, "Grace")
    open_problem(server, browser)
    editor = browser.find_element(By.ID, "source")
    numbers = browser.find_elements(By.CSS_SELECTOR, ".editor-numbers > div")
    assert len(numbers) == editor.get_attribute("value").count("\n") + 1, "one number per line of the starter"
    long = "\n".join(f"x{i} = {i}" for i in range(1, 201))
    set_source(browser, long)
    numbers = browser.find_elements(By.CSS_SELECTOR, ".editor-numbers > div")
    assert [n.text for n in numbers[:3]] == ["1", "2", "3"] and len(numbers) == 200
    assert editor.get_attribute("wrap") == "off", "lines never wrap, so one number is one line"
    browser.execute_script("arguments[0].scrollTop = 2100; arguments[0].dispatchEvent(new Event('scroll'))", editor)
    # Line 101 starts at the top of the scrolled editor: its number sits beside it.
    gutter = browser.find_element(By.CSS_SELECTOR, ".editor-gutter")
    assert in_view(browser, numbers[100], gutter) and not in_view(browser, numbers[10], gutter)


def test_error_line_is_marked_and_scrolled_into_view(server, browser, assessment):
    take(server, browser, assessment, "Edsger")
    open_problem(server, browser)
    editor = browser.find_element(By.ID, "source")
    set_source(browser, "\n".join(f"x{i} = {i}" for i in range(1, 301)))
    browser.execute_script("window.judgeEditor.showErrorLine(arguments[0], 240)", editor)
    band = browser.find_element(By.CSS_SELECTOR, ".editor-error-band")
    assert band.is_displayed() and in_view(browser, band, editor), "the marked line is scrolled into the editor's view"
    assert browser.find_element(By.CSS_SELECTOR, ".editor-numbers .error").text == "240"
    note = browser.find_element(By.ID, "source-error-note")
    assert "Line 240" in note.text and note.get_attribute("id") in editor.get_attribute("aria-describedby").split()
    browser.execute_script("window.judgeEditor.showErrorLine(arguments[0], null)", editor)
    assert not band.is_displayed() and not browser.find_elements(By.CSS_SELECTOR, ".editor-numbers .error")

    # The latest attempt's error, from its result, marks the line when the page opens: the starter
    # raises NotImplementedError.
    set_source(browser, VAE.starter_path.read_text())
    browser.find_element(By.ID, "submit").click()
    wait_for(
        browser,
        ready.presence_of_element_located(
            (By.CSS_SELECTOR, "#progress[data-done='true'], #result[data-status='completed']")
        ),
        GRADE_TIMEOUT_S,
        "the result",
    )
    open_problem(server, browser)
    editor = browser.find_element(By.ID, "source")
    line = int(editor.get_attribute("data-error-line"))
    assert editor.get_attribute("value") == VAE.starter_path.read_text()
    assert "raise NotImplementedError" in VAE.starter_path.read_text().splitlines()[line - 1], (
        "the line the traceback names in the candidate's file"
    )
    assert browser.find_element(By.CSS_SELECTOR, ".editor-error-band").is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, ".editor-numbers .error").text == str(line)
    SCREENSHOTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "problem-error-line.png"))


def test_bracket_at_the_caret_and_its_partner_are_marked(server, browser, assessment):
    take(server, browser, assessment, "Barbara")
    open_problem(server, browser)
    source = "y = f(a[1], {2: (3)}, '(')  # )\nz = (1,\n     2)\n"
    set_source(browser, source)
    editor = browser.find_element(By.ID, "source")
    editor.click()
    browser.execute_script("arguments[0].setSelectionRange(5, 5)", editor)  # before "(" of f(
    editor.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_LEFT)
    marks = browser.find_elements(By.CSS_SELECTOR, ".editor-highlight .bracket-match")
    assert [m.text for m in marks] == ["(", ")"]
    offsets = browser.execute_script(
        "const pre = document.querySelector('.editor-highlight code');"
        "return [...pre.querySelectorAll('.bracket-match')].map(m => {"
        "  const r = document.createRange(); r.setStart(pre, 0); r.setEndBefore(m); return r.toString().length; });"
    )
    assert offsets == [5, source.index(")  #")], "the pair skips the brackets inside the string and the comment"
    # A pair across lines, with the caret after the closing bracket.
    closing = source.index("2)") + 2
    browser.execute_script("arguments[0].setSelectionRange(arguments[1], arguments[1])", editor, closing - 1)
    editor.send_keys(Keys.ARROW_RIGHT)
    assert [m.text for m in browser.find_elements(By.CSS_SELECTOR, ".editor-highlight .bracket-match")] == ["(", ")"]
    set_source(browser, "print((1)\n")
    browser.execute_script("arguments[0].setSelectionRange(6, 6)", editor)
    editor.send_keys(Keys.ARROW_LEFT)
    assert browser.find_elements(By.CSS_SELECTOR, ".editor-highlight .bracket-unmatched"), "an unclosed bracket"


def test_split_resizes_with_mouse_and_keyboard_and_is_remembered(server, browser, assessment):
    take(server, browser, assessment, "Alan")
    open_problem(server, browser)
    browser.execute_script("localStorage.removeItem('judge.editor.split')")
    browser.refresh()
    statement = browser.find_element(By.ID, "statement")
    handle = browser.find_element(By.CSS_SELECTOR, ".splitter[role='separator']")
    assert handle.get_attribute("aria-valuenow") == "45" and handle.get_attribute("tabindex") == "0"
    width = statement.size["width"]
    ActionChains(browser).click_and_hold(handle).move_by_offset(-200, 0).release().perform()
    narrower = statement.size["width"]
    assert narrower < width - 150, (width, narrower)
    assert int(handle.get_attribute("aria-valuenow")) < 45
    handle.send_keys(Keys.HOME)
    assert handle.get_attribute("aria-valuenow") == "20"
    handle.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert handle.get_attribute("aria-valuenow") == "26"
    keyed = statement.size["width"]
    browser.refresh()
    handle = browser.find_element(By.CSS_SELECTOR, ".splitter")
    assert handle.get_attribute("aria-valuenow") == "26", "the split is remembered"
    assert abs(browser.find_element(By.ID, "statement").size["width"] - keyed) <= 2

    # At the narrowest statement, the checks table scrolls sideways in its own box, not the statement.
    handle.send_keys(Keys.HOME)
    table = browser.find_element(By.CSS_SELECTOR, "#statement .table-scroll")
    assert browser.execute_script("return arguments[0].scrollWidth > arguments[0].clientWidth", table)
    statement = browser.find_element(By.ID, "statement")
    assert browser.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth + 1", statement)
    browser.execute_script("arguments[0].scrollLeft = 80", table)
    assert browser.execute_script("return arguments[0].scrollLeft", table) > 0
    assert table.get_attribute("role") == "region" and table.get_attribute("tabindex") == "0"
    # No keyboard trap: Tab moves on from the handle.
    handle.send_keys(Keys.TAB)
    assert browser.switch_to.active_element != handle
    browser.execute_script("localStorage.removeItem('judge.editor.split')")


def test_submit_stays_in_view_and_screenshots(server, browser, assessment):
    take(server, browser, assessment, "Katherine")
    open_problem(server, browser)
    SCREENSHOTS.mkdir(exist_ok=True)
    statement = browser.find_element(By.ID, "statement")
    submit = browser.find_element(By.ID, "submit")
    assert in_view(browser, submit), "Submit is on the laptop screen when the page opens"
    browser.execute_script("arguments[0].scrollTop = arguments[0].scrollHeight", statement)
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight / 3)")
    assert in_view(browser, submit), "and after the statement is scrolled"
    assert submit.find_element(By.XPATH, "..").get_attribute("id") == "editor-actions"
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(SCREENSHOTS / "problem-wide.png"))
    try:
        browser.set_window_size(800, 900)
        browser.refresh()
        assert not browser.find_element(By.CSS_SELECTOR, ".splitter").is_displayed(), "one column: no split"
        editor = browser.find_element(By.ID, "source")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", editor)
        assert in_view(browser, browser.find_element(By.ID, "submit")), "Submit sticks to the bottom beside the editor"
        browser.save_screenshot(str(SCREENSHOTS / "problem-narrow.png"))
    finally:
        browser.set_window_size(*WINDOW)


def test_progress_is_one_list_in_check_order_and_the_overview_after_finish(server, browser, assessment):
    take(server, browser, assessment, "Donald")
    open_problem(server, browser)
    set_source(browser, VAE.solution_path.read_text())
    browser.find_element(By.ID, "submit").click()
    rows = browser.find_elements(By.CSS_SELECTOR, "#progress-log li[data-check]")
    assert [r.get_attribute("data-check") for r in rows] == [c.id for c in VAE.check_specs], (
        "every check listed in the result's order before any has finished"
    )
    wait_for(
        browser,
        ready.presence_of_element_located((By.CSS_SELECTOR, "#progress[data-done='true']")),
        GRADE_TIMEOUT_S,
        "the result",
    )
    total = len(VAE.check_specs)
    status = browser.find_element(By.ID, "progress-status").text
    assert f"{total} of {total} checks finished" in status, status
    assert len(browser.find_elements(By.CSS_SELECTOR, "#progress-log li")) == total, "no row added beside the plan"
    assert not browser.find_element(By.ID, "progress-log").is_displayed(), "the result's table is the one list"
    table = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#result table.checks tbody th")]
    assert table == [c.id for c in VAE.check_specs]

    browser.get(server.base + "/take")
    browser.find_element(By.CSS_SELECTOR, "input[name='confirm']").click()
    browser.find_element(By.XPATH, "//button[contains(., 'Finish the assessment')]").click()
    wait_for(browser, ready.presence_of_element_located((By.ID, "total")), message="the total after Finish")
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "attempts are closed" in main and "attempts left" not in main.lower(), main
    problems = browser.find_element(By.CSS_SELECTOR, "table.problems").text
    assert "closed (1 of 3 used)" in problems and "closed (0 of 3 used)" in problems, problems
    points = sum(p["points"] for p in assessment["problems"])
    assert f"Your total: 10 of {points:g} points" in browser.find_element(By.ID, "total").text
    browser.get(server.base + "/take/problems/vae-mnist")
    assert "attempts closed" in browser.find_element(By.CSS_SELECTOR, "main p.muted").text
    assert not browser.find_element(By.ID, "submit").is_enabled()


def test_api_docs_render_with_no_network(server, browser):
    # The CDNs FastAPI's pages use are refused, as on a network without them; and every file loaded is this server's.
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": CDNS})
    try:
        browser.get(server.base + "/api/v1/docs")
        wait_for(
            browser, ready.presence_of_element_located((By.CSS_SELECTOR, ".opblock")), message="Swagger's operations"
        )
        summaries = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")]
        assert "/api/v1/submissions" in " ".join(summaries), summaries
        loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert loaded and all(url.startswith(server.base) for url in loaded), loaded

        browser.get(server.base + "/api/v1/redoc")
        wait_for(
            browser,
            ready.presence_of_element_located((By.CSS_SELECTOR, "[data-section-id^='operation/']")),
            message="ReDoc's operations",
        )
        assert "judge" in browser.find_element(By.CSS_SELECTOR, "h1").text
        # Its "API docs by Redocly" logo is an <img> from their CDN: missing offline, and nothing else is.
        loaded = browser.execute_script(
            "return performance.getEntriesByType('resource').filter(e => e.initiatorType !== 'img').map(e => e.name)"
        )
        assert all(url.startswith(server.base) for url in loaded), loaded
    finally:
        browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
