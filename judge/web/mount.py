"""Adds the web pages to the service's app: candidate and team routes, and /static."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from judge.web import candidate, flag_reviews, known_solutions, playback, team, team_actions
from judge.web.render import STATIC_DIR


def install(app: FastAPI) -> None:
    """Mount the pages on `app` (after the API routes)."""
    app.include_router(candidate.router)
    app.include_router(team.router)
    app.include_router(team_actions.router)
    app.include_router(flag_reviews.router)
    app.include_router(known_solutions.router)
    app.include_router(playback.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        """The team's pages; candidates arrive by their invitation link instead."""
        return RedirectResponse("/team/assessments", status_code=303)
