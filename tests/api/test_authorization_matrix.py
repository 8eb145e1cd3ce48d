"""Every API route x every kind of caller, on resources of one team (acme): its own keys, another
team's (globex), an admin, a candidate key, acme's invited candidate, another team's invited
candidate, and nobody. A route added without a row here fails `test_every_route_has_a_row`.

The rules (docs/security.md, "Roles"): a team sees and changes only its own assessments,
submissions and private problems, and another team's are a 404 exactly like an unknown id; a
candidate key sees only its own submissions and the public bank; an invitation reaches only the
candidate routes, and only its own attempts; an admin sees everything; nobody unauthenticated
reaches anything but the health and metrics endpoints.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from judge.storage import keys
from judge.storage.models import Role
from tests.api.packages import tiny_package, zip_bytes
from tests.api.test_assessments import HOUR, T0, Clock

CALLERS = ("nobody", "candidate_key", "invitee", "other_invitee", "own_team", "other_team", "admin")
OK = "ok"  # any 2xx
SOURCE = "# fake: fail=\nimport torch\n"
FLAGGED = "# fake: fail=\nimport gc\n"


@dataclass
class World:
    """acme's resources, and a credential per caller."""

    client: object
    credentials: dict[str, str | None]
    ids: dict[str, str]

    def request(self, caller: str, method: str, path: str, **kwargs):
        """`method path` as `caller` (path formatted with the world's ids)."""
        secret = self.credentials[caller]
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        return self.client.request(method, path.format(**self.ids), headers=headers, **kwargs)


def _write_package(root: Path, slug: str) -> None:
    for name, data in tiny_package(slug).items():
        target = root / slug / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


@pytest.fixture
def world(start_service, tmp_path) -> World:
    """acme with a private problem, an assessment, two invitations (one taken), a practice submission;
    globex with an assessment and an invitation; a candidate key with a submission."""
    bank = tmp_path / "acme-bank"
    _write_package(bank, "acme-private")
    # A wrong kind of credential is a failed authentication; this test makes many on purpose.
    # and sends many requests with each key at once: neither limit is what it tests.
    service = start_service(
        problems={"team_dirs": {"acme": [bank]}},
        rate_limits={"auth_failures_per_minute": 10**6, "burst": 10**6, "per_minute": 10**6, "runs_per_minute": 10**6},
    )
    service.state.clock = Clock(T0)
    with service.state.sessions() as session:
        acme = keys.create_key(session, Role.TEAM, "acme", team="acme").secret
        globex = keys.create_key(session, Role.TEAM, "globex", team="globex").secret
    client = service.client

    def call(secret: str, method: str, path: str, **kwargs):
        answer = client.request(method, f"/api/v1{path}", headers={"Authorization": f"Bearer {secret}"}, **kwargs)
        assert answer.status_code < 300, answer.text
        return answer.json()

    window = {
        "opens_at": T0.isoformat(),
        "closes_at": (T0 + 8 * HOUR).isoformat(),
        "duration_s": 3600,
        "max_attempts": 5,
    }
    assessment = call(
        acme,
        "POST",
        "/assessments",
        json={"title": "acme", "problems": [{"problem": "kl-divergence"}, {"problem": "acme-private"}], **window},
    )
    taken = call(acme, "POST", f"/assessments/{assessment['id']}/invitations", json={"candidate_name": "Ada"})
    spare = call(acme, "POST", f"/assessments/{assessment['id']}/invitations", json={"candidate_name": "Bob"})
    theirs = call(
        globex, "POST", "/assessments", json={"title": "globex", "problems": [{"problem": "kl-divergence"}], **window}
    )
    their_invite = call(globex, "POST", f"/assessments/{theirs['id']}/invitations", json={"candidate_name": "Eve"})
    call(taken["token"], "POST", "/candidate/start")
    entry = call(taken["token"], "POST", "/candidate/submissions", json={"problem": "kl-divergence", "source": SOURCE})
    call(taken["token"], "GET", f"/candidate/submissions/{entry['id']}", params={"wait": 20})
    practice = call(
        acme, "POST", "/submissions", json={"problem": "acme-private", "source": "def add(a, b):\n    return a + b\n"}
    )
    call(acme, "GET", f"/submissions/{practice['id']}", params={"wait": 20})
    practice_run = call(acme, "POST", "/runs", json={"problem": "acme-private", "source": SOURCE})
    candidate_run = call(taken["token"], "POST", "/candidate/runs", json={"problem": "acme-private", "source": SOURCE})
    # An attempt with an integrity flag (`import gc`, line 2), for the review routes.
    flagged = call(
        taken["token"], "POST", "/candidate/submissions", json={"problem": "acme-private", "source": FLAGGED}
    )
    call(taken["token"], "GET", f"/candidate/submissions/{flagged['id']}", params={"wait": 20})
    known = call(
        acme, "POST", "/known-solutions", json={"problem": "kl-divergence", "label": "leak", "source": "x = 1\n"}
    )
    upload = call(acme, "POST", "/problems", files={"package": ("p.zip", zip_bytes(tiny_package("acme-upload")))})
    own = call(service.candidate, "POST", "/submissions", json={"problem": "kl-divergence", "source": SOURCE})
    call(service.candidate, "GET", f"/submissions/{own['id']}", params={"wait": 20})
    return World(
        client=client,
        credentials={
            "nobody": None,
            "candidate_key": service.candidate,
            "invitee": taken["token"],
            "other_invitee": their_invite["token"],
            "own_team": acme,
            "other_team": globex,
            "admin": service.admin,
        },
        ids={
            "assessment": assessment["id"],
            "taken": taken["id"],
            "spare": spare["id"],
            "entry": entry["id"],
            "practice": practice["id"],
            "candidate_submission": own["id"],
            "upload": upload["id"],
            "known": known["id"],
            "practice_run": practice_run["id"],
            "candidate_run": candidate_run["id"],
            "flag": "ast:acme-private:gc:2",
        },
    )


