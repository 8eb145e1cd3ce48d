"""The syntax check of a Python submission: does it compile, and if not, where and why.

The source is compiled, never run, in a short-lived child interpreter under its own address-space and
CPU limits and a wall-clock timeout: CPython's parser and compiler recurse on nesting, so a huge or
deeply nested file can raise RecursionError, exhaust memory or (in some versions) overflow the C stack
of whichever process compiles it. In a child, the worst case is a clear SyntaxProblem, never a hung or
crashed API or worker. Its cost is one interpreter start-up (`python -I -S`, no site imports) and the
compile: 50-100 ms for a 600-line file on a loaded 2-core machine, about 1 s for a 1 MB one-line
expression (which ends as "too deeply nested"); tests/test_syntax.py bounds both.
"""

from __future__ import annotations

import json
import subprocess
import sys

from pydantic import BaseModel, Field

#: Wall-clock limit of one check; compiling the largest accepted file takes well under a second.
WALL_TIMEOUT_S = 10.0
#: CPU seconds the child may use (RLIMIT_CPU).
CPU_LIMIT_S = 5
#: Address space the child may map (RLIMIT_AS): an interpreter plus the AST of a 1 MB file fits.
MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024
#: Longest offending line kept in a problem.
TEXT_CAP_CHARS = 200

TOO_DEEP = "SyntaxError: the code is nested too deeply (brackets or expressions) for Python to compile"
TOO_BIG = "SyntaxError: the code is too large or too deeply nested to compile within the limits"

# Run by the child: limits first, then the source from stdin, compiled (not executed), one JSON line out.
_CHILD = f"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT_BYTES}, {MEMORY_LIMIT_BYTES}))
resource.setrlimit(resource.RLIMIT_CPU, ({CPU_LIMIT_S}, {CPU_LIMIT_S}))
source = sys.stdin.buffer.read()
out = None
try:
    compile(source, "<submission>", "exec", dont_inherit=True)
except SyntaxError as exc:
    out = {{"kind": "syntax", "type": type(exc).__name__, "msg": exc.msg, "line": exc.lineno, "col": exc.offset}}
except (RecursionError, MemoryError) as exc:
    out = {{"kind": "deep", "type": type(exc).__name__}}
except ValueError as exc:
    out = {{"kind": "value", "type": "ValueError", "msg": str(exc)}}
sys.stdout.write(json.dumps(out))
"""


class SyntaxProblem(BaseModel):
    """Why a submission does not compile: where (1-based line and column) and what Python said."""

    line: int = Field(ge=1, description="The offending line, from 1.")
    column: int | None = Field(default=None, ge=1, description="The column on that line, from 1, where known.")
    message: str = Field(description="What is wrong, e.g. 'SyntaxError: invalid syntax'.")
    text: str = Field(default="", description="The offending line's text, cut to 200 characters.")

    def headline(self) -> str:
        """One line for people: `SyntaxError at line 3: invalid syntax`."""
        kind, _, why = self.message.partition(": ")
        return f"{kind} at line {self.line}: {why}" if why else f"{self.message} (line {self.line})"


def check_syntax(source: str) -> SyntaxProblem | None:
    """None when `source` compiles as Python; else the first problem. Never runs the code; bounded by
    WALL_TIMEOUT_S, CPU_LIMIT_S and MEMORY_LIMIT_BYTES whatever the source holds."""
    data = source.encode("utf-8", "surrogatepass")
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", _CHILD],
            input=data,
            capture_output=True,
            timeout=WALL_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return _problem(source, 1, None, TOO_BIG)
    if done.returncode != 0:
        # Killed by its limits (SIGXCPU, SIGKILL) or crashed: the source is past what it may compile.
        return _problem(source, 1, None, TOO_BIG)
    found = json.loads(done.stdout or b"null")
    if found is None:
        return None
    if found["kind"] == "deep":
        return _problem(source, 1, None, TOO_DEEP)
    if found["kind"] == "value":
        return _problem(source, 1, None, f"ValueError: {found['msg']}")
    message = f"{found['type']}: {found['msg']}"
    if "too many nested" in found["msg"] or "too complex" in found["msg"]:
        message = f"{TOO_DEEP} ({found['msg']})"
    return _problem(source, found["line"] or 1, found["col"], message)


def _problem(source: str, line: int, column: int | None, message: str) -> SyntaxProblem:
    lines = source.splitlines()
    line = max(1, min(line, max(len(lines), 1)))
    text = lines[line - 1].rstrip() if lines else ""
    if len(text) > TEXT_CAP_CHARS:
        text = text[: TEXT_CAP_CHARS - 1] + "…"
    return SyntaxProblem(line=line, column=column if column and column >= 1 else None, message=message, text=text)
