"""Notebooks and several files over the API: uploads converted to the stored source, starters in each format."""

from __future__ import annotations

import io
import json
import zipfile

from judge import bundle
from judge.problem import load_problem
from judge.storage import submissions
from tests.conftest import PROBLEMS
from tests.test_notebook import notebook, zipped

MLP = load_problem(PROBLEMS / "mlp-model-and-training")


def upload(service, problem: str, name: str, data: bytes):
    """POST one file as multipart with the candidate key."""
    return service.client.post(
        "/api/v1/submissions",
        data={"problem": problem},
        files={"file": (name, data, "application/octet-stream")},
        headers=service.auth(service.candidate),
    )


def stored_source(service, submission_id: str) -> str:
    """The source the database holds for a submission."""
    with service.state.sessions() as session:
        row = submissions.get(session, submission_id)
        assert row is not None
        return row.source.decode("utf-8")


def test_notebook_upload_is_graded_as_its_code_cells(service):
    data = notebook(("markdown", "# my work"), ("code", "# fake: fail=loss_formula\nimport torch\n"))
    answer = upload(service, "vae-mnist", "work.ipynb", data)
    assert answer.status_code == 202, answer.text
    done = service.wait(service.candidate, answer.json()["id"])
    assert [c["id"] for c in done["result"]["checks"] if c["outcome"] == "failed"] == ["loss_formula"]
    assert stored_source(service, done["id"]) == "# %% cell 2\n# fake: fail=loss_formula\nimport torch\n"


def test_notebook_with_a_shell_line_is_refused_naming_the_cell(service):
    data = notebook(("code", "import torch"), ("code", "!pip install einops\nx = 1"))
    answer = upload(service, "vae-mnist", "work.ipynb", data)
    assert answer.status_code == 422
    assert answer.json()["detail"] == "cell 2: shell and magic lines cannot run here (`!pip install einops`)"


def test_zip_of_the_declared_files_is_stored_as_a_bundle_and_graded(service):
    data = zipped(
        {"mlp/train.py": b"# fake: fail=fit_learns\nfrom model import MLP\n", "mlp/model.py": b"class MLP: ...\n"}
    )
    answer = upload(service, MLP.slug, "work.zip", data)
    assert answer.status_code == 202, answer.text
    done = service.wait(service.candidate, answer.json()["id"])
    assert [c["id"] for c in done["result"]["checks"] if c["outcome"] == "failed"] == ["fit_learns"]
    files = bundle.unpack(stored_source(service, done["id"]), MLP.file_names)
    assert files == {"train.py": "# fake: fail=fit_learns\nfrom model import MLP\n", "model.py": "class MLP: ...\n"}


def test_zip_refusals(service):
    traversal = upload(service, MLP.slug, "w.zip", zipped({"../train.py": b"", "model.py": b""}))
    assert traversal.status_code == 422
    assert traversal.json()["detail"] == "../train.py: paths outside the zip are refused"
    undeclared = upload(service, MLP.slug, "w.zip", zipped({"train.py": b"", "model.py": b"", "utils.py": b""}))
    assert undeclared.status_code == 422
    assert undeclared.json()["detail"] == "utils.py is not a file of this problem; it takes train.py, model.py"
    missing = upload(service, MLP.slug, "w.zip", zipped({"train.py": b""}))
    assert missing.status_code == 422
    assert missing.json()["detail"] == "model.py is missing; this problem takes train.py, model.py"


def test_zip_too_big(start_service):
    service = start_service(limits={"max_upload_bytes": 2000})
    big = zipped({"train.py": b"x = 1\n" * 2000, "model.py": b""})
    stored = zipfile.ZipFile(io.BytesIO(big)).infolist()[0].compress_type == zipfile.ZIP_STORED
    assert stored and len(big) > 2000
    answer = upload(service, MLP.slug, "w.zip", big)
    assert answer.status_code == 413
    assert answer.json()["detail"] == f"the .zip upload is {len(big)} bytes; the limit is 2000"


def test_a_multi_file_problem_refuses_one_plain_file(service):
    answer = service.client.post(
        "/api/v1/submissions",
        json={"problem": MLP.slug, "source": "from model import MLP\n"},
        headers=service.auth(service.candidate),
    )
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("this problem takes 2 files (train.py, model.py): send a zip of them")
    bundled = service.submit(service.candidate, MLP.starter(), problem=MLP.slug)
    assert bundled["status"] in ("queued", "running", "completed")


def test_starter_downloads(service):
    def starter(slug: str, fmt: str):
        return service.client.get(
            f"/api/v1/problems/{slug}/starter", params={"format": fmt}, headers=service.auth(service.candidate)
        )

    kl = load_problem(PROBLEMS / "kl-divergence")
    plain = starter("kl-divergence", "py")
    assert plain.status_code == 200 and plain.text == kl.starter()
    assert plain.headers["content-disposition"] == 'attachment; filename="solution.py"'
    book = starter("kl-divergence", "ipynb")
    assert book.headers["content-disposition"] == 'attachment; filename="solution.ipynb"'
    assert book.headers["content-type"] == "application/x-ipynb+json"
    cells = json.loads(book.content)["cells"]
    assert "".join(cells[1]["source"]) == kl.starter()
    archive = starter(MLP.slug, "zip")
    assert archive.headers["content-disposition"] == f'attachment; filename="{MLP.slug}.zip"'
    with zipfile.ZipFile(io.BytesIO(archive.content)) as opened:
        assert sorted(opened.namelist()) == ["model.py", "train.py"]
        assert opened.read("model.py").decode() == bundle.unpack(MLP.starter(), MLP.file_names)["model.py"]
    refused = starter(MLP.slug, "ipynb")
    assert refused.status_code == 422
    assert "takes several files (train.py, model.py); ask for format=zip" in refused.json()["detail"]
    quiz = starter("aigc-concepts", "ipynb")
    assert quiz.status_code == 422
    unknown = starter("kl-divergence", "docx")
    assert unknown.status_code == 422
    detail = service.client.get(f"/api/v1/problems/{MLP.slug}", headers=service.auth(service.candidate)).json()
    assert detail["files"] == ["train.py", "model.py"]
