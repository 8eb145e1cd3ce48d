"""Who may replace an uploaded problem (its owner only: a team, or admins for a public one), and
package versions: an assessment grades the package it was created with, whatever is uploaded later."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from judge.storage import keys
from judge.storage.models import PUBLIC_OWNER, AssessmentProblem, ProblemOwner, ProblemUpload, Role, Submission
from tests.api.packages import tiny_package, uploaded, zip_bytes
from tests.api.test_assessments import T0, Clock, Team, started
from tests.api.test_errors import assert_problem

# Under the FakeSandbox this source passes check alpha (1 point) and fails beta.
HALF_RIGHT = "# fake: fail=beta\ndef add(a, b):\n    return a + b\n"


def version_two() -> dict[str, bytes]:
    """tiny-upload again with another title and check beta worth 5 points instead of 2."""
    files = tiny_package()
    files["problem.toml"] = (
        files["problem.toml"]
        .replace(b'title = "A tiny problem"', b'title = "A tiny problem, v2"')
        .replace(b"points = 2", b"points = 5")
    )
    files["statement.md"] = b"# Add, version two\n"
    return files


@pytest.fixture
def teams(start_service):
    """The service on a clock at T0, with team acme, team globex and the admin as Team callers."""
    service = start_service()
    service.state.clock = Clock(T0)
    with service.state.sessions() as session:
        acme = keys.create_key(session, Role.TEAM, "acme", team="acme").secret
        globex = keys.create_key(session, Role.TEAM, "globex", team="globex").secret
    return service, Team(service, acme), Team(service, globex), Team(service, service.admin)


def upload(caller: Team, files: dict[str, bytes]):
    """POST /problems with `files` zipped, as `caller`: the answer (202, or a refusal at once)."""
    return caller.call("POST", "/problems", files={"package": ("p.zip", zip_bytes(files), "application/zip")})


def installed(caller: Team, files: dict[str, bytes]) -> dict:
    """Upload `files` as `caller` and wait until validated; the upload's final status."""
    return uploaded(caller.service.client, zip_bytes(files), caller.service.auth(caller.key))


def accepted(caller: Team, files: dict[str, bytes], replaced: bool = False) -> None:
    """Upload `files` as `caller`; assert it was accepted (replacing an earlier upload or not)."""
    status = installed(caller, files)
    assert (status["status"], status["replaced"]) == ("accepted", replaced), status


def owner_of(service, slug: str) -> str | None:
    with service.state.sessions() as session:
        return session.scalar(select(ProblemOwner.team).where(ProblemOwner.problem == slug))


def test_a_team_cannot_take_over_an_admins_public_upload(teams):
    service, acme, globex, admin = teams
    accepted(admin, tiny_package())
    assert owner_of(service, "tiny-upload") == PUBLIC_OWNER
    taken = upload(globex, version_two())
    assert_problem(taken, 409, "problem 'tiny-upload' is a public problem; only an admin key can replace it")
    # Still public and still the admin's package, for every team and candidate.
    for caller in (acme, globex, Team(service, service.candidate)):
        detail = caller.call("GET", "/problems/tiny-upload")
        assert detail.status_code == 200 and detail.json()["title"] == "A tiny problem"
        assert "tiny-upload" in [p["slug"] for p in caller.call("GET", "/problems").json()]
    assert owner_of(service, "tiny-upload") == PUBLIC_OWNER
    accepted(admin, version_two(), replaced=True)
    assert acme.call("GET", "/problems/tiny-upload").json()["title"] == "A tiny problem, v2"


def test_an_upload_made_before_owners_were_recorded_is_public(teams):
    service, _acme, globex, admin = teams
    accepted(admin, tiny_package())
    with service.state.sessions() as session:
        session.execute(delete(ProblemOwner))
        session.commit()
    assert_problem(
        upload(globex, version_two()),
        409,
        "problem 'tiny-upload' is a public problem; only an admin key can replace it",
    )
    accepted(admin, version_two(), replaced=True)
    assert owner_of(service, "tiny-upload") == PUBLIC_OWNER