def expect(nobody, candidate_key, invitee, other_invitee, own_team, other_team, admin) -> dict[str, object]:
    """One row's expected status per caller, in CALLERS order."""
    return dict(zip(CALLERS, (nobody, candidate_key, invitee, other_invitee, own_team, other_team, admin), strict=True))


# Team routes on acme's assessment: acme and admins; another team gets the 404 of an unknown id.
TEAMS_OWN = expect(401, 403, 401, 401, OK, 404, OK)
# Team routes not about one team's resource: every team and admins.
TEAMS_ANY = expect(401, 403, 401, 401, OK, OK, OK)
# acme's private problem: acme and admins; nobody else learns it exists.
PRIVATE_PROBLEM = expect(401, 404, 401, 401, OK, 404, OK)
# acme's practice submission: acme and admins.
TEAM_SUBMISSION = expect(401, 404, 401, 401, OK, 404, OK)
# The candidate routes: an invitation, never an API key.
INVITEE = expect(401, 401, OK, OK, 401, 401, 401)
# acme's candidate's own attempt: only that invitation.
INVITEE_OWN = expect(401, 401, OK, 404, 401, 401, 401)
# Any key may use the public bank and submit practice work.
ANY_KEY = expect(401, OK, 401, 401, OK, OK, OK)
OPEN = expect(OK, OK, OK, OK, OK, OK, OK)

Row = tuple[str, str, dict[str, object], Callable[[], dict] | None]

