"""A team's corpus of known solutions per problem (answers leaked online, an assistant's answer the team
generated): stored, listed and deleted within the team, and compared with every counted submission
(judge/assessments/matches.py)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from judge.assessments.errors import InvalidKnownSolution, KnownSolutionNotFound, KnownSolutionTooLarge
from judge.bank.ownership import Viewer, visible_problem
from judge.bundle import syntax_problem
from judge.problem import SLUG_PATTERN, Kind
from judge.settings import Settings
from judge.storage import known_solutions
from judge.storage.models import KnownSolution

MAX_LABEL_CHARS = 200


class KnownSolutionCreate(BaseModel):
    """A known solution to add to the team's corpus."""

    model_config = {"extra": "forbid"}

    problem: str = Field(pattern=SLUG_PATTERN, description="The code problem it solves.")
    label: str = Field(
        min_length=1,
        max_length=MAX_LABEL_CHARS,
        description="Where it comes from, shown on flags: 'forum post 2026-11'.",
    )
    source: str = Field(
        description="The Python source; for a problem of several files, the bundle text a submission of it would be."
    )


class KnownSolutionView(BaseModel):
    """One known solution of the team's corpus."""

    id: str
    problem: str
    label: str
    source: str
    lines: int = Field(ge=0)
    created_at: datetime


def view(row: KnownSolution) -> KnownSolutionView:
    """The API's view of a stored known solution."""
    return KnownSolutionView(
        id=row.id,
        problem=row.problem,
        label=row.label,
        source=row.source,
        lines=len(row.source.splitlines()),
        created_at=row.created_at,
    )


def decode(data: bytes) -> str:
    """An uploaded file's text; InvalidKnownSolution when it is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidKnownSolution(f"a known solution must be UTF-8 text (byte {exc.start} is not)") from exc


def add(
    session: Session, settings: Settings, viewer: Viewer, body: KnownSolutionCreate, key_id: str | None, now: datetime
) -> KnownSolutionView:
    """Store a known solution in the viewer's team's corpus after checking it: a code problem the team can
    see, at most the submission size limit, Python (every file of a bundle) that compiles."""
    team = _team(viewer)
    size = len(body.source.encode("utf-8", errors="surrogatepass"))
    if size > settings.limits.max_source_bytes:
        raise KnownSolutionTooLarge(
            f"the known solution is {size} bytes; the limit is {settings.limits.max_source_bytes}"
        )
    if not body.label.strip():
        raise InvalidKnownSolution("a known solution needs a label saying where it comes from")
    problem = visible_problem(session, settings, viewer, body.problem)
    if problem.spec.kind is not Kind.CODE:
        raise InvalidKnownSolution(f"{body.problem!r} is a quiz; known solutions are for code problems")
    if not body.source.strip():
        raise InvalidKnownSolution("the known solution is empty")
    broken = syntax_problem(body.source, problem.file_names)
    if broken is not None:
        raise InvalidKnownSolution(
            f"the known solution is not Python that compiles: line {broken.line}: {broken.message}"
        )
    row = known_solutions.add(
        session, team=team, problem=body.problem, label=body.label.strip(), source=body.source, key_id=key_id, now=now
    )
    return view(row)


def listed(session: Session, viewer: Viewer, problem: str | None = None) -> list[KnownSolutionView]:
    """The viewer's team's known solutions (of one problem when given)."""
    return [view(row) for row in known_solutions.of_team(session, _team(viewer), problem)]


def found(session: Session, viewer: Viewer, known_id: str) -> KnownSolution:
    """One of the viewer's team's known solutions (any, for an admin); KnownSolutionNotFound otherwise (also
    another team's)."""
    row = known_solutions.get(session, known_id)
    if row is None or not (viewer.admin or row.team == viewer.team):
        raise KnownSolutionNotFound(f"no known solution {known_id!r} (or not one of your team's)")
    return row


def remove(session: Session, viewer: Viewer, known_id: str) -> None:
    """Delete one of the viewer's team's known solutions."""
    known_solutions.delete(session, found(session, viewer, known_id))


def _team(viewer: Viewer) -> str:
    if viewer.team is None:
        raise KnownSolutionNotFound("known solutions belong to a team; this key has none")
    return viewer.team
