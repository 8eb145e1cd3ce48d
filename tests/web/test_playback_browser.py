"""Code playback in a real headless Chromium against a real `judge serve`: the candidate types, pastes,
switches to another tab and back, and submits; the stored log holds all of it, the team's candidate page
shows the summary and the paste flag, and the player shows exactly the submitted code at the
submission's mark."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ready

from tests.web.browser import wait_for
from tests.web.pages import invite, make_assessment
from tests.web.test_team_dashboard_browser import _screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration]
PROBLEM_TITLE = "KL divergence"
#: The recorder sends every 4 s and on Submit; the server is a loaded 2-core machine.
LOG_TIMEOUT_S = 30
TYPED = "\n# typed by hand"
PASTED = (
    "\n\ndef pasted_helper(values):\n"
    + "".join(f"    total_{i} = sum(v * {i} for v in values)\n" for i in range(40))
    + "    return values\n"
)
# A paste as the browser makes it: the event with the clipboard's text, then the text inserted as a
# paste input (what Ctrl+V does when a clipboard is at hand, which headless Chromium has not).
PASTE = """
var area = arguments[0], text = arguments[1];
area.focus();
area.setSelectionRange(area.value.length, area.value.length);
var data = new DataTransfer();
data.setData("text/plain", text);
var event = new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true});
if (area.dispatchEvent(event)) {
  area.setRangeText(text, area.value.length, area.value.length, "end");
  area.dispatchEvent(new InputEvent("input", {inputType: "insertFromPaste", data: text, bubbles: true}));
}
"""
PLAYER_TEXT = """
return Array.prototype.map.call(document.querySelectorAll('#player-files .player-code'), function (pre) {
  return Array.prototype.map.call(pre.querySelectorAll('.line'), function (line) { return line.textContent; }).join('\\n');
}).join('');
"""


def _take(server, browser, problem: str, name: str) -> tuple[dict, dict]:
    """An assessment of `problem` and its candidate `name`, told on the landing page that edits are
    recorded, started in the browser and on the problem's page: the assessment and the invitation."""
    assessment = make_assessment(server.api, server.team_key, title="Playback", problems=[{"problem": problem}])
    issued = invite(server.api, server.team_key, assessment["id"], name)
    browser.delete_all_cookies()
    browser.get(server.base + issued["link"])
    assert "recorded and shown to the hiring team" in browser.find_element(By.ID, "recording-notice").text
    browser.find_element(By.ID, "continue").click()
    browser.find_element(By.ID, "start").click()
    wait_for(browser, ready.presence_of_element_located((By.CSS_SELECTOR, "[data-remaining]")), message="started")
    browser.get(server.base + f"/take/problems/{problem}")
    return assessment, issued


def _type_at_end(browser, area, text: str) -> None:
    area.click()
    browser.execute_script("arguments[0].setSelectionRange(arguments[0].value.length, arguments[0].value.length)", area)
    area.send_keys(text)


