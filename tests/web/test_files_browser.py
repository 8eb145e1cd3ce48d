"""Notebooks and several files on the candidate's problem page, in a real headless Chromium against a
real `judge serve` grading for real (process sandbox)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ready

from judge import bundle
from judge.problem import load_problem
from tests.conftest import PROBLEMS
from tests.test_notebook import notebook
from tests.web.browser import GRADE_TIMEOUT_S, wait_for
from tests.web.pages import invite, make_assessment

pytestmark = [pytest.mark.browser, pytest.mark.integration]
MLP = load_problem(PROBLEMS / "mlp-model-and-training")
KL = load_problem(PROBLEMS / "kl-divergence")
FETCH = """
const done = arguments[arguments.length - 1];
fetch(arguments[0]).then(async (r) => {
  const bytes = Array.from(new Uint8Array(await r.arrayBuffer()));
  done({status: r.status, type: r.headers.get("content-type"), disposition: r.headers.get("content-disposition"), bytes});
});
"""


@pytest.fixture(scope="module")
def started(server, browser):  # noqa: F811 - the shared fixtures
    """A candidate of an assessment of kl-divergence and the multi-file problem, started in the browser."""
    made = make_assessment(
        server.api,
        server.team_key,
        title="Files screen",
        problems=[{"problem": "kl-divergence"}, {"problem": MLP.slug}],
    )
    issued = invite(server.api, server.team_key, made["id"], "Nia")
    browser.delete_all_cookies()
    browser.get(server.base + issued["link"])
    browser.find_element(By.ID, "continue").click()
    browser.find_element(By.ID, "start").click()
    wait_for(browser, ready.presence_of_element_located((By.CSS_SELECTOR, "[data-remaining]")), message="Start")
    return made


def download(browser, path: str) -> dict:  # noqa: F811 - the shared fixture's name
    """GET `path` from the page, with its cookies, as the download link does."""
    browser.set_script_timeout(20)
    answer = browser.execute_async_script(FETCH, path)
    answer["content"] = bytes(answer.pop("bytes"))
    return answer


def test_uploading_a_notebook_puts_its_code_in_the_editor(server, browser, started, tmp_path):  # noqa: F811
    browser.get(f"{server.base}/take/problems/kl-divergence")
    path = tmp_path / "kl.ipynb"
    path.write_bytes(
        notebook(("markdown", "# scratch"), ("code", "import torch\n"), ("code", "def f(x):\n    return x\n"))
    )
    wait_for(browser, ready.presence_of_element_located((By.ID, "upload")), message="the load form")
    before = browser.find_element(By.ID, "source")
    browser.find_element(By.ID, "upload").send_keys(str(path))
    browser.find_element(By.ID, "load").click()
    wait_for(browser, ready.staleness_of(before), message="the page again")
    editor = wait_for(browser, ready.presence_of_element_located((By.ID, "source")), message="the editor again")
    assert editor.get_attribute("value") == "# %% cell 2\nimport torch\n\n# %% cell 3\ndef f(x):\n    return x\n"
    assert browser.find_elements(By.CSS_SELECTOR, ".editor-highlight .tok-keyword"), "the loaded code is highlighted"
    browser.save_screenshot(str(tmp_path / "notebook-loaded.png"))

    path.write_bytes(notebook(("code", "import torch"), ("code", "!pip install einops")))
    browser.find_element(By.ID, "upload").send_keys(str(path))
    browser.find_element(By.ID, "load").click()
    error = wait_for(browser, ready.presence_of_element_located((By.ID, "submit-error")), message="the refusal")
    assert error.text == "cell 2: shell and magic lines cannot run here (`!pip install einops`)"

    plain = download(browser, "/take/problems/kl-divergence/starter?format=py")
    assert plain["status"] == 200 and plain["content"].decode() == KL.starter()
    book = download(browser, "/take/problems/kl-divergence/starter?format=ipynb")
    assert book["disposition"] == 'attachment; filename="solution.ipynb"'
    assert "".join(json.loads(book["content"])["cells"][1]["source"]) == KL.starter()
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, ".file-tools a")]
    assert [link.split("format=")[1] for link in links] == ["py", "ipynb", "zip"]


def test_a_multi_file_problem_has_a_tab_per_file_and_submits_them_all(server, browser, started, tmp_path):  # noqa: F811
    browser.get(f"{server.base}/take/problems/{MLP.slug}")
    tabs = browser.find_elements(By.CSS_SELECTOR, "[role=tab]")
    assert [t.text for t in tabs] == ["train.py", "model.py"]
    panes = browser.find_elements(By.CSS_SELECTOR, ".file-pane")
    assert [p.is_displayed() for p in panes] == [True, False], "only the first file's editor shows"
    starter = bundle.unpack(MLP.starter(), MLP.file_names)
    editors = browser.find_elements(By.CSS_SELECTOR, "textarea.code-editor")
    assert [e.get_attribute("value") for e in editors] == [starter["train.py"], starter["model.py"]]

    reference = bundle.unpack(MLP.solution_path.read_text(), MLP.file_names)
    set_value = "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));"
    browser.execute_script(set_value, editors[0], reference["train.py"])
    tabs[0].send_keys(Keys.ARROW_RIGHT)
    assert browser.switch_to.active_element.text == "model.py", "the arrow keys move between tabs"
    assert [p.is_displayed() for p in panes] == [False, True]
    browser.execute_script(set_value, editors[1], reference["model.py"])
    browser.save_screenshot(str(tmp_path / "tabs.png"))

    archive = download(browser, f"/take/problems/{MLP.slug}/starter?format=zip")
    assert archive["type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive["content"])) as opened:
        assert {n: opened.read(n).decode() for n in opened.namelist()} == starter

    browser.find_element(By.ID, "submit").click()
    wait_for(
        browser,
        ready.presence_of_element_located((By.CSS_SELECTOR, "#progress[data-done='true']")),
        GRADE_TIMEOUT_S,
        "the result",
    )
    score = browser.find_element(By.ID, "score")
    assert (score.get_attribute("data-score"), score.get_attribute("data-max")) == ("11", "11"), browser.find_element(
        By.ID, "result"
    ).text
