"""The OpenAPI document is one real clients accept: it passes openapi-spec-validator; its operationIds are the
routes' stable names; its examples fit their schemas; its event streams name their events; every error is
problem+json, with each status a route really answers documented. And openapi-python-client generates a client
from the document a live `judge serve` serves, without a warning, which grades a reference solution through it
(the example of docs/service.md, "Integrating: a generated client", run as written there)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from judge.api.examples import EXAMPLES
from judge.app.errors import PROBLEM_JSON
from tests.api.support import ServiceProcess, create_key, free_port, judge_command, service_env, wait_healthy
from tests.api.test_authorization_matrix import CALLERS, OK, ROWS, world  # noqa: F401  # world: the fixture
from tests.conftest import PROBLEMS, REPO

OPERATION_IDS = Path(__file__).with_name("operation_ids.txt")
SERVICE_MD = REPO / "docs" / "service.md"
DOCS_HEADING = "### Integrating: a generated client"
#: FastAPI's default operationId: the function name, the path and the method (`get_problem_api_v1_problems__slug__get`).
FASTAPI_DEFAULT_ID = re.compile(r"_api_v1_|_(get|post|put|patch|delete)$")
REFERENCE = PROBLEMS / "kl-divergence" / "solution.py"
GRADE_TIMEOUT_S = 240


def _operations(document: dict) -> list[tuple[str, str, dict]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    ]


def _validator(document: dict, schema: dict) -> Draft202012Validator:
    """A validator of `schema` whose #/components/... references resolve in `document`."""
    return Draft202012Validator({**schema, "components": document["components"]})


@pytest.fixture
def document(service) -> dict:
    """The document the app serves."""
    answer = service.client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    return answer.json()


def test_the_document_passes_openapi_spec_validator(document):
    validate(document)


def test_operation_ids_are_unique_route_names_and_match_the_snapshot(document):
    ids = [
        operation.get("operationId", f"<none: {method} {path}>") for method, path, operation in _operations(document)
    ]
    duplicates = sorted({name for name in ids if ids.count(name) > 1})
    assert not duplicates, f"operationIds used twice: {duplicates}"
    defaults = [name for name in ids if FASTAPI_DEFAULT_ID.search(name) or not name.isidentifier()]
    assert not defaults, f"not a route name (rename the route's function): {defaults}"
    snapshot = OPERATION_IDS.read_text().split()
    assert sorted(ids) == snapshot, (
        "the operationIds changed (generated clients name their functions after them); if deliberate, update "
        f"{OPERATION_IDS.name} to:\n" + "\n".join(sorted(ids))
    )


def test_the_main_calls_have_examples_that_fit_their_schemas(document):
    by_id = {operation["operationId"]: operation for _method, _path, operation in _operations(document)}
    assert set(EXAMPLES) <= set(by_id), f"examples for unknown operations: {set(EXAMPLES) - set(by_id)}"
    checked = 0
    for name, operation in by_id.items():
        bodies = [operation.get("requestBody", {})] + list(operation["responses"].values())
        for body in bodies:
            for media_type, entry in body.get("content", {}).items():
                values = [example["value"] for example in entry.get("examples", {}).values()]
                values += [entry["example"]] if "example" in entry else []
                for value in values:
                    errors = [error.message for error in _validator(document, entry["schema"]).iter_errors(value)]
                    assert not errors, f"{name} {media_type}: the example does not fit: {errors}"
                    checked += 1
    expected = sum(bool(spec.request) + len(spec.responses) for spec in EXAMPLES.values())
    assert checked == expected, f"{checked} examples in the document, {expected} in judge.api.examples"
    for name in ("create_submission", "create_assessment", "create_invitation"):
        assert "example" in by_id[name]["requestBody"]["content"]["application/json"], name


def test_event_streams_name_their_events_and_each_data_model(document):
    streams = {
        operation["operationId"]: operation["responses"]["200"]
        for _method, _path, operation in _operations(document)
        if "text/event-stream" in operation["responses"].get("200", {}).get("content", {})
    }
    assert set(streams) == {
        "stream_submission_events",
        "stream_candidate_submission_events",
        "stream_run_events",
        "stream_candidate_run_events",
    }
    schemas = document["components"]["schemas"]
    for name, response in streams.items():
        schema = response["content"]["text/event-stream"]["schema"]
        # A string: generated clients read the stream as text; contentSchema says what the text holds.
        assert schema["type"] == "string" and schema["contentMediaType"] == "text/event-stream", name
        events = {variant["properties"]["event"]["const"]: variant for variant in schema["contentSchema"]["oneOf"]}
        assert set(events) == {"check", "result", "timeout"}, name
        for event, variant in events.items():
            data = variant["properties"]["data"]
            refs = [entry["$ref"] for entry in data.get("oneOf", [data])]
            for ref in refs:
                assert ref.rsplit("/", 1)[1] in schemas, f"{name} {event}: {ref} dangles"
                assert ref.rsplit("/", 1)[1] in response["description"], f"{name}: {event} data not described"
    assert "CheckProgress" in streams["stream_candidate_submission_events"]["description"]


