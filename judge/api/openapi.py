"""The OpenAPI document as the service really answers: every error is application/problem+json.

FastAPI documents error responses as application/json (and 422 with its own body shape); the
handlers in judge/app/handlers.py answer every error as a ProblemDetails in application/problem+json,
with statuses a route's own list cannot foresee (413 from the body limit, 503 while the database
restarts). The document says so: error entries carry problem+json, and every operation has a
`default` response for the rest.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel

from judge.api.event_stream import EVENT_DATA
from judge.api.examples import with_examples
from judge.api.schemas import SubmissionCreate
from judge.app.errors import PROBLEM_JSON

PROBLEM_REF = "#/components/schemas/ProblemDetails"
#: FastAPI's own 422 body, which the service never sends.
FASTAPI_VALIDATION_REF = "#/components/schemas/HTTPValidationError"
DEFAULT_ERROR = {
    "description": "Any other error (e.g. 413 over the body limit, 503 while a dependency restarts), as application/problem+json.",
    "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
}


def _is_error_body(content: dict[str, Any]) -> bool:
    # Under the route's own media type (text/plain for a file download) when it sets response_class.
    return any(
        entry.get("schema", {}).get("$ref") in (PROBLEM_REF, FASTAPI_VALIDATION_REF) for entry in content.values()
    )


def problem_json_errors(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with error bodies as problem+json and a default error response on every operation."""
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, response in operation["responses"].items():
                content = response.get("content", {})
                if status[:1] in ("4", "5") and _is_error_body(content):
                    response["content"] = {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}
            operation["responses"].setdefault("default", DEFAULT_ERROR)
    schemas = document.get("components", {}).get("schemas", {})
    still_used = FASTAPI_VALIDATION_REF in str(document.get("paths", {}))
    if not still_used:
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return document


#: Bodies that routes parse themselves and name only in their openapi_extra (JSON or multipart), which
#: FastAPI therefore leaves out of the components: a reference to one would dangle, and ReDoc refuses a
#: document with a dangling reference.
SELF_PARSED_BODIES: tuple[type[BaseModel], ...] = (SubmissionCreate,)


def with_self_parsed_bodies(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with the schemas of SELF_PARSED_BODIES and of the event streams' data (EVENT_DATA, named
    only inside the streams' contentSchema, which FastAPI does not read) in its components."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in (*SELF_PARSED_BODIES, *EVENT_DATA):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, nested in schema.pop("$defs", {}).items():
            schemas.setdefault(name, nested)
        schemas.setdefault(model.__name__, schema)
    return document


def operation_id(route: APIRoute) -> str:
    """The route's function name as its operationId: what generated clients name their functions, so it stays
    stable across releases (FastAPI's default appends the path and method, and changes when either does)."""
    return route.name


def install(app: FastAPI) -> None:
    """Serve the corrected document (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            app.openapi_schema = with_examples(with_self_parsed_bodies(problem_json_errors(document)))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the document
