"""Take the README's screenshots (docs/screenshots/) in headless Chromium against a real `judge serve`.

A real service on a scratch data dir grades a real reference (the default sandbox of this machine);
the script walks a candidate through a code problem and a team member to the dashboard, as the browser
tests do, and saves three PNGs. Run it after changing the pages: `.venv/bin/python scripts/screenshots.py`.
"""

from __future__ import annotations

import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ready  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from judge.problem import load_problem  # noqa: E402
from tests.api.support import ServiceProcess, create_key, free_port, judge_command, service_env, wait_healthy  # noqa: E402
from tests.conftest import PROBLEMS  # noqa: E402
from tests.web.browser import start_chromium  # noqa: E402
from tests.web.pages import invite, make_assessment  # noqa: E402

OUT = REPO / "docs" / "screenshots"
GRADE_TIMEOUT_S = 180


def main() -> None:
    """Start a service, drive Chromium through the three pages and save them."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        port = free_port()
        env = service_env(tmp, port=str(port), workers="2")
        base = f"http://127.0.0.1:{port}"
        process = ServiceProcess(judge_command("serve"), env, tmp / "serve.log").start()
        browser = None
        try:
            wait_healthy(base, process)
            team_key = create_key(env, "team")
            api = httpx.Client(base_url=base, timeout=60)
            assessment = make_assessment(api, team_key, title="Generative models screen")
            browser = start_chromium()
            browser.set_window_size(1440, 900)
            issued = invite(api, team_key, assessment["id"], "Ada")
            browser.get(base + issued["link"])
            browser.find_element(By.ID, "continue").click()
            browser.find_element(By.ID, "start").click()
            browser.find_element(By.LINK_TEXT, "Variational autoencoder for 28x28 digits").click()
            time.sleep(0.5)
            browser.save_screenshot(str(OUT / "candidate-problem.png"))
            reference = load_problem(PROBLEMS / "vae-mnist").solution_path.read_text()
            editor = browser.find_element(By.ID, "source")
            browser.execute_script(
                "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", editor, reference
            )
            browser.find_element(By.ID, "submit").click()
            WebDriverWait(browser, GRADE_TIMEOUT_S).until(
                ready.presence_of_element_located((By.CSS_SELECTOR, "#result[data-status='completed']"))
            )
            plot = browser.find_element(By.CSS_SELECTOR, "figure.plot")
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", plot)
            time.sleep(0.5)
            browser.save_screenshot(str(OUT / "candidate-result.png"))
            for name in ("Bo", "Cy"):
                token = invite(api, team_key, assessment["id"], name)["token"]
                headers = {"Authorization": f"Bearer {token}"}
                api.post("/api/v1/candidate/start", headers=headers).raise_for_status()
                body = {"problem": "vae-mnist", "source": f"# {name}'s VAE, close to the reference\n{reference}"}
                api.post("/api/v1/candidate/submissions", json=body, headers=headers).raise_for_status()
            browser.delete_all_cookies()
            browser.get(f"{base}/team/assessments/{assessment['id']}")
            browser.find_element(By.ID, "api_key").send_keys(team_key)
            browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            deadline = time.monotonic() + GRADE_TIMEOUT_S
            while "grading)" in browser.find_element(By.TAG_NAME, "main").text and time.monotonic() < deadline:
                time.sleep(2)
                browser.refresh()
            browser.save_screenshot(str(OUT / "team-dashboard.png"))
        finally:
            if browser is not None:
                browser.quit()
            process.kill(signal.SIGTERM)
    print(f"screenshots in {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
