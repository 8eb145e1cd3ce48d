"""The dashboard's invitation forms as typed, with what stopped them: a single invitation whose name
or email is already invited (asked to confirm), and a pasted or uploaded CSV list (every bad line, or
the duplicates to confirm), so a refused form comes back filled in."""

from __future__ import annotations

from pydantic import BaseModel, Field


class InviteForm(BaseModel):
    """The single-invitation form, and the duplicates the team is asked to confirm."""

    candidate_name: str = ""
    candidate_email: str = ""
    duplicates: list[str] = Field(default_factory=list)


class BulkForm(BaseModel):
    """The CSV list as sent (an uploaded file's text included), its bad lines, or its duplicates to confirm."""

    csv: str = ""
    errors: list[str] = Field(default_factory=list)
    duplicates: list[str] = Field(default_factory=list)
