"""Notebooks become the Python file they stand for; several files become one bundle and back."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from judge import bundle
from judge.errors import InvalidSubmission, SourceTooLarge
from judge.notebook import notebook_source, starter_notebook

LIMIT = 64 * 1024


def notebook(*cells: tuple[str, str | list[str]], nbformat: int = 4) -> bytes:
    """An nbformat notebook holding (cell_type, source) cells."""
    return json.dumps(
        {
            "nbformat": nbformat,
            "nbformat_minor": 5,
            "metadata": {},
            "cells": [{"cell_type": kind, "metadata": {}, "source": source, "outputs": []} for kind, source in cells],
        }
    ).encode()


def test_code_cells_in_order_and_markdown_skipped() -> None:
    data = notebook(
        ("markdown", "# My VAE\nsome prose"),
        ("code", ["import torch\n", "x = 1\n"]),
        ("raw", "not code"),
        ("code", "def f():\n    return x % 2\n"),
        ("code", "   \n"),
    )
    source = notebook_source(data, LIMIT)
    assert source == "# %% cell 2\nimport torch\nx = 1\n\n# %% cell 4\ndef f():\n    return x % 2\n"
    namespace: dict[str, object] = {}
    exec(compile(source, "solution.py", "exec"), namespace)
    assert namespace["x"] == 1


@pytest.mark.parametrize(
    ("line", "shown"),
    [("!pip install torch", "!pip install torch"), ("%matplotlib inline", "%matplotlib inline"), ("%%time", "%%time")],
)
def test_shell_and_magic_lines_are_refused_naming_the_cell(line: str, shown: str) -> None:
    data = notebook(("markdown", "intro"), ("code", "import torch"), ("code", "x = 2"), ("code", f"{line}\ny = 3"))
    with pytest.raises(InvalidSubmission) as caught:
        notebook_source(data, LIMIT)
    assert str(caught.value) == f"cell 4: shell and magic lines cannot run here (`{shown}`)"


def test_an_indented_shell_line_is_refused() -> None:
    with pytest.raises(InvalidSubmission, match=r"^cell 1: shell and magic lines cannot run here \(`!ls`\)"):
        notebook_source(notebook(("code", "if True:\n    !ls\n")), LIMIT)


def test_percent_in_a_continued_expression_is_python() -> None:
    source = notebook_source(notebook(("code", "y = (10\n%3)\n")), LIMIT)
    assert "%3)" in source


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", r"^the notebook is not valid JSON: line 1, column 2: "),
        (b"\xff\xfe", r"^the notebook is not UTF-8 text"),
        (b'{"cells": []}', r"^not a Jupyter notebook \(nbformat 4\): nbformat: Field required"),
        (notebook(("code", "x = 1"), nbformat=3), r"^not a Jupyter notebook \(nbformat 4\): nbformat: "),
        (
            b'{"nbformat": 4, "cells": [{"cell_type": "code"}]}',
            r"^not a Jupyter notebook \(nbformat 4\): cells.0.source",
        ),
        (notebook(("markdown", "only prose")), r"^the notebook has no code cells$"),
    ],
)
def test_bad_notebooks_get_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(InvalidSubmission, match=message):
        notebook_source(data, LIMIT)


def test_size_bound() -> None:
    data = notebook(("code", "x = 1\n" * 100))
    with pytest.raises(SourceTooLarge, match=f"the notebook is {len(data)} bytes; the limit is 100"):
        notebook_source(data, 100)


def test_starter_notebook_round_trips() -> None:
    starter = "import torch\n\n\ndef f(x):\n    raise NotImplementedError\n"
    data = starter_notebook("KL divergences", "solution.py", starter)
    parsed = json.loads(data)
    assert [c["cell_type"] for c in parsed["cells"]] == ["markdown", "code"]
    assert notebook_source(data, LIMIT) == "# %% cell 2\n" + starter


NAMES = ["train.py", "model.py"]


def test_bundle_packs_and_unpacks_in_declared_order() -> None:
    files = {"model.py": "class MLP: pass", "train.py": "from model import MLP\n"}
    packed = bundle.pack(files, NAMES)
    assert packed == "# ==== file: train.py ====\nfrom model import MLP\n# ==== file: model.py ====\nclass MLP: pass\n"
    assert bundle.unpack(packed, NAMES) == {"train.py": "from model import MLP\n", "model.py": "class MLP: pass\n"}
    assert bundle.pack({"solution.py": "x = 1"}, ["solution.py"]) == "x = 1"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"train.py": "", "model.py": "", "util.py": ""},
            r"^util.py is not a file of this problem; it takes train.py, model.py$",
        ),
        ({"train.py": ""}, r"^model.py is missing; this problem takes train.py, model.py$"),
        ({"train.py": "# ==== file: model.py ====\n", "model.py": ""}, r"^train.py: the line .* is reserved"),
    ],
)
def test_pack_refuses(files: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidSubmission, match=message):
        bundle.pack(files, NAMES)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1\n", r"^this problem takes 2 files \(train.py, model.py\): send a zip"),
        ("x = 1\n# ==== file: train.py ====\n# ==== file: model.py ====\n", r"^text before the first file marker"),
        ("# ==== file: train.py ====\n# ==== file: train.py ====\n", r"^train.py appears twice"),
        ("# ==== file: train.py ====\n", r"^model.py is missing"),
    ],
)
def test_unpack_refuses(source: str, message: str) -> None:
    with pytest.raises(InvalidSubmission, match=message):
        bundle.unpack(source, NAMES)


def zipped(members: dict[str, bytes]) -> bytes:
    """A zip holding `members`."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_zip_at_top_or_in_one_folder() -> None:
    expected = {"train.py": "t\n", "model.py": "m\n"}
    assert bundle.read_zip(zipped({"train.py": b"t\n", "model.py": b"m\n"}), NAMES, LIMIT) == expected
    wrapped = zipped({"work/train.py": b"t\n", "work/model.py": b"m\n", "__MACOSX/work/._train.py": b"x"})
    assert bundle.read_zip(wrapped, NAMES, LIMIT) == expected


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"../train.py": b"", "model.py": b""}, r"^../train.py: paths outside the zip are refused$"),
        ({"/etc/train.py": b"", "model.py": b""}, r"^/etc/train.py: paths outside the zip are refused$"),
        ({"train.py": b"", "model.py": b"", "notes.txt": b""}, r"^notes.txt is not a file of this problem"),
        (
            {"a/train.py": b"", "b/model.py": b""},
            r"^a/train.py: the zip must hold train.py, model.py at its top or in one folder",
        ),
        ({"train.py": b"\xff", "model.py": b""}, r"^train.py is not UTF-8 text"),
        ({"train.py": b"x" * (LIMIT + 1), "model.py": b""}, rf"^train.py is {LIMIT + 1} bytes; the limit is {LIMIT}$"),
    ],
)
def test_zip_refusals(members: dict[str, bytes], message: str) -> None:
    with pytest.raises(InvalidSubmission, match=message):
        bundle.read_zip(zipped(members), NAMES, LIMIT)


