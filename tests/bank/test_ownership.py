"""Claims on uploaded slugs (judge.bank.ownership): one owner per slug, decided by the database
even when two uploads of the same new slug race, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from judge.bank import ownership
from judge.bank.loader import ProblemBank
from judge.bank.packages import ProblemConflict, accept_package, uploads_dir, with_uploads
from judge.storage.models import PUBLIC_OWNER, ProblemOwner
from tests.api.packages import tiny_package, zip_bytes
from tests.api.support import FakeSandbox


def race(*calls):
    """Run `calls` at once, each in its own thread; what each returned or raised, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = calls[index]()
        except Exception as exc:  # the outcome under test
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def claim(sessions, settings, team: str | None):
    def call() -> bool:
        with sessions() as session:
            return ownership.claim_upload(session, settings, "tiny-upload", team)

    return call


@pytest.mark.parametrize("round_", range(5))
def test_two_teams_claiming_one_new_slug_at_once_one_wins(sessions, database_settings, round_):
    outcomes = race(claim(sessions, database_settings, "acme"), claim(sessions, database_settings, "globex"))
    assert sorted(type(o).__name__ for o in outcomes) == ["ProblemConflict", "bool"]
    winner = "acme" if outcomes[0] is True else "globex"
    loser = outcomes[1] if winner == "acme" else outcomes[0]
    assert str(loser) in (
        "problem 'tiny-upload' belongs to another team's private bank; choose another slug",
        "another upload of problem 'tiny-upload' is under way; try again when it is done",
    )
    with sessions() as session:
        assert session.get(ProblemOwner, "tiny-upload").team == winner


def test_claims_by_owner(sessions, database_settings):
    settings = database_settings
    with sessions() as session:
        assert ownership.claim_upload(session, settings, "tiny-upload", None) is True
        assert session.get(ProblemOwner, "tiny-upload").team == PUBLIC_OWNER
        assert ownership.claim_upload(session, settings, "tiny-upload", None) is False
        with pytest.raises(ProblemConflict, match="public problem; only an admin key can replace it"):
            ownership.claim_upload(session, settings, "tiny-upload", "acme")
        # Nothing installed yet: the claim is given up; another owner may claim the slug now.
        ownership.release_upload(session, settings, "tiny-upload", None)
        assert ownership.claim_upload(session, settings, "tiny-upload", "acme") is True
        with pytest.raises(
            ProblemConflict, match="belongs to team 'acme''s private bank; an admin upload cannot replace it"
        ):
            ownership.claim_upload(session, settings, "tiny-upload", None)
        # Another team's release changes nothing.
        ownership.release_upload(session, settings, "tiny-upload", "globex")
        assert session.get(ProblemOwner, "tiny-upload").team == "acme"


def test_two_uploads_of_one_new_slug_at_once_install_one_package(sessions, database_settings):
    settings = with_uploads(database_settings)

    def upload(team: str, statement: bytes):
        files = {**tiny_package(), "statement.md": statement}
        return lambda: accept_package(
            zip_bytes(files),
            ProblemBank(settings),
            FakeSandbox(),
            ownership.upload_claim(sessions, settings, team, None),
        )

    outcomes = race(upload("acme", b"# acme\n"), upload("globex", b"# globex\n"))
    assert sorted(type(o).__name__ for o in outcomes) == ["Accepted", "ProblemConflict"]
    winner, statement = ("acme", "# acme\n") if not isinstance(outcomes[0], Exception) else ("globex", "# globex\n")
    with sessions() as session:
        assert session.get(ProblemOwner, "tiny-upload").team == winner
    assert (uploads_dir(settings) / "tiny-upload" / "statement.md").read_text() == statement