def _playback(server, assessment_id: str, invitation_id: str, problem: str = "kl-divergence") -> dict:
    answer = server.api.get(
        f"/api/v1/assessments/{assessment_id}/candidates/{invitation_id}/playback/{problem}",
        headers={"Authorization": f"Bearer {server.team_key}"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _wait_log(
    server, assessment_id: str, invitation_id: str, ready_when, what: str, problem: str = "kl-divergence"
) -> dict:
    deadline = time.monotonic() + LOG_TIMEOUT_S
    while True:
        view = _playback(server, assessment_id, invitation_id, problem)
        if ready_when(view):
            return view
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: the log has {len(view['events'])} events, marks {view['submissions']}")
        time.sleep(0.5)


def _submit(server, browser, assessment: dict, issued: dict, problem: str) -> dict:
    """Press Submit; the team's playback once the log holds the submitted code at the attempt's mark."""
    browser.find_element(By.ID, "submit").click()
    wait_for(browser, ready.url_contains("/take/submissions/"), message="the attempt page after Submit")
    return _wait_log(
        server,
        assessment["id"],
        issued["id"],
        lambda v: v["submissions"] and v["submissions"][0]["matches_log"],
        "the submitted code matched against the log",
        problem,
    )


def test_typing_a_paste_and_a_tab_switch_are_recorded_and_the_player_replays_the_submission(server, browser):
    assessment, issued = _take(server, browser, "kl-divergence", "Ada")
    editor = browser.find_element(By.ID, "source")
    assert "recorded for the hiring team" in browser.find_element(By.ID, "recording-hint").text
    starter = editor.get_attribute("value")

    _type_at_end(browser, editor, TYPED)
    browser.execute_script(PASTE, editor, PASTED)

    # Another tab in front for a moment, then this one again.
    mine = browser.current_window_handle
    browser.switch_to.new_window("tab")
    browser.get(server.base + "/healthz")
    time.sleep(1.5)
    browser.close()
    browser.switch_to.window(mine)
    editor = browser.find_element(By.ID, "source")
    _type_at_end(browser, editor, " # and back")
    submitted = editor.get_attribute("value")
    assert submitted.startswith(starter) and PASTED in submitted
    view = _submit(server, browser, assessment, issued, "kl-divergence")
    kinds = [e["event"]["type"] for e in view["events"]]
    assert kinds[0] == "snapshot" and view["events"][0]["event"]["reason"] == "load"
    assert kinds.count("paste") == 1 and "away" in kinds and "back" in kinds, kinds
    summary = view["summary"]
    assert summary["characters_typed"] >= len(TYPED) + len(" # and back")
    assert summary["characters_pasted"] == len(PASTED)
    [paste] = summary["pastes"]
    assert paste["survives"] and not paste["from_editor"]
    assert summary["away_count"] == 1, summary["away"]
    assert "paste:kl-divergence" in {f["key"] for f in view["flags"]}

    # The team: the candidate page's summary and flag, then the player at the submission's mark.
    browser.delete_all_cookies()
    candidate_page = f"/team/assessments/{assessment['id']}/candidates/{issued['id']}"
    browser.get(server.base + candidate_page)
    browser.find_element(By.ID, "api_key").send_keys(server.team_key, Keys.ENTER)
    flags = browser.find_element(By.CSS_SELECTOR, 'li.review-flag[data-key="paste:kl-divergence"]')
    assert "characters pasted that make up" in flags.text
    browser.execute_script("document.getElementById('playback-heading').scrollIntoView()")
    _screenshot(browser, "playback-candidate")
    browser.find_element(By.CSS_SELECTOR, "#playback-problems a.play").click()
    wait_for(browser, ready.presence_of_element_located((By.CSS_SELECTOR, ".player-mark.submission")), message="player")
    _screenshot(browser, "playback-player")
    assert browser.execute_script(PLAYER_TEXT) == submitted, "the player shows the submitted code at its mark"

    # Back to the start, then the submission's mark again.
    browser.execute_script(
        "var s = document.getElementById('player-slider'); s.value = 0; s.dispatchEvent(new Event('input'));"
    )
    assert browser.execute_script(PLAYER_TEXT) == ""
    browser.find_element(By.CSS_SELECTOR, ".player-mark.submission").click()
    assert browser.execute_script(PLAYER_TEXT) == submitted
    browser.find_element(By.CSS_SELECTOR, ".player-mark.paste").click()
    assert PASTED in browser.execute_script(PLAYER_TEXT)
    assert " # and back" not in browser.execute_script(PLAYER_TEXT), "at the paste, before the last keystrokes"

    # Playing at 64x from the start reaches the end of the recording.
    browser.execute_script(
        "var s = document.getElementById('player-slider'); s.value = 0; s.dispatchEvent(new Event('input'));"
    )
    browser.find_element(By.CSS_SELECTOR, "#player-speed option[value='64']").click()
    browser.find_element(By.ID, "player-play").click()
    wait_for(
        browser,
        lambda b: b.find_element(By.ID, "player-play").text == "Play",
        LOG_TIMEOUT_S,
        "playing to the end",
    )
    assert browser.execute_script(PLAYER_TEXT) == submitted


def test_edits_made_offline_are_sent_once_the_connection_is_back(server, browser):
    assessment, issued = _take(server, browser, "kl-divergence", "Bo")
    editor = browser.find_element(By.ID, "source")
    browser.execute_cdp_cmd("Network.enable", {})
    offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", offline)
    try:
        _type_at_end(browser, editor, "\n# written offline")
        time.sleep(5)  # past one round of sending: it fails, and the edits wait
        held = _replayed(_playback(server, assessment["id"], issued["id"]))
        assert "written offline" not in held, "offline: nothing of it reached the server"
    finally:
        browser.execute_cdp_cmd("Network.emulateNetworkConditions", {**offline, "offline": False})
    expected = editor.get_attribute("value")
    _wait_log(
        server,
        assessment["id"],
        issued["id"],
        lambda v: v["events"] and _replayed(v) == expected,
        "the offline edits arriving",
    )
    assert browser.find_element(By.ID, "playback-status").get_attribute("hidden") is not None, "no error shown"


def _replayed(view: dict) -> str:
    """The log's text at its end, replayed here as the player does (one page load)."""
    text = ""
    for logged in view["events"]:
        event = logged["event"]
        if event["type"] == "snapshot":
            text = event["files"][0]["text"]
        elif event["type"] == "edit":
            text = text[: event["at"]] + event["insert"] + text[event["at"] + event["delete"] :]
    return text


PLAYER_FILES = """
var files = {};
document.querySelectorAll('#player-files .player-file').forEach(function (figure) {
  files[figure.getAttribute('data-file')] = Array.prototype.map.call(
    figure.querySelectorAll('.line'), function (line) { return line.textContent; }).join('\\n');
});
return files;
"""


def test_a_problem_of_several_files_is_recorded_and_played_back_file_by_file(server, browser):
    problem = "mlp-model-and-training"
    assessment, issued = _take(server, browser, problem, "Nia")
    tabs = browser.find_elements(By.CSS_SELECTOR, ".file-tab")
    assert len(tabs) >= 2
    tabs[1].click()
    _type_at_end(browser, browser.find_element(By.ID, "file-2"), "\n# in the second file")
    areas = browser.find_elements(By.CSS_SELECTOR, "textarea.code-editor")
    submitted = {area.get_attribute("name")[5:]: area.get_attribute("value") for area in areas}
    view = _submit(server, browser, assessment, issued, problem)
    assert view["files"] == list(submitted)

    browser.delete_all_cookies()
    browser.get(server.base + f"/team/assessments/{assessment['id']}/candidates/{issued['id']}/playback/{problem}")
    browser.find_element(By.ID, "api_key").send_keys(server.team_key, Keys.ENTER)
    wait_for(browser, ready.presence_of_element_located((By.CSS_SELECTOR, ".player-mark.submission")), message="player")
    _screenshot(browser, "playback-files")
    assert browser.execute_script(PLAYER_FILES) == submitted, "each file as it was submitted"


def _fill_recording(server, token: str) -> None:
    """Fill the candidate's edit log to within a few dozen bytes of its bound, over the API."""
    headers = {"Authorization": f"Bearer {token}"}
    seq, left = 0, None
    while left is None or left > 150:
        size = 250_000 if left is None else left - 150
        files = [{"file": f"f{i}", "text": "x" * size} for i in range(8 if left is None else 1)]
        batch = {
            "page": "filler-page",
            "seq": seq,
            "sent_at": int(time.time() * 1000),
            "events": [{"type": "snapshot", "t": 0, "reason": "load", "files": files}],
        }
        answer = server.api.post("/api/v1/candidate/playback/kl-divergence", json=batch, headers=headers)
        assert answer.status_code == 200, answer.text
        left = answer.json()["max_bytes"] - answer.json()["used_bytes"]
        seq += 1


def test_a_full_recording_is_said_once_and_the_candidate_works_on(server, browser):
    _assessment, issued = _take(server, browser, "kl-divergence", "Cy")
    _fill_recording(server, issued["token"])
    editor = browser.find_element(By.ID, "source")
    _type_at_end(browser, editor, "\n# " + "still typing " * 12)
    wait_for(
        browser,
        ready.text_to_be_present_in_element((By.ID, "playback-status"), "Recording is full"),
        LOG_TIMEOUT_S,
        "the full recording said",
    )
    _type_at_end(browser, editor, "\n# and on")
    wait_for(
        browser,
        ready.text_to_be_present_in_element((By.ID, "draft-status"), "Saved"),
        LOG_TIMEOUT_S,
        "the draft still saved",
    )
    assert editor.get_attribute("value").endswith("# and on")
    assert browser.find_element(By.ID, "submit").is_enabled()
    browser.execute_script("document.getElementById('editor-actions').scrollIntoView({block: 'center'})")
    _screenshot(browser, "playback-full")
