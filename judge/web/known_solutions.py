"""The team's known solutions page (list, upload, delete) and the page that shows a candidate's code
beside the known solution (or reference solution) it matched."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from judge.app.deps import DbSession, State, viewer_of
from judge.assessments import known_solutions, matches
from judge.assessments.errors import InvalidKnownSolution, KnownSolutionTooLarge
from judge.assessments.known_solutions import KnownSolutionCreate
from judge.errors import ProblemNotFound
from judge.problem import SLUG_PATTERN
from judge.web.deps import CsrfChecked, Member
from judge.web.render import page
from judge.web.team import AssessmentId, InvitationId

router = APIRouter(prefix="/team", include_in_schema=False)
KnownId = Annotated[str, Path(pattern=r"^[0-9a-zA-Z_-]{1,64}$")]


async def posted_form(request: Request) -> FormData:
    """The posted form (already read, and cached, by the CSRF check)."""
    return await request.form()


@router.get("/known-solutions", response_class=HTMLResponse)
def known_solutions_page(request: Request, state: State, session: DbSession, member: Member) -> Response:
    """The team's known solutions, and the form to add one."""
    return _page(request, state, session, member)


@router.post("/known-solutions", dependencies=[CsrfChecked])
def add(
    request: Request,
    state: State,
    session: DbSession,
    member: Member,
    form: Annotated[FormData, Depends(posted_form)],
) -> Response:
    """Add a known solution from the form (an uploaded file, else the pasted text); the page again with the
    reason when it is refused."""
    problem, label = str(form.get("problem") or ""), str(form.get("label") or "")
    upload, pasted = form.get("file"), form.get("source")
    limit = state.settings.limits.max_source_bytes
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            source = known_solutions.decode(upload.file.read(limit + 1))
        else:
            source = pasted if isinstance(pasted, str) else ""
        body = KnownSolutionCreate(problem=problem, label=label, source=source)
        known_solutions.add(
            session, state.settings, viewer_of(member.caller), body, member.caller.key_id, state.clock()
        )
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return _page(request, state, session, member, reasons, problem, label, 422)
    except ProblemNotFound as exc:
        return _page(request, state, session, member, str(exc), problem, label, 404)
    except InvalidKnownSolution as exc:
        status = 413 if isinstance(exc, KnownSolutionTooLarge) else 422
        return _page(request, state, session, member, str(exc), problem, label, status)
    return RedirectResponse("/team/known-solutions", status_code=303)


@router.post("/known-solutions/{known_id}/delete", dependencies=[CsrfChecked])
def delete(known_id: KnownId, session: DbSession, member: Member) -> Response:
    """Delete one of the team's known solutions."""
    known_solutions.remove(session, viewer_of(member.caller), known_id)
    return RedirectResponse("/team/known-solutions", status_code=303)


@router.get(
    "/assessments/{assessment_id}/candidates/{invitation_id}/known/{problem}/{known_id}", response_class=HTMLResponse
)
def known_comparison(
    assessment_id: AssessmentId,
    invitation_id: InvitationId,
    problem: Annotated[str, Path(pattern=SLUG_PATTERN)],
    known_id: KnownId,
    request: Request,
    state: State,
    session: DbSession,
    member: Member,
) -> Response:
    """A candidate's code beside the known solution ("reference": the reference solution) it matched."""
    compared = matches.known_comparison(
        session, state.bank, viewer_of(member.caller), assessment_id, invitation_id, problem, known_id
    )
    return page(request, state.settings, "team/known_comparison.html", {"member": member, "comparison": compared})


def _page(
    request: Request,
    state: State,
    session: DbSession,
    member: Member,
    error: str | None = None,
    problem: str = "",
    label: str = "",
    status_code: int = 200,
) -> Response:
    rows = known_solutions.listed(session, viewer_of(member.caller))
    context = {"member": member, "rows": rows, "error": error, "problem": problem, "label": label}
    return page(request, state.settings, "team/known_solutions.html", context, status_code)
