"""What comparing a new submission with a team's stored submissions across assessments costs.

Stores N counted submissions (default 5,000) of one team, spread over many assessments of a few
problems: each a disguised variant (names renamed, reformatted, comments added) of the problem's
reference or one of its mutants. Their fingerprints are stored as reports store them. Then, several
times, a new submission (another disguised variant) arrives in a new assessment: the time to store its
fingerprints, the time of the index query alone, and the time of the whole match (index query, bound,
exact copydetect comparisons of the few left, reference and corpus comparisons) are measured.

SQLite always; PostgreSQL too when JUDGE_TEST_POSTGRES_URL is set (a scratch database is created and
dropped next to it).

Run: .venv/bin/python bench/cross_similarity.py [N] [--repeats R]
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session

from judge.assessments import matches
from judge.bank.loader import ProblemBank
from judge.bank.ownership import Viewer
from judge.settings import Settings
from judge.storage import fingerprints
from judge.storage.db import make_engine, migrate, session_factory
from judge.storage.models import (
    Assessment,
    AssessmentEntry,
    AssessmentProblem,
    EntryGrading,
    Invitation,
    Submission,
    SubmissionStatus,
)

REPO = Path(__file__).resolve().parent.parent
PROBLEMS = ["kl-divergence", "beam-search", "causal-self-attention", "gumbel-softmax"]
TEAM = "bench"
PER_ASSESSMENT = 50
T0 = datetime(2026, 12, 1, tzinfo=UTC)


class Rename(ast.NodeTransformer):
    """Renames the variables and arguments a file defines, with names drawn from `rng`."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names: dict[str, str] = {}

    def _name(self, old: str) -> str:
        return self.names.setdefault(old, f"{self.rng.choice(['x', 'val', 'tmp', 'my', 'z'])}_{len(self.names)}")

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if isinstance(node.ctx, ast.Store) or node.id in self.names:
            node.id = self._name(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        if node.arg != "self":
            node.arg = self._name(node.arg)
        return node


def variant(source: str, rng: random.Random) -> str:
    """`source` renamed, reformatted and commented, differently for each draw."""
    lines = ast.unparse(Rename(rng).visit(ast.parse(source))).splitlines()
    every = rng.randint(2, 6)
    return "\n".join(line + ("  # check" if i % every == 0 else "") for i, line in enumerate(lines)) + "\n"


def originals() -> dict[str, list[str]]:
    """Per problem, the reference and the mutants: what the variants are made from."""
    found = {}
    for slug in PROBLEMS:
        root = REPO / "problems" / slug
        found[slug] = [(root / "solution.py").read_text()] + [p.read_text() for p in sorted(root.glob("mutants/*.py"))]
    return found


def add_submission(session: Session, assessment: Assessment, problem: str, name: str, source: str) -> tuple[str, str]:
    """One invitation of `assessment` with one graded attempt at `problem`; (invitation id, submission id)."""
    invitation = Invitation(
        id=uuid.uuid4().hex,
        assessment_id=assessment.id,
        candidate_name=name,
        token_hash=uuid.uuid4().hex,
        expires_at=T0 + timedelta(days=30),
        created_at=T0,
    )
    # No relationships are declared, so the unit of work does not order the inserts: flush by hand.
    session.add(invitation)
    session.flush()
    entry = AssessmentEntry(
        id=uuid.uuid4().hex,
        assessment_id=assessment.id,
        invitation_id=invitation.id,
        problem=problem,
        number=1,
        submitted_at=T0,
    )
    submission = Submission(
        id=uuid.uuid4().hex,
        problem=problem,
        source=source.encode(),
        status=SubmissionStatus.COMPLETED.value,
        score=1.0,
        max_score=1.0,
        created_at=T0,
    )
    session.add_all([entry, submission])
    session.flush()
    session.add(EntryGrading(entry_id=entry.id, round=0, submission_id=submission.id, created_at=T0))
    return invitation.id, submission.id


def add_assessment(session: Session, title: str) -> Assessment:
    """An assessment of the bench team with every bench problem."""
    row = Assessment(
        id=uuid.uuid4().hex,
        team=TEAM,
        title=title,
        opens_at=T0,
        closes_at=T0 + timedelta(days=1),
        duration_s=3600,
        max_attempts=3,
        feedback="full",
        scoring="best",
        created_at=T0,
    )
    session.add(row)
    session.flush()
    for position, slug in enumerate(PROBLEMS):
        session.add(AssessmentProblem(assessment_id=row.id, position=position, problem=slug, points=10.0))
    return row


def run(settings: Settings, count: int, repeats: int, label: str) -> None:
    """Store `count` submissions on `settings`' database, then time `repeats` new ones against them."""
    engine = make_engine(settings)
    migrate(engine)
    sessions = session_factory(engine)
    bank = ProblemBank(settings)
    rng = random.Random(16)
    sources = originals()
    started = time.perf_counter()
    with sessions() as session:
        assessment = None
        for i in range(count):
            if i % PER_ASSESSMENT == 0:
                assessment = add_assessment(session, f"round {i // PER_ASSESSMENT}")
            slug = PROBLEMS[i % len(PROBLEMS)]
            assert assessment is not None
            add_submission(session, assessment, slug, f"c{i}", variant(rng.choice(sources[slug]), rng))
        session.commit()
    made = time.perf_counter() - started
    started = time.perf_counter()
    with sessions() as session:
        for slug in PROBLEMS:
            matches.fingerprint_problem(session, TEAM, slug, (REPO / "problems" / slug / "starter.py").read_text())
    stored = time.perf_counter() - started
    with sessions() as session:
        rows = session.execute(text("SELECT count(*) FROM fingerprints")).scalar_one()
    print(f"[{label}] {count} submissions in {count // PER_ASSESSMENT} assessments: made in {made:.1f} s, ")
    print(f"[{label}]   fingerprinted and stored in {stored:.1f} s ({rows} fingerprint rows, {rows / count:.0f} each)")

    store_s, query_s, match_s, flagged = [], [], [], []
    for r in range(repeats):
        slug = PROBLEMS[r % len(PROBLEMS)]
        starter = (REPO / "problems" / slug / "starter.py").read_text()
        with sessions() as session:
            fresh = add_assessment(session, f"new {r}")
            invitation, submission = add_submission(session, fresh, slug, "new", variant(sources[slug][0], rng))
            session.commit()
            began = time.perf_counter()
            matches.fingerprint_problem(session, TEAM, slug, starter)
            store_s.append(time.perf_counter() - began)
            began = time.perf_counter()
            fingerprints.shared_counts(session, submission, matches.CROSS_CANDIDATES)
            query_s.append(time.perf_counter() - began)
            began = time.perf_counter()
            found = matches.candidate_matches(session, bank, Viewer(team=TEAM), fresh.id, invitation)
            match_s.append(time.perf_counter() - began)
            flagged.append(len(found))

    def median_ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.0f} ms (min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f})"

    print(f"[{label}] a new submission, median of {repeats}:")
    print(f"[{label}]   store its fingerprints: {median_ms(store_s)}")
    print(f"[{label}]   index query (shared counts, top {matches.CROSS_CANDIDATES}): {median_ms(query_s)}")
    print(f"[{label}]   whole match (query, bound, exact comparisons, reference and corpus): {median_ms(match_s)}")
    print(f"[{label}]   flags per new submission: median {statistics.median(flagged)}")
    engine.dispose()


@contextmanager
def scratch_postgres(base_url: str) -> Iterator[str]:
    """A new empty database next to `base_url`'s, dropped afterwards."""
    url = make_url(base_url)
    name = f"judge_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=5000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        run(Settings(storage={"data_dir": Path(scratch)}), args.count, args.repeats, "sqlite")
        postgres = os.environ.get("JUDGE_TEST_POSTGRES_URL")
        if postgres:
            with scratch_postgres(postgres) as url:
                run(
                    Settings(storage={"data_dir": Path(scratch), "database_url": url}),
                    args.count,
                    args.repeats,
                    "postgres",
                )


if __name__ == "__main__":
    main()