def test_not_a_zip() -> None:
    with pytest.raises(InvalidSubmission, match="^the upload is not a valid zip file$"):
        bundle.read_zip(b"PK\x03\x04 broken", NAMES, LIMIT)


def test_upload_source_by_file_name() -> None:
    limits = {"max_source_bytes": LIMIT, "max_upload_bytes": 4 * LIMIT}
    data = notebook(("code", "x = 1"))
    assert bundle.upload_source("work.ipynb", data, ["solution.py"], **limits) == b"# %% cell 1\nx = 1\n"
    assert bundle.upload_source("solution.py", b"y = 2", ["solution.py"], **limits) == b"y = 2"
    packed = bundle.upload_source("both.zip", zipped({"train.py": b"t", "model.py": b"m"}), NAMES, **limits)
    assert bundle.unpack(packed.decode(), NAMES) == {"train.py": "t\n", "model.py": "m\n"}
    with pytest.raises(
        InvalidSubmission, match="^a notebook holds one file; this problem takes train.py, model.py: send a zip$"
    ):
        bundle.upload_source("work.ipynb", data, NAMES, **limits)
    with pytest.raises(SourceTooLarge, match=r"^the .zip upload is \d+ bytes; the limit is 10$"):
        bundle.upload_source("big.zip", zipped({"train.py": b"t"}), NAMES, max_source_bytes=LIMIT, max_upload_bytes=10)