ROWS: list[Row] = [
    ("GET", "/api/v1/submissions", ANY_KEY, None),
    ("POST", "/api/v1/submissions", ANY_KEY, lambda: {"json": {"problem": "kl-divergence", "source": SOURCE}}),
    ("GET", "/api/v1/submissions/{practice}", TEAM_SUBMISSION, None),
    ("GET", "/api/v1/submissions/{practice}/events", TEAM_SUBMISSION, None),
    ("GET", "/api/v1/submissions/{candidate_submission}", expect(401, OK, 401, 401, 404, 404, OK), None),
    ("GET", "/api/v1/problems", ANY_KEY, None),
    (
        "POST",
        "/api/v1/problems",
        expect(401, 403, 401, 401, OK, OK, OK),
        lambda: {"files": {"package": ("p.zip", zip_bytes(tiny_package("matrix-upload")))}},
    ),
    ("GET", "/api/v1/problems/uploads/{upload}", expect(401, 403, 401, 401, OK, 404, OK), None),
    ("GET", "/api/v1/problems/acme-private", PRIVATE_PROBLEM, None),
    ("GET", "/api/v1/problems/acme-private/starter", PRIVATE_PROBLEM, None),
    ("GET", "/api/v1/problems/kl-divergence", ANY_KEY, None),
    ("GET", "/api/v1/assessments", TEAMS_ANY, None),
    (
        "POST",
        "/api/v1/assessments",
        TEAMS_ANY,
        lambda: {
            "json": {
                "title": "t",
                "problems": [{"problem": "kl-divergence"}],
                "opens_at": T0.isoformat(),
                "closes_at": (T0 + HOUR).isoformat(),
                "duration_s": 60,
            }
        },
    ),
    ("GET", "/api/v1/assessments/{assessment}", TEAMS_OWN, None),
    ("GET", "/api/v1/assessments/{assessment}/invitations", TEAMS_OWN, None),
    ("POST", "/api/v1/assessments/{assessment}/invitations", TEAMS_OWN, lambda: {"json": {"candidate_name": "New"}}),
    ("GET", "/api/v1/assessments/{assessment}/report", TEAMS_OWN, None),
    ("GET", "/api/v1/assessments/{assessment}/report/candidates/{taken}", TEAMS_OWN, None),
    ("GET", "/api/v1/assessments/{assessment}/export", TEAMS_OWN, None),
    ("GET", "/api/v1/assessments/{assessment}/rejudges", TEAMS_OWN, None),
    (
        "PUT",
        "/api/v1/assessments/{assessment}/candidates/{taken}/flags/{flag}/review",
        TEAMS_OWN,
        lambda: {"json": {"outcome": "dismissed", "note": "checked"}},
    ),
    ("DELETE", "/api/v1/assessments/{assessment}/candidates/{taken}/flags/{flag}/review", TEAMS_OWN, None),
    ("POST", "/api/v1/assessments/{assessment}/rejudge", TEAMS_OWN, lambda: {"json": {}}),
    ("POST", "/api/v1/assessments/{assessment}/invitations/bulk", TEAMS_OWN, lambda: {"json": {"csv": "Nia\nOla"}}),
    # Before the DELETE row: a withdrawn invitation is not re-issued.
    ("POST", "/api/v1/assessments/{assessment}/invitations/{spare}/reissue", TEAMS_OWN, None),
    ("DELETE", "/api/v1/assessments/{assessment}/invitations/{spare}", TEAMS_OWN, None),
    ("GET", "/api/v1/practice-problems", expect(401, 403, 401, 401, OK, OK, OK), None),
    ("PUT", "/api/v1/practice-problems/kl-divergence", expect(401, 403, 401, 401, OK, OK, OK), None),
    ("DELETE", "/api/v1/practice-problems/kl-divergence", expect(401, 403, 401, 401, OK, OK, OK), None),
    # Known solutions: a team's own corpus; another team's is a 404.
    ("GET", "/api/v1/known-solutions", TEAMS_ANY, None),
    (
        "POST",
        "/api/v1/known-solutions",
        TEAMS_ANY,
        lambda: {"json": {"problem": "kl-divergence", "label": "l", "source": "y = 2\n"}},
    ),
    ("DELETE", "/api/v1/known-solutions/{known}", TEAMS_OWN, None),
    ("GET", "/api/v1/candidate", INVITEE, None),
    ("GET", "/api/v1/candidate/problems/kl-divergence", expect(401, 401, OK, 409, 401, 401, 401), None),
    ("GET", "/api/v1/candidate/problems/acme-private", expect(401, 401, OK, 404, 401, 401, 401), None),
    # Drafts: the path names only the problem; each invitation reaches its own (Eve has not started).
    ("GET", "/api/v1/candidate/drafts/kl-divergence", expect(401, 401, OK, 409, 401, 401, 401), None),
    ("GET", "/api/v1/candidate/drafts/acme-private", expect(401, 401, OK, 404, 401, 401, 401), None),
    (
        "PUT",
        "/api/v1/candidate/drafts/kl-divergence",
        expect(401, 401, OK, 409, 401, 401, 401),
        lambda: {"json": {"source": SOURCE}},
    ),
    (
        "PUT",
        "/api/v1/candidate/drafts/acme-private",
        expect(401, 401, OK, 404, 401, 401, 401),
        lambda: {"json": {"source": SOURCE}},
    ),
    ("GET", "/api/v1/candidate/problems/kl-divergence/starter", expect(401, 401, OK, 409, 401, 401, 401), None),
    ("GET", "/api/v1/candidate/problems/acme-private/starter", expect(401, 401, OK, 404, 401, 401, 401), None),
    ("GET", "/api/v1/candidate/submissions", INVITEE, None),
    ("GET", "/api/v1/candidate/submissions/{entry}", INVITEE_OWN, None),
    ("GET", "/api/v1/candidate/submissions/{entry}/events", INVITEE_OWN, None),
    ("POST", "/api/v1/candidate/start", INVITEE, None),
    (
        "POST",
        "/api/v1/candidate/submissions",
        expect(401, 401, 202, 404, 401, 401, 401),
        lambda: {"json": {"problem": "acme-private", "source": SOURCE}},
    ),
    # Runs: any key on the problems it sees, a candidate on their assessment's; each readable by its maker alone.
    ("POST", "/api/v1/runs", ANY_KEY, lambda: {"json": {"problem": "kl-divergence", "source": SOURCE}}),
    ("GET", "/api/v1/runs/{practice_run}", expect(401, 404, 401, 401, OK, 404, 404), None),
    (
        "POST",
        "/api/v1/candidate/runs",
        expect(401, 401, 202, 404, 401, 401, 401),
        lambda: {"json": {"problem": "acme-private", "source": SOURCE}},
    ),
    ("GET", "/api/v1/runs/{practice_run}/events", expect(401, 404, 401, 401, OK, 404, 404), None),
    ("GET", "/api/v1/candidate/runs/{candidate_run}", INVITEE_OWN, None),
    ("GET", "/api/v1/candidate/runs/{candidate_run}/events", INVITEE_OWN, None),
    # Playback: the path names only the problem, so each invitation writes its own log (Eve's assessment has
    # kl-divergence too); only the assessment's team reads one.
    (
        "POST",
        "/api/v1/candidate/playback/kl-divergence",
        INVITEE,
        lambda: {"json": {"page": "matrix-page", "seq": 0, "sent_at": 0, "events": []}},
    ),
    (
        "POST",
        "/api/v1/candidate/playback/acme-private",
        expect(401, 401, OK, 404, 401, 401, 401),
        lambda: {"json": {"page": "matrix-page", "seq": 1, "sent_at": 0, "events": []}},
    ),
    ("GET", "/api/v1/assessments/{assessment}/candidates/{taken}/playback/kl-divergence", TEAMS_OWN, None),
    ("POST", "/api/v1/candidate/finish", INVITEE, None),
    ("GET", "/healthz", OPEN, None),
    ("GET", "/readyz", OPEN, None),
    ("GET", "/metrics", OPEN, None),
]


