"""Several files as one submission: the canonical bundle stored for a problem that declares more than one file.

A problem's files are its entrypoint and the `files` its problem.toml lists (`Problem.file_names`).
With one file the stored source is that file. With several, the stored source is a bundle: each
file, in the declared order, under a marker line `# ==== file: NAME ====`. A bundle is Python (the
markers are comments), so the code views, integrity flags and similarity read it as they read one
file, with every file's name in sight; the workspace writes each file under its own name
(`unpack`). The package's starter.py, solution.py and mutants of such a problem are bundles too.

Uploads (`upload_source`): a `.ipynb` becomes its code (judge.notebook), a `.zip` is read in memory,
never extracted, holding exactly the declared names; anything else is the file itself.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from judge.errors import InvalidSubmission, SourceTooLarge
from judge.notebook import SUFFIX as NOTEBOOK_SUFFIX
from judge.notebook import notebook_source
from judge.syntax import SyntaxProblem, check_syntax

_MARKER = re.compile(r"^# ==== file: (\S+) ====$", re.M)
#: Members a zip tool adds by itself, skipped rather than refused.
_TOOL_NOISE = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$)")


def marker(name: str) -> str:
    """The line a file of a bundle starts with."""
    return f"# ==== file: {name} ===="


def pack(files: Mapping[str, str], names: Sequence[str]) -> str:
    """The stored source of `files`, which must be exactly `names`: the file itself when there is one
    name, else the bundle. InvalidSubmission naming a missing or undeclared file, or a file holding a
    marker line (it would split differently)."""
    missing = [n for n in names if n not in files]
    extra = sorted(set(files) - set(names))
    if extra:
        raise InvalidSubmission(f"{extra[0]} is not a file of this problem; it takes {', '.join(names)}")
    if missing:
        raise InvalidSubmission(f"{missing[0]} is missing; this problem takes {', '.join(names)}")
    if len(names) == 1:
        return files[names[0]]
    parts = []
    for name in names:
        found = _MARKER.search(files[name])
        if found is not None:
            raise InvalidSubmission(f"{name}: the line {found.group(0)!r} is reserved; remove it")
        text = files[name]
        # Each file ends its line, so that the next marker starts one of its own.
        parts.append(f"{marker(name)}\n{text}" + ("" if text.endswith("\n") or not text else "\n"))
    return "".join(parts)


def unpack(source: str, names: Sequence[str]) -> dict[str, str]:
    """Each file of a stored source, by name (the inverse of `pack`); InvalidSubmission when a bundle
    does not hold exactly `names`, each once, with nothing before the first marker."""
    if len(names) == 1:
        return {names[0]: source}
    found = list(_MARKER.finditer(source))
    if not found:
        raise InvalidSubmission(
            f"this problem takes {len(names)} files ({', '.join(names)}): send a zip of them, "
            f"or one text with each file under a line {marker(names[0])!r}"
        )
    if source[: found[0].start()].strip():
        raise InvalidSubmission(f"text before the first file marker {found[0].group(0)!r}")
    files: dict[str, str] = {}
    for index, match in enumerate(found):
        name = match.group(1)
        if name in files:
            raise InvalidSubmission(f"{name} appears twice in the submission")
        end = found[index + 1].start() if index + 1 < len(found) else len(source)
        files[name] = source[match.end() + 1 : end]
    pack(files, names)  # the same missing and undeclared names refused as for an upload
    return files


def read_zip(data: bytes, names: Sequence[str], max_source_bytes: int) -> dict[str, str]:
    """The declared files of a zip, by name, read in memory. Members may sit at the top or inside one
    folder; InvalidSubmission for a path outside it (absolute, `..`), a link, an undeclared or
    repeated name, a file over `max_source_bytes`, or text that is not UTF-8."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InvalidSubmission("the upload is not a valid zip file") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir() and not _TOOL_NOISE.search(m.filename)]
        paths = {m.filename: _member_path(m) for m in members}
        tops = {p.parts[0] for p in paths.values() if len(p.parts) > 1}
        files: dict[str, str] = {}
        for member in members:
            path = paths[member.filename]
            inner = path.parts[1:] if len(path.parts) > 1 and len(tops) == 1 else path.parts
            if len(inner) != 1:
                raise InvalidSubmission(
                    f"{member.filename}: the zip must hold {', '.join(names)} at its top or in one folder"
                )
            name = inner[0]
            if name not in names:
                raise InvalidSubmission(f"{member.filename} is not a file of this problem; it takes {', '.join(names)}")
            if name in files:
                raise InvalidSubmission(f"{name} appears twice in the zip")
            if member.file_size > max_source_bytes:
                raise SourceTooLarge(f"{name} is {member.file_size} bytes; the limit is {max_source_bytes}")
            with archive.open(member) as stream:
                # The header's size may lie: read one byte past the limit to know.
                raw = stream.read(max_source_bytes + 1)
            if len(raw) > max_source_bytes:
                raise SourceTooLarge(f"{name} is over {max_source_bytes} bytes")
            try:
                files[name] = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InvalidSubmission(f"{name} is not UTF-8 text (byte {exc.start})") from None
    return files


def _member_path(member: zipfile.ZipInfo) -> PurePosixPath:
    """A member's path; InvalidSubmission when it leaves the archive or is a link."""
    name = member.filename.replace("\\", "/")
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", name):
        raise InvalidSubmission(f"{member.filename}: paths outside the zip are refused")
    if (member.external_attr >> 16) & 0o170000 == 0o120000:
        raise InvalidSubmission(f"{member.filename}: links are refused")
    if member.flag_bits & 0x1:
        raise InvalidSubmission(f"{member.filename}: encrypted members are refused")
    return path


def upload_source(
    filename: str, data: bytes, names: Sequence[str], *, max_source_bytes: int, max_upload_bytes: int
) -> bytes:
    """The source to store for an uploaded file of a problem whose files are `names`: a notebook's
    code, a zip's files packed, or the file itself. SourceTooLarge over `max_upload_bytes`."""
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if suffix not in (NOTEBOOK_SUFFIX, ".zip"):
        return data
    if len(data) > max_upload_bytes:
        raise SourceTooLarge(f"the {suffix} upload is {len(data)} bytes; the limit is {max_upload_bytes}")
    if suffix == ".zip":
        return pack(read_zip(data, names, max_source_bytes), names).encode("utf-8")
    if len(names) > 1:
        raise InvalidSubmission(f"a notebook holds one file; this problem takes {', '.join(names)}: send a zip")
    return notebook_source(data, max_upload_bytes).encode("utf-8")


def syntax_problem(source: str, names: Sequence[str]) -> SyntaxProblem | None:
    """Where the first of `names` that does not compile goes wrong, checked file by file (a bundle
    compiled whole would refuse a later file's `from __future__` import and count lines across files);
    the message names the file when there are several. None when all compile, or when `source` is not
    a bundle of `names` (that is refused, or reported, as unreadable instead)."""
    if len(names) <= 1:
        return check_syntax(source)
    try:
        files = unpack(source, names)
    except InvalidSubmission:
        return None
    for name in names:
        problem = check_syntax(files[name])
        if problem is not None:
            return problem.model_copy(update={"message": f"{name}: {problem.message}"})
    return None
