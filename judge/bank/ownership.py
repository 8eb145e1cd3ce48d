"""Which problems a team sees and may use: the public bank, plus its private bank.

- Public: the configured problem directories (the built-in bank) and uploads made with an admin key
  (owned by PUBLIC_OWNER: only an admin may replace them).
- Private: problems a team uploaded with a team key, and the directories settings.problems.team_dirs
  names for that team; only that team (and admins) see them, list them, submit to them or put them
  in an assessment. Another team asking for one gets the same 404 as for a problem that does not exist.
- Every uploaded slug has one owner, claimed before its package is validated: nobody else's upload
  can replace it (409), neither a team's over a public problem nor an admin's over a team's.
- Practice-only: a team may mark a public problem practice-only (its checks are in the public
  repository, so candidates may have read them). Its members and candidates still see and practise
  it over /submissions, but the team cannot put it in a new assessment; assessments that already
  hold it keep it. A team's private problems cannot be marked: they are never public.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from judge.bank.loader import find_packages
from judge.bank.packages import Claim, ProblemConflict, uploads_dir
from judge.errors import JudgeError, ProblemNotFound
from judge.problem import Problem, load_problem
from judge.settings import Settings
from judge.storage.models import PUBLIC_OWNER, PracticeMark, ProblemOwner, utcnow


class NotPublic(JudgeError):
    """Asked of a team's private problem what only a public problem allows (marking it practice-only)."""


@dataclass(frozen=True)
class Viewer:
    """Who is looking at the bank: a team (None for a candidate key), or an admin who sees everything."""

    team: str | None
    admin: bool = False


def team_directories(settings: Settings) -> dict[str, list[Path]]:
    """Each team's private problem directories, resolved."""
    return {team: [Path(d).resolve() for d in dirs] for team, dirs in settings.problems.team_dirs.items()}


def public_roots(settings: Settings) -> list[Path]:
    """The configured bank directories, without the uploads directory and teams' private directories."""
    private = {d for dirs in team_directories(settings).values() for d in dirs} | {uploads_dir(settings)}
    return [Path(d).resolve() for d in settings.problems.dirs if Path(d).resolve() not in private]


def owners(session: Session, settings: Settings) -> dict[str, str]:
    """Slug -> owning team, for every private problem (uploaded by a team, or in a team's directory);
    an admin's uploads (owner PUBLIC_OWNER) are public, not in it."""
    owned = {
        row.problem: row.team for row in session.scalars(select(ProblemOwner).where(ProblemOwner.team != PUBLIC_OWNER))
    }
    for team, dirs in team_directories(settings).items():
        for slug in find_packages(dirs):
            owned.setdefault(slug, team)
    return owned


def visible_directories(session: Session, settings: Settings, viewer: Viewer) -> dict[str, Path]:
    """Slug -> package directory of every problem `viewer` may see, as the grader finds them."""
    everything = find_packages(settings.problems.dirs)
    for dirs in team_directories(settings).values():
        for slug, directory in find_packages(dirs).items():
            everything.setdefault(slug, directory)
    if viewer.admin:
        return everything
    owned = owners(session, settings)
    public = set(find_packages(public_roots(settings)))
    return {
        slug: directory
        for slug, directory in everything.items()
        if slug in public or owned.get(slug) is None or owned.get(slug) == viewer.team
    }


def visible_problem(session: Session, settings: Settings, viewer: Viewer, slug: str) -> Problem:
    """One problem `viewer` may see; ProblemNotFound otherwise (also for another team's)."""
    visible = visible_directories(session, settings, viewer)
    directory = visible.get(slug)
    if directory is None:
        raise ProblemNotFound(f"no problem {slug!r} (known: {', '.join(sorted(visible)) or 'none'})")
    return load_problem(directory)


def is_private(session: Session, settings: Settings, slug: str) -> bool:
    """Whether the problem belongs to some team's private bank."""
    return slug in owners(session, settings) and slug not in find_packages(public_roots(settings))


def _owner(team: str | None) -> str:
    """The owner an upload by `team` gets: the team, or PUBLIC_OWNER for an admin's (team None)."""
    return team if team is not None else PUBLIC_OWNER


def _refuse(slug: str, owner: str, team: str | None) -> ProblemConflict:
    if owner == PUBLIC_OWNER:
        return ProblemConflict(f"problem {slug!r} is a public problem; only an admin key can replace it")
    if team is None:
        return ProblemConflict(
            f"problem {slug!r} belongs to team {owner!r}'s private bank; an admin upload cannot replace it"
        )
    return ProblemConflict(f"problem {slug!r} belongs to another team's private bank; choose another slug")