def _matches(status: int, expected: object) -> bool:
    return 200 <= status < 300 if expected == OK else status == expected


@pytest.mark.parametrize("caller", CALLERS)
def test_each_caller_reaches_exactly_what_its_role_allows(world, caller):
    wrong = []
    for method, path, expected, body in ROWS:
        answer = world.request(caller, method, path, **(body() if body else {}))
        if not _matches(answer.status_code, expected[caller]):
            wrong.append(f"{method} {path}: {answer.status_code}, expected {expected[caller]}: {answer.text[:200]}")
        elif answer.status_code >= 400:
            assert answer.headers["content-type"].startswith("application/problem+json"), (
                f"{method} {path}: {answer.headers['content-type']}"
            )
    assert not wrong, "\n".join(wrong)


def test_lists_hold_only_what_the_caller_may_see(world):
    def listed(caller: str, path: str) -> set[str]:
        answer = world.request(caller, "GET", path)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items = body["items"] if isinstance(body, dict) else body
        return {item.get("id") or item.get("slug") for item in items}

    practice, theirs = world.ids["practice"], world.ids["candidate_submission"]
    assert practice in listed("own_team", "/api/v1/submissions")
    assert practice not in listed("other_team", "/api/v1/submissions")
    assert listed("candidate_key", "/api/v1/submissions") == {theirs}
    assert {practice, theirs} <= listed("admin", "/api/v1/submissions")
    runs = {world.ids["practice_run"], world.ids["candidate_run"]}
    assert not runs & (listed("own_team", "/api/v1/submissions") | listed("admin", "/api/v1/submissions"))
    assert "acme-private" in listed("own_team", "/api/v1/problems")
    assert "acme-private" not in listed("other_team", "/api/v1/problems") | listed("candidate_key", "/api/v1/problems")
    assert world.ids["assessment"] not in listed("other_team", "/api/v1/assessments")


def test_every_route_has_a_row(world):
    schema = world.client.get("/api/v1/openapi.json").json()
    routes = {(method.upper(), path) for path, operations in schema["paths"].items() for method in operations}
    normalized = {(method, _template(path)) for method, path, _expected, _body in ROWS}
    missing = sorted(r for r in routes if (r[0], _template(r[1])) not in normalized)
    assert not missing, f"routes without a row in the authorization matrix: {missing}"


def _template(path: str) -> str:
    """A path with every {parameter} (and every concrete slug the rows use) made one placeholder."""
    path = re.sub(r"\{[^}]+\}", "{}", path)
    return re.sub(r"/(kl-divergence|acme-private)(?=/|$)", "/{}", path)
