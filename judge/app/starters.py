"""A problem's starter as a download, in the format asked for; the API and the candidate's pages share it."""

from __future__ import annotations

import io
import zipfile
from enum import StrEnum
from typing import Annotated

from fastapi import Query, Response

from judge import bundle
from judge.app.errors import Unprocessable
from judge.notebook import MEDIA_TYPE as NOTEBOOK_MEDIA_TYPE
from judge.notebook import starter_notebook
from judge.problem import Kind, Problem


class StarterFormat(StrEnum):
    """How a starter is downloaded."""

    PY = "py"  # the file as it is submitted (JSON for a quiz; the bundle for several files)
    IPYNB = "ipynb"  # a Jupyter notebook holding the starter (code problems of one file)
    ZIP = "zip"  # each of the problem's files (code problems)


StarterFormatQuery = Annotated[StarterFormat, Query(description="py (default), ipynb or zip.")]

#: Zip members get a fixed time, so the same starter always downloads as the same bytes.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def starter_response(problem: Problem, format: StarterFormat) -> Response:
    """The starter of `problem` as an attachment in `format`; Unprocessable for a format it does not come in."""
    if problem.spec.kind is Kind.QUIZ:
        if format is not StarterFormat.PY:
            raise Unprocessable(f"format: a quiz's starter is its answers JSON; ask for format=py, not {format}")
        return _attachment(problem.starter().encode("utf-8"), "application/json", problem.spec.entrypoint)
    stem = problem.spec.entrypoint.removesuffix(".py")
    if format is StarterFormat.IPYNB:
        if problem.spec.files:
            raise Unprocessable(
                f"format: {problem.slug} takes several files ({', '.join(problem.file_names)}); ask for format=zip"
            )
        data = starter_notebook(problem.spec.title, problem.spec.entrypoint, problem.starter())
        return _attachment(data, NOTEBOOK_MEDIA_TYPE, f"{stem}.ipynb")
    if format is StarterFormat.ZIP:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in bundle.unpack(problem.starter(), problem.file_names).items():
                archive.writestr(zipfile.ZipInfo(name, _ZIP_TIME), text)
        return _attachment(out.getvalue(), "application/zip", f"{problem.slug}.zip")
    return _attachment(problem.starter().encode("utf-8"), "text/x-python; charset=utf-8", problem.spec.entrypoint)


def _attachment(data: bytes, media_type: str, filename: str) -> Response:
    return Response(data, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