def check_upload(session: Session, settings: Settings, slug: str, team: str | None) -> ProblemOwner | None:
    """Refuse (ProblemConflict) an upload by `team` (None: an admin, whose uploads are public) over a
    slug someone else owns or a private directory's problem, claiming nothing; the slug's owner row
    (the caller's), or None when the slug is free."""
    in_team_dir = any(slug in find_packages(dirs) for dirs in team_directories(settings).values())
    if in_team_dir:
        raise ProblemConflict(f"problem {slug!r} is in a private bank directory; an upload cannot replace it")
    row = session.get(ProblemOwner, slug)
    if row is not None:
        if row.team != _owner(team):
            raise _refuse(slug, row.team, team)
        return row
    if team is not None and slug in find_packages([uploads_dir(settings)]):
        # Uploaded before every upload had an owner: only an admin's uploads went unrecorded.
        raise _refuse(slug, PUBLIC_OWNER, team)
    return None


def claim_upload(session: Session, settings: Settings, slug: str, team: str | None, key_id: str | None = None) -> bool:
    """Claim `slug` for an upload by `team` (None: an admin, whose uploads are public) before its
    package is validated; True when this made a new claim (see release_upload), False when the
    caller already owns the slug. ProblemConflict as check_upload says, or over a slug another
    upload claimed a moment earlier."""
    if check_upload(session, settings, slug, team) is not None:
        return False
    # The primary key decides a race: of two uploads claiming a new slug at once, one insert fails.
    session.add(ProblemOwner(problem=slug, team=_owner(team), uploaded_by_key_id=key_id, created_at=utcnow()))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        winner = session.get(ProblemOwner, slug)
        if winner is not None and winner.team != _owner(team):
            raise _refuse(slug, winner.team, team) from None
        raise ProblemConflict(f"another upload of problem {slug!r} is under way; try again when it is done") from None
    return True


def release_upload(session: Session, settings: Settings, slug: str, team: str | None) -> None:
    """Give up `team`'s claim on `slug` after its package was refused, unless some version of the
    slug is installed (the claim then guards that version)."""
    installed = uploads_dir(settings) / slug
    if installed.exists() or installed.is_symlink():
        return
    session.execute(delete(ProblemOwner).where(ProblemOwner.problem == slug, ProblemOwner.team == _owner(team)))
    session.commit()


def upload_claim(sessions: sessionmaker[Session], settings: Settings, team: str | None, key_id: str | None) -> Claim:
    """The `claim` of judge.bank.packages.accept_package for an upload by `team` (None: an admin)."""

    def claim(slug: str) -> Callable[[], None] | None:
        with sessions() as session:
            if not claim_upload(session, settings, slug, team, key_id=key_id):
                return None

        def release() -> None:
            with sessions() as session:
                release_upload(session, settings, slug, team)

        return release

    return claim


def record_upload(session: Session, slug: str, team: str | None, key_id: str | None) -> None:
    """Record the owner of an installed upload by `team` (None: an admin's, public), should its
    claim be missing (the claim is normally made by claim_upload before validation)."""
    if session.get(ProblemOwner, slug) is not None:
        return
    session.add(ProblemOwner(problem=slug, team=_owner(team), uploaded_by_key_id=key_id, created_at=utcnow()))
    try:
        session.commit()
    except IntegrityError:
        # Claimed meanwhile: that claim stands.
        session.rollback()


def practice_only(session: Session, team: str) -> list[str]:
    """The public problems `team` marked practice-only, sorted."""
    return sorted(session.scalars(select(PracticeMark.problem).where(PracticeMark.team == team)))


def is_practice_only(session: Session, team: str, slug: str) -> bool:
    """Whether `team` marked this problem practice-only."""
    return session.get(PracticeMark, (team, slug)) is not None


def mark_practice_only(session: Session, settings: Settings, team: str, slug: str) -> None:
    """Mark a public problem practice-only for `team` (idempotent)."""
    visible_problem(session, settings, Viewer(team), slug)
    if is_private(session, settings, slug):
        raise NotPublic(f"problem {slug!r} is in your private bank; only public problems can be practice-only")
    if not is_practice_only(session, team, slug):
        session.add(PracticeMark(team=team, problem=slug, created_at=utcnow()))
        session.commit()


def unmark_practice_only(session: Session, team: str, slug: str) -> None:
    """Make a problem usable in `team`'s assessments again (idempotent)."""
    session.execute(delete(PracticeMark).where(PracticeMark.team == team, PracticeMark.problem == slug))
    session.commit()