def test_every_error_response_is_problem_json(document):
    problem = {"$ref": "#/components/schemas/ProblemDetails"}
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            # /readyz answers 503 with its Readiness (which dependency is down), for orchestrators: not an error body.
            readiness = operation["operationId"] == "get_readiness" and status == "503"
            if (status == "default" or status[0] in "45") and not readiness:
                assert response.get("content") == {PROBLEM_JSON: {"schema": problem}}, f"{method} {path} {status}"
        assert "default" in operation["responses"], f"{method} {path}"


def _operation_for(document: dict, method: str, concrete: str) -> dict:
    for path, item in document["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"
        if re.match(pattern, concrete) and method.lower() in item:
            return item[method.lower()]
    raise AssertionError(f"{method} {concrete} is in no path of the document")


def test_each_status_a_route_answers_in_the_authorization_matrix_is_documented(world):  # noqa: F811
    document = world.client.get("/api/v1/openapi.json").json()
    # Each row as each caller, then each body-taking row with a body it must refuse, as a caller it admits.
    calls = [(caller, method, path, body() if body else {}) for caller in CALLERS for method, path, _, body in ROWS]
    calls += [
        (next(caller for caller in CALLERS if expected[caller] in (OK, 202)), method, path, {"json": {"bogus": 1}})
        for method, path, expected, body in ROWS
        if body is not None
    ]
    undocumented, answered = set(), set()
    for caller, method, path, arguments in calls:
        answer = world.request(caller, method, path, **arguments)
        operation = _operation_for(document, method, path.format(**world.ids))
        answered.add(answer.status_code)
        if str(answer.status_code) not in operation["responses"]:
            undocumented.add(f"{operation['operationId']} ({method} {path}): {answer.status_code}")
    assert not undocumented, "statuses answered but not documented:\n" + "\n".join(sorted(undocumented))
    assert {200, 401, 403, 404, 409, 422} <= answered, answered


STREAMS = [
    ("own_team", "/api/v1/submissions/{practice}/events"),
    ("invitee", "/api/v1/candidate/submissions/{entry}/events"),
    ("own_team", "/api/v1/runs/{practice_run}/events"),
    ("invitee", "/api/v1/candidate/runs/{candidate_run}/events"),
]


@pytest.mark.parametrize(("caller", "path"), STREAMS)
def test_each_event_stream_sends_the_events_its_document_names(world, caller, path):  # noqa: F811
    document = world.client.get("/api/v1/openapi.json").json()
    operation = _operation_for(document, "GET", path.format(**world.ids))
    variants = operation["responses"]["200"]["content"]["text/event-stream"]["schema"]["contentSchema"]["oneOf"]
    answer = world.request(caller, "GET", path)
    assert answer.status_code == 200, answer.text
    events = _events(answer.text)
    assert [name for name, _ in events][-1:] == ["result"] and len(events) > 1, answer.text
    for name, data in events:
        (variant,) = [variant for variant in variants if variant["properties"]["event"]["const"] == name]
        errors = list(_validator(document, variant).iter_errors({"event": name, "data": json.loads(data)}))
        assert not errors, f"{path} {name}: {[error.message for error in errors]}"


def _events(stream: str) -> list[tuple[str, str]]:
    """(event, data) of each event in a text/event-stream body."""
    events = []
    for block in stream.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if line and not line.startswith(":"))
        if "event" in fields:
            events.append((fields["event"], fields["data"]))
    return events


# ---------------------------------------------------------------- a generated client against a live server


