"""GET /problems (never hidden checks, reference or mutants) and uploading packages."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from judge.bank.loader import find_packages
from judge.problem import Visibility, load_problem
from judge.settings import Settings
from judge.storage import keys, uploads
from judge.storage.db import make_engine, migrate, session_factory
from judge.storage.models import ProblemUpload, Role, utcnow
from tests.api.packages import decided, tar_bytes, tiny_package, uploaded, zip_bytes
from tests.api.test_errors import assert_problem
from tests.conftest import PROBLEMS


def _strings(value) -> list[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


SEED_SLUGS = ["aigc-concepts", "audio-vae", "dcgan-mnist", "lstm-text-generation", "vae-mnist"]


def loadable_slugs() -> list[str]:
    """Slugs of every problem in the bank (tests/problems/test_bank.py proves each one loads and validates)."""
    return sorted(find_packages([PROBLEMS]))


def test_list_problems(service):
    answer = service.client.get("/api/v1/problems", headers=service.auth(service.candidate))
    assert answer.status_code == 200
    listed = {p["slug"]: p for p in answer.json()}
    assert set(loadable_slugs()) <= set(listed)
    assert listed["vae-mnist"]["max_score"] == load_problem(PROBLEMS / "vae-mnist").max_score


@pytest.mark.parametrize("slug", loadable_slugs())
def test_problem_detail_shows_what_candidates_may_see_and_nothing_else(service, slug):
    problem = load_problem(PROBLEMS / slug)
    answer = service.client.get(f"/api/v1/problems/{slug}", headers=service.auth(service.candidate))
    assert answer.status_code == 200
    body = answer.json()
    assert body["statement"] == problem.statement()
    assert body["starter"] == problem.starter()
    assert body["limits"] == problem.spec.limits.model_dump()
    public = [c.id for c in problem.check_specs if c.visibility is Visibility.PUBLIC]
    assert [c["id"] for c in body["public_checks"]] == public
    assert body["hidden_checks"] == len(problem.check_specs) - len(public)
    text = "\n".join(_strings(body))
    assert problem.solution_path.read_text().strip() not in text
    secrets = sorted(problem.hidden_checks_dir.glob("*.py")) if problem.hidden_checks_dir.is_dir() else []
    for path in [*secrets, *problem.mutants, problem.root / "quiz.toml"]:
        if path.is_file():
            assert path.read_text().strip() not in text, f"{path.name} leaked"
    if problem.quiz is not None:
        explanations = [q.explanation for q in problem.quiz.questions]
        assert not any(e in text for e in explanations), "a quiz explanation leaked"
    if problem.quiz is not None:
        assert len(body["questions"]) == len(problem.quiz.questions)
        assert all(set(q) == {"id", "kind", "prompt", "options", "points"} for q in body["questions"])


def test_starter_download(service):
    problem = load_problem(PROBLEMS / "vae-mnist")
    answer = service.client.get("/api/v1/problems/vae-mnist/starter", headers=service.auth(service.candidate))
    assert answer.status_code == 200
    assert answer.text == problem.starter()
    assert answer.headers["content-disposition"] == 'attachment; filename="solution.py"'


def upload(service, data: bytes, key: str | None = None, name: str = "pkg.zip"):
    """POST /problems with one archive."""
    return service.client.post(
        "/api/v1/problems",
        files={"package": (name, data, "application/octet-stream")},
        headers=service.auth(key or service.team),
    )


def polled(service, data: bytes, key: str | None = None, name: str = "pkg.zip") -> dict:
    """Upload (202), then poll until decided; the final status."""
    return uploaded(service.client, data, service.auth(key or service.team), name=name)


def test_upload_is_queued_then_validated_installed_and_graded(service):
    # An admin's upload joins the public bank (a team's stays private: tests/api/test_assessments.py).
    answer = upload(service, zip_bytes(tiny_package()), key=service.admin)
    assert answer.status_code == 202, answer.text
    queued = answer.json()
    assert queued["slug"] == "tiny-upload" and queued["status"] in ("queued", "running")
    assert answer.headers["location"] == queued["links"]["self"] == f"/api/v1/problems/uploads/{queued['id']}"
    body = decided(service.client, answer.headers["location"], service.auth(service.admin))
    assert body["status"] == "accepted" and body["slug"] == "tiny-upload" and body["replaced"] is False, body
    assert body["error"] is None and body["attempts"] == 1
    assert body["links"]["problem"] == "/api/v1/problems/tiny-upload"
    assert any(line.startswith("ok") and "mutant abs_sum" in line for line in body["validation"])
    detail = service.client.get("/api/v1/problems/tiny-upload", headers=service.auth(service.candidate))
    assert detail.status_code == 200 and detail.json()["public_checks"][0]["id"] == "alpha"
    created = service.submit(service.candidate, "def add(a, b):\n    return a + b\n", problem="tiny-upload")
    done = service.wait(service.candidate, created["id"])
    assert done["verdict"] == "accepted" and done["score"] == 3
    again = polled(service, tar_bytes(tiny_package(), prefix="tiny-upload/"), key=service.admin, name="pkg.tgz")
    assert again["status"] == "accepted" and again["replaced"] is True
    with service.state.sessions() as session:
        # Decided uploads keep no archive: the package is in the bank now.
        assert uploads.get(session, queued["id"]).archive == b""


def test_upload_into_a_top_level_directory_tar(service):
    assert (
        polled(service, tar_bytes(tiny_package("tiny-tar"), prefix="whatever/", mode="w"), name="p.tar")["status"]
        == "accepted"
    )


@pytest.mark.parametrize(
    ("member", "detail"),
    [
        ("../evil.py", "package member '../evil.py' leaves the package (..)"),
        ("a/../../evil.py", "package member 'a/../../evil.py' leaves the package (..)"),
        ("/etc/evil.py", "package member '/etc/evil.py' has an absolute path"),
        ("C:/evil.py", "package member 'C:/evil.py' has an absolute path"),
        ("a\\evil.py", "package member 'a\\\\evil.py': backslashes and NUL are not allowed in names"),
    ],
)
def test_upload_rejects_paths_leaving_the_package(service, member, detail):
    files = {**tiny_package(), member: b"x"}
    assert_problem(upload(service, zip_bytes(files)), 422, detail)
    assert_problem(upload(service, tar_bytes(files), name="p.tgz"), 422, detail)


def test_upload_rejects_tar_links(service):
    data = tar_bytes(tiny_package(), links={"leak.py": "/etc/passwd"})
    assert_problem(
        upload(service, data),
        422,
        "package member 'leak.py' is not a regular file or directory (links are not allowed)",
    )


def test_upload_rejects_zip_links(service):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in tiny_package().items():
            archive.writestr(name, data)
        link = zipfile.ZipInfo("leak.py")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")
    assert_problem(
        upload(service, buffer.getvalue()),
        422,
        "package member 'leak.py' is not a regular file or directory (links are not allowed)",
    )


def test_upload_file_count_cap(start_service):
    service = start_service(uploads={"max_package_files": 5})
    assert_problem(upload(service, zip_bytes(tiny_package())), 413, "the package has more than 5 files and directories")


@pytest.mark.parametrize(
    "extra",
    [
        {f"empty{i}/": b"" for i in range(15)},  # directory members
        {"/".join(f"d{i}" for i in range(15)) + "/x.txt": b"x"},  # directories a member only implies
    ],
    ids=["members", "implied"],
)
def test_upload_directories_count_against_the_entry_cap(start_service, extra):
    # tiny_package is 8 files in 3 directories: within a cap of 20 by files alone, over it with its directories.
    service = start_service(uploads={"max_package_files": 20})
    assert_problem(
        upload(service, zip_bytes({**tiny_package(), **extra})),
        413,
        "the package has more than 20 files and directories",
    )


def test_upload_unpacked_size_cap(start_service):
    service = start_service(uploads={"max_package_unpacked_bytes": 10_000})
    files = {**tiny_package(), "data.bin": b"\0" * 20_000}  # compresses to almost nothing
    assert_problem(upload(service, zip_bytes(files)), 413, "the package unpacks to more than 10000 bytes")


def test_upload_compressed_size_cap(start_service):
    service = start_service(uploads={"max_package_bytes": 2000})
    files = {**tiny_package(), "noise.bin": os.urandom(4000)}
    assert_problem(upload(service, zip_bytes(files)), 413, "the package is over the 2000-byte limit")


def test_upload_not_an_archive(service):
    assert_problem(upload(service, b"just some text"), 422, "the package is neither a zip nor a tar archive")


def test_upload_without_problem_toml(service):
    files = {k: v for k, v in tiny_package().items() if k != "problem.toml"}
    assert_problem(
        upload(service, zip_bytes(files)),
        422,
        "the package has no problem.toml at its top level or in its single top-level directory",
    )


def test_upload_with_a_bad_slug(service):
    files = {**tiny_package(), "problem.toml": tiny_package()["problem.toml"].replace(b"tiny-upload", b"Bad Slug")}
    assert_problem(
        upload(service, zip_bytes(files)),
        422,
        "problem.toml: slug must be lowercase letters, digits and dashes (2-63 characters)",
    )


def test_upload_of_an_invalid_package(service):
    files = {k: v for k, v in tiny_package().items() if k != "probes.py"}
    assert_problem(upload(service, zip_bytes(files)), 422, "tiny-upload: missing probes.py")


def test_upload_failing_validation_is_rejected_with_the_reason(service):
    body = polled(service, zip_bytes(tiny_package(mutant="# caught by nothing\n")))
    assert body["status"] == "rejected", body
    assert body["error"] == "problem 'tiny-upload' failed validation: mutant abs_sum gets full marks"
    assert body["replaced"] is None and body["links"]["problem"] is None
    assert service.client.get("/api/v1/problems/tiny-upload", headers=service.auth(service.team)).status_code == 404


def test_upload_cannot_replace_a_built_in_problem(service):
    files = {**tiny_package(), "problem.toml": tiny_package()["problem.toml"].replace(b"tiny-upload", b"vae-mnist")}
    assert_problem(
        upload(service, zip_bytes(files)), 409, "problem 'vae-mnist' is built in; an upload cannot replace it"
    )


def test_upload_of_another_teams_private_slug_is_refused_at_once(start_service):
    service = start_service()
    acme, globex = (_team_key(service, name) for name in ("acme", "globex"))
    assert polled(service, zip_bytes(tiny_package()), key=acme)["status"] == "accepted"
    taken = upload(service, zip_bytes(tiny_package()), key=globex)
    assert_problem(taken, 409, "problem 'tiny-upload' belongs to another team's private bank; choose another slug")


def _team_key(service, team: str) -> str:
    with service.state.sessions() as session:
        return keys.create_key(session, Role.TEAM, team, team=team).secret


def test_uploads_beyond_the_teams_cap_are_429_while_another_team_can_upload(start_service):
    service = start_service(uploads={"max_per_team": 1})
    acme, globex = (_team_key(service, name) for name in ("acme", "globex"))
    slow = tiny_package("slow-one")
    slow["solution.py"] = b"# fake: sleep=0.5\n" + slow["solution.py"]  # validation takes seconds
    first = upload(service, zip_bytes(slow), key=acme)
    assert first.status_code == 202, first.text
    over = upload(service, zip_bytes(tiny_package("second-one")), key=acme)
    assert_problem(
        over,
        429,
        "1 uploads of this team are already waiting for or in validation; poll them (GET /problems/uploads/{id}) and upload again once one is decided",
    )
    assert over.headers["retry-after"] == str(service.state.settings.queue.retry_after_s)
    other = upload(service, zip_bytes(tiny_package("globex-one")), key=globex)
    assert other.status_code == 202, other.text
    assert decided(service.client, first.headers["location"], service.auth(acme))["status"] == "accepted"
    # Once decided, the team's upload no longer counts against the cap.
    assert polled(service, zip_bytes(tiny_package("second-one")), key=acme)["status"] == "accepted"
    assert decided(service.client, other.headers["location"], service.auth(globex))["status"] == "accepted"
    with service.state.sessions() as session:
        assert (
            session.scalar(select(func.count()).select_from(ProblemUpload).where(ProblemUpload.team == "acme")) == 2
        ), "the refused one left no row"


def test_an_upload_is_seen_by_its_team_and_admins_only(start_service):
    service = start_service()
    acme, acme2, globex = _team_key(service, "acme"), _team_key(service, "acme"), _team_key(service, "globex")
    answer = upload(service, zip_bytes(tiny_package()), key=acme)
    location = answer.headers["location"]
    decided(service.client, location, service.auth(acme))
    assert service.client.get(location, headers=service.auth(acme2)).status_code == 200
    assert service.client.get(location, headers=service.auth(service.admin)).status_code == 200
    assert_problem(
        service.client.get(location, headers=service.auth(globex)), 404, f"no upload '{answer.json()['id']}'"
    )
    refused = service.client.get(location, headers=service.auth(service.candidate))
    assert_problem(refused, 403, "only admin or team keys may do this; this key's role is candidate")
    assert service.client.get("/api/v1/problems/uploads/" + "0" * 32, headers=service.auth(acme)).status_code == 404


def test_a_team_named_public_cannot_upload_into_the_public_bank(start_service):
    service = start_service()
    answer = upload(service, zip_bytes(tiny_package()), key=_team_key(service, "public"))
    assert_problem(answer, 403, "a team named 'public' cannot upload problems: the name stands for the public bank")
    assert (
        service.client.get("/api/v1/problems/tiny-upload", headers=service.auth(service.candidate)).status_code == 404
    )


def test_uploads_left_by_a_dead_process_are_validated_after_a_restart(start_service, tmp_path):
    settings = Settings(problems={"dirs": [PROBLEMS]}, storage={"data_dir": tmp_path / "data"})
    engine = make_engine(settings)
    migrate(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        # Stored, then the process died before the queue took it.
        waiting = uploads.create(
            session, "acme", None, zip_bytes(tiny_package("never-dispatched")), "never-dispatched", 2
        ).id
        # Taken by a validation whose process died: running, its heartbeat old.
        running = uploads.create(session, "acme", None, zip_bytes(tiny_package("died-running")), "died-running", 2).id
        assert (
            uploads.claim(
                session, running, worker="dead", max_tries=3, heartbeat_timeout_s=30, exhausted_message="-"
            ).try_number
            == 1
        )
        session.execute(
            update(ProblemUpload)
            .where(ProblemUpload.id == running)
            .values(heartbeat_at=utcnow() - timedelta(minutes=5))
        )
        session.commit()
    engine.dispose()
    service = start_service(queue={"heartbeat_timeout_s": 1, "sweep_interval_s": 0.2})
    acme = _team_key(service, "acme")
    for upload_id, attempts in ((waiting, 1), (running, 2)):
        body = decided(service.client, f"/api/v1/problems/uploads/{upload_id}", service.auth(acme))
        assert (body["status"], body["attempts"]) == ("accepted", attempts), body
    assert service.client.get("/api/v1/problems/died-running", headers=service.auth(acme)).status_code == 200
