"""The API's documentation pages, Swagger UI at /api/v1/docs and ReDoc at /api/v1/redoc, with their
scripts and styles served from files the fastapi-offline package ships (pinned in pyproject.toml):
FastAPI's own pages load them from a CDN, so on a network without one they stay blank."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from judge.views import API_PREFIX

DOCS_PATH = f"{API_PREFIX}/docs"
REDOC_PATH = f"{API_PREFIX}/redoc"
ASSETS_PATH = f"{API_PREFIX}/docs-assets"
#: swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js and favicon.png (Swagger UI: Apache-2.0; ReDoc and
#: the fastapi-offline package: MIT).
ASSETS_DIR = files("fastapi_offline") / "static"


def install(app: FastAPI) -> None:
    """Serve the two documentation pages and their assets on `app` (whose FastAPI docs_url and redoc_url are None)."""
    openapi_url = app.openapi_url or f"{API_PREFIX}/openapi.json"
    app.mount(ASSETS_PATH, StaticFiles(directory=str(ASSETS_DIR)), name="docs-assets")

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} API",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
        )

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} API",
            redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )

    # Plain routes, as FastAPI adds its own docs pages: not API operations, and not candidate or team pages.
    app.add_route(DOCS_PATH, swagger_ui, include_in_schema=False)
    app.add_route(REDOC_PATH, redoc, include_in_schema=False)