def _fenced_blocks(language: str) -> list[str]:
    """The `language` code blocks of docs/service.md's section on the generated client, in order."""
    section = SERVICE_MD.read_text().split(DOCS_HEADING, 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


class Live:
    """A `judge serve` (embedded queue, real grading on the process sandbox), a team key, and the client
    generated from its document by the docs' own command."""

    def __init__(self, tmp: Path) -> None:
        port = free_port()
        self.env = service_env(tmp, port=str(port), workers="2", poll_interval_s="0.2")
        self.base = f"http://127.0.0.1:{port}"
        self.process = ServiceProcess(judge_command("serve"), self.env, tmp / "serve.log").start()
        wait_healthy(self.base, self.process)
        self.key = create_key(self.env, "team")
        self.generated = tmp / "generated"
        self.generated.mkdir()
        (generate,) = _fenced_blocks("bash")
        environment = {
            **self.env,
            "JUDGE_URL": self.base,
            # The generator formats its output with ruff, found on PATH: this environment's.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{self.env['PATH']}",
        }
        self.generator = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", generate],
            cwd=self.generated,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The live service and its generated client (the package `judge_client` importable while the module runs)."""
    if shutil.which("openapi-python-client", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("openapi-python-client is not installed: run scripts/setup.sh (it is a test dependency)")
    running = Live(tmp_path_factory.mktemp("openapi-client"))
    sys.path.insert(0, str(running.generated))
    try:
        yield running
    finally:
        sys.path.remove(str(running.generated))
        for name in [name for name in sys.modules if name == "judge_client" or name.startswith("judge_client.")]:
            del sys.modules[name]
        running.process.kill(signal.SIGTERM)


@pytest.mark.integration
def test_the_generator_accepts_the_served_document_without_a_warning(live):
    output = live.generator.stdout + live.generator.stderr
    assert live.generator.returncode == 0, output
    # It says only what it generates: any other line is a warning (a skipped operation, an unsupported type...).
    others = [line for line in output.splitlines() if line.strip() and not line.startswith("Generating ")]
    assert not others, output
    assert (live.generated / "judge_client" / "api" / "submissions" / "create_submission.py").is_file(), output


@pytest.mark.integration
def test_the_generated_client_grades_a_reference_solution(live):
    from judge_client import AuthenticatedClient
    from judge_client.api.problems import get_problem, list_problems
    from judge_client.api.submissions import create_submission, get_submission, stream_submission_events
    from judge_client.models import Outcome, ProblemDetails, SubmissionCreate, SubmissionStatus, SubmissionView, Verdict

    client = AuthenticatedClient(live.base, token=live.key, timeout=httpx.Timeout(60), raise_on_unexpected_status=True)
    problems = list_problems.sync(client=client)
    assert isinstance(problems, list) and "kl-divergence" in {problem.slug for problem in problems}
    problem = get_problem.sync("kl-divergence", client=client)
    assert not isinstance(problem, ProblemDetails) and problem is not None
    unknown = get_problem.sync("no-such-problem", client=client)
    assert isinstance(unknown, ProblemDetails) and unknown.status == 404

    accepted = create_submission.sync(
        client=client, body=SubmissionCreate(problem="kl-divergence", source=REFERENCE.read_text())
    )
    assert accepted is not None and not isinstance(accepted, ProblemDetails), accepted
    deadline = time.monotonic() + GRADE_TIMEOUT_S
    submission = get_submission.sync(accepted.id, client=client, wait=30)
    while isinstance(submission, SubmissionView) and submission.status in (
        SubmissionStatus.QUEUED,
        SubmissionStatus.RUNNING,
    ):
        assert time.monotonic() < deadline, f"not graded in {GRADE_TIMEOUT_S} s: {live.process.log()[-3000:]}"
        submission = get_submission.sync(accepted.id, client=client, wait=30)
    assert isinstance(submission, SubmissionView), submission
    assert submission.verdict == Verdict.ACCEPTED and submission.score == submission.max_score, submission.to_dict()
    checks = submission.result.checks
    assert len(checks) == len(problem.public_checks) + problem.hidden_checks
    assert all(check.outcome == Outcome.PASSED for check in checks), [check.to_dict() for check in checks]

    # The stream of the finished submission replays its checks, then the result: each data as documented.
    stream = stream_submission_events.sync(accepted.id, client=client)
    assert isinstance(stream, str), stream
    events = _events(stream)
    assert [name for name, _ in events] == ["check"] * len(checks) + ["result"]
    document = httpx.get(f"{live.base}/api/v1/openapi.json").json()
    described = document["paths"]["/api/v1/submissions/{submission_id}/events"]["get"]["responses"]["200"]
    variants = described["content"]["text/event-stream"]["schema"]["contentSchema"]["oneOf"]
    for name, data in events:
        (variant,) = [variant for variant in variants if variant["properties"]["event"]["const"] == name]
        errors = list(_validator(document, variant).iter_errors({"event": name, "data": json.loads(data)}))
        assert not errors, f"{name}: {[error.message for error in errors]}"


@pytest.mark.integration
def test_the_docs_example_runs_as_written(live, tmp_path):
    (example,) = _fenced_blocks("python")
    (tmp_path / "solution.py").write_text(REFERENCE.read_text())
    (tmp_path / "example.py").write_text(example)
    done = subprocess.run(
        [sys.executable, "example.py"],
        cwd=tmp_path,
        env={**live.env, "JUDGE_URL": live.base, "JUDGE_API_KEY": live.key, "PYTHONPATH": str(live.generated)},
        capture_output=True,
        text=True,
        timeout=GRADE_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    verdict, *checks = done.stdout.splitlines()
    assert verdict.startswith("accepted "), done.stdout
    score, maximum = verdict.split()[1], verdict.split()[3]
    assert score == maximum, done.stdout
    assert checks and all(line.startswith("passed ") for line in checks), done.stdout