def test_only_the_owning_team_replaces_its_private_upload(teams):
    service, acme, globex, admin = teams
    accepted(acme, tiny_package())
    assert_problem(
        upload(globex, version_two()),
        409,
        "problem 'tiny-upload' belongs to another team's private bank; choose another slug",
    )
    # An admin does not silently turn a team's private problem into a public one either.
    assert_problem(
        upload(admin, version_two()),
        409,
        "problem 'tiny-upload' belongs to team 'acme''s private bank; an admin upload cannot replace it",
    )
    assert globex.call("GET", "/problems/tiny-upload").status_code == 404
    accepted(acme, version_two(), replaced=True)
    assert owner_of(service, "tiny-upload") == "acme"


def test_a_refused_upload_gives_its_claim_on_the_slug_up(teams):
    service, acme, globex, _admin = teams
    broken = installed(globex, tiny_package(mutant="# caught by nothing\n"))
    assert (broken["status"], broken["error"]) == (
        "rejected",
        "problem 'tiny-upload' failed validation: mutant abs_sum gets full marks",
    )
    assert owner_of(service, "tiny-upload") is None
    accepted(acme, tiny_package())
    assert owner_of(service, "tiny-upload") == "acme"


def test_an_assessment_keeps_grading_the_version_it_was_created_with(teams):
    service, acme, _globex, admin = teams
    accepted(admin, tiny_package())
    assessment = acme.create(problems=[{"problem": "tiny-upload"}])
    assert assessment["problems"][0]["points"] == 3
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    # The admin publishes a new version while the assessment runs: beta is now worth 5 of 6 points.
    accepted(admin, version_two(), replaced=True)
    graded = ada.submitted(HALF_RIGHT, problem="tiny-upload")
    assert graded["score"] == 1  # alpha's 1 of the created version's 3 raw points, on 3 points
    assert [(c["id"], c["points"], c["max_points"]) for c in graded["checks"]] == [("alpha", 1, 1), ("beta", 0, 2)]
    # The candidate reads the created version; the team's view names it too.
    shown = ada.call("GET", "/problems/tiny-upload").json()
    assert shown["title"] == "A tiny problem" and shown["statement"].startswith("# Add\n")
    assert acme.call("GET", f"/assessments/{assessment['id']}").json()["problems"][0]["max_score"] == 3
    # Practice submissions, and assessments created from now on, get the new version.
    practice = service.wait(
        service.candidate, service.submit(service.candidate, HALF_RIGHT, problem="tiny-upload")["id"]
    )
    assert (practice["score"], practice["max_score"]) == (1, 6)
    assert acme.create(problems=[{"problem": "tiny-upload"}])["problems"][0]["points"] == 6
    with service.state.sessions() as session:
        pinned = {row.assessment_id: row.package_hash for row in session.scalars(select(AssessmentProblem))}
        graded_with = session.scalar(select(Submission.package_hash).where(Submission.owner_key_id.is_(None)))
        versions = set(session.scalars(select(ProblemUpload.package_hash)))
    assert len(set(pinned.values())) == 2 and graded_with == pinned[assessment["id"]]
    assert versions == set(pinned.values())  # each accepted upload names the version it installed
    # A rejudge grades the same version again, unless the team asks for the current package.
    assert acme.call("POST", f"/assessments/{assessment['id']}/rejudge", json={}).status_code == 202
    assert ada.wait(graded["id"])["score"] == 1
    assert (
        acme.call("POST", f"/assessments/{assessment['id']}/rejudge", json={"current_package": True}).status_code == 202
    )
    assert ada.wait(graded["id"])["score"] == 0.5
    assert ada.call("GET", "/problems/tiny-upload").json()["title"] == "A tiny problem, v2"


def test_built_in_problems_are_kept_as_versions_too(teams):
    service, acme, _globex, _admin = teams
    assessment = acme.create()
    with service.state.sessions() as session:
        hashes = list(
            session.scalars(
                select(AssessmentProblem.package_hash).where(AssessmentProblem.assessment_id == assessment["id"])
            )
        )
    assert len(hashes) == 2 and all(len(h) == 64 for h in hashes)
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    assert ada.submitted("# fake: fail=none\n")["score"] == 30
