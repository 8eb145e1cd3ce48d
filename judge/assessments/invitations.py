"""Invitations beyond one at a time: re-issuing a link, warning about a candidate invited twice, and
inviting a whole list read from CSV.

A list is all or nothing: every row is read and checked before the first invitation is made, and each
refusal names its line, so the team fixes the list and sends it again rather than guessing which rows
went through. The new links exist only in the answer that makes them (only the tokens' hashes are kept).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import select
from sqlalchemy.orm import Session

from judge.assessments import service, tokens
from judge.assessments.errors import DuplicateInvitation, InvalidAssessment, InvalidInvitationList
from judge.assessments.schemas import (
    MAX_BATCH_CHARS,
    MAX_BATCH_ROWS,
    InvitationCreate,
    InvitationIssued,
    InvitationLink,
)
from judge.bank.loader import ProblemBank
from judge.bank.ownership import Viewer
from judge.report import rows_to_csv
from judge.storage.models import Invitation

#: First cells that make the first row a header rather than a candidate.
HEADER_NAMES = ({"name"}, {"name", "email"}, {"candidate_name"}, {"candidate_name", "candidate_email"})


class InvitationRow(BaseModel):
    """One candidate to invite, and the line of the list it came from (None when typed into the form)."""

    line: int | None = None
    invitation: InvitationCreate


def _where(line: int | None) -> str:
    return f"line {line}: " if line is not None else ""


def _row_problem(error: ErrorDetails) -> str:
    field = str(error["loc"][0]) if error["loc"] else ""
    kind = error["type"]
    if field == "candidate_name":
        return "the name is empty" if kind == "string_too_short" else "the name is longer than 200 characters"
    if field == "candidate_email":
        return "the email is not an address like name@example.com"
    return error["msg"]


def parse_csv(text: str) -> list[InvitationRow]:
    """The candidates a CSV text lists (columns name, email; a header row optional; blank lines skipped);
    InvalidInvitationList naming every bad line, or a list that is empty, too long or too big."""
    if len(text) > MAX_BATCH_CHARS:
        raise InvalidInvitationList([f"the list is over {MAX_BATCH_CHARS:,} characters; split it"])
    rows: list[InvitationRow] = []
    problems: list[str] = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    first = True
    try:
        for cells in reader:
            line = reader.line_num
            cells = [cell.strip() for cell in cells]
            if not any(cells):
                continue
            if first and {cell.lower() for cell in cells if cell} in HEADER_NAMES:
                first = False
                continue
            first = False
            if len(cells) > 2 and any(cells[2:]):
                problems.append(f"line {line}: {len(cells)} columns; expected name, email")
                continue
            name, email = cells[0], (cells[1] if len(cells) > 1 else "")
            try:
                body = InvitationCreate(candidate_name=name, candidate_email=email or None)
            except ValidationError as exc:
                problems.extend(f"line {line}: {_row_problem(e)}" for e in exc.errors())
                continue
            rows.append(InvitationRow(line=line, invitation=body))
    except csv.Error as exc:
        problems.append(f"line {reader.line_num}: not CSV ({exc})")
    if len(rows) + len(problems) > MAX_BATCH_ROWS:
        raise InvalidInvitationList([f"{len(rows) + len(problems)} candidates; at most {MAX_BATCH_ROWS} at once"])
    if problems:
        raise InvalidInvitationList(problems)
    if not rows:
        raise InvalidInvitationList(["the list names no candidate"])
    return rows


def decode_upload(data: bytes) -> str:
    """An uploaded CSV file's text (UTF-8, with or without a byte-order mark); InvalidInvitationList otherwise."""
    if len(data) > MAX_BATCH_CHARS * 4:
        raise InvalidInvitationList([f"the file is over {MAX_BATCH_CHARS:,} characters; split it"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInvitationList([f"the file is not UTF-8 text (byte {exc.start})"]) from None


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def duplicates(session: Session, assessment_id: str, rows: list[InvitationRow]) -> list[str]:
    """Each row whose name or email is already invited to the assessment (withdrawn invitations aside)
    or appears on an earlier row, as a sentence for the team to confirm."""
    names: dict[str, str] = {}
    emails: dict[str, str] = {}
    query = select(Invitation).where(Invitation.assessment_id == assessment_id, Invitation.revoked_at.is_(None))
    for existing in session.scalars(query):
        invited = f"already invited on {existing.created_at:%Y-%m-%d %H:%M} UTC"
        names.setdefault(_name_key(existing.candidate_name), invited)
        if existing.candidate_email:
            emails.setdefault(existing.candidate_email.casefold(), invited)
    found = []
    for row in rows:
        body = row.invitation
        email = (body.candidate_email or "").casefold()
        if email and email in emails:
            found.append(f"{_where(row.line)}{body.candidate_email} is {emails[email]}")
        elif _name_key(body.candidate_name) in names:
            found.append(f"{_where(row.line)}{body.candidate_name} is {names[_name_key(body.candidate_name)]}")
        earlier = "also" if row.line is None else f"also on line {row.line}"
        names.setdefault(_name_key(body.candidate_name), earlier)
        if email:
            emails.setdefault(email, earlier)
    return found


def invite_rows(
    session: Session,
    bank: ProblemBank,
    viewer: Viewer,
    assessment_id: str,
    rows: list[InvitationRow],
    allow_duplicates: bool,
    now: datetime,
) -> list[InvitationIssued]:
    """Invite every row, or none: DuplicateInvitation when a name or email is invited twice and that
    was not allowed, the assessment's refusals (closed, not the team's) before any is made."""
    assessment = service.team_assessment(session, viewer, assessment_id)
    if not allow_duplicates:
        found = duplicates(session, assessment.id, rows)
        if found:
            raise DuplicateInvitation(found)
    return [service.invite(session, bank, viewer, assessment.id, row.invitation, now) for row in rows]


def links_csv(issued: list[InvitationIssued], base_url: str) -> str:
    """The new links as CSV (name, email, link): the only copy of them there will be."""
    return rows_to_csv(
        [InvitationLink(name=i.candidate_name, email=i.candidate_email, link=base_url + i.link) for i in issued]
    )


def reissue(
    session: Session, viewer: Viewer, assessment_id: str, invitation_id: str, now: datetime
) -> InvitationIssued:
    """A new link for an invitation: a fresh token replaces the old one, which stops working at once.
    Refused for a withdrawn or expired invitation (a new link would not work either)."""
    assessment, row = service.team_invitation(session, viewer, assessment_id, invitation_id)
    if row.revoked_at is not None:
        raise InvalidAssessment(f"the invitation of {row.candidate_name} was withdrawn; invite them again instead")
    if row.expires_at <= now:
        raise InvalidAssessment(f"the invitation of {row.candidate_name} has expired; a new link would not work")
    new = tokens.token_for(row.id)
    row.token_hash = new.token_hash
    session.commit()
    view = service.invitation_view(assessment, row, now)
    return InvitationIssued(**view.model_dump(), token=new.token, link=service.INVITE_PATH.format(token=new.token))
