"""The package's imports point one way: each module imports only from its own layer or the layers below.

core <- sandbox <- grading <- queue/storage <- services <- http <- api/web <- shell <- cli. "http" is what the API and
the pages share from judge/app (state, dependencies, errors, cookies); the shell is judge/app's factory and
handlers, the one place that composes the API and the pages. The table places every module; a new module must
be placed before this test passes, so where it sits is a decision, not an accident.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "judge"

# Longest matching prefix wins; rank: a module may import a module of rank <= its own.
LAYERS: dict[str, int] = {
    "judge": 0,
    "judge.errors": 0,
    "judge.settings": 0,
    "judge.result": 0,
    "judge.problem": 0,
    "judge.quiz": 0,
    "judge.statement": 0,
    "judge.scoring": 0,
    "judge.workspace": 0,
    "judge.harness": 0,
    "judge.limits": 0,
    "judge.logs": 0,
    "judge.similarity": 0,
    "judge.integrity": 0,
    "judge.syntax": 0,
    "judge.report": 0,
    "judge.bank": 0,
    "judge.bank.loader": 0,
    "judge.bank.versions": 0,
    "judge.bank.scaffold": 0,
    "judge.notebook": 0,
    "judge.bundle": 0,
    "judge.sandbox": 1,
    "judge.grading": 2,
    "judge.batch": 2,
    "judge.bank.validation": 2,
    "judge.bank.gradescope": 2,
    "judge.queue": 3,
    "judge.storage": 3,
    "judge.views": 3,
    "judge.migrations": 3,
    "judge.bank.packages": 3,
    "judge.bank.ownership": 3,
    "judge.assessments": 4,
    "judge.intake": 4,
    "judge.runs": 4,
    "judge.app": 5,
    "judge.api": 6,
    "judge.web": 6,
    "judge.app.factory": 7,
    "judge.app.handlers": 7,
    "judge.cli": 8,
    # A client of the service: beside the CLI, on the service's models only (tests/test_client.py checks which).
    "judge.client": 8,
}
NAMES = {
    0: "core",
    1: "sandbox",
    2: "grading",
    3: "queue/storage",
    4: "services",
    5: "http",
    6: "api/web",
    7: "shell",
    8: "cli",
}
# Siblings on one floor that must not know each other: the app shell composes them.
STRANGERS = [("judge.api", "judge.web"), ("judge.web", "judge.api")]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    matches = [prefix for prefix in LAYERS if module == prefix or module.startswith(prefix + ".")]
    if not matches:
        raise AssertionError(f"{module} has no layer: add it to LAYERS in {Path(__file__).name}")
    return LAYERS[max(matches, key=len)]


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every judge module a file imports, lazily or not, with the line that does."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            # `from judge.x import y` may name a submodule y; the longest importable name is what is imported.
            found += [(node.lineno, name) for name in names if name.startswith("judge")]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("judge")]
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_a_module_imports_only_its_own_layer_or_below(path: Path):
    module = _module_name(path)
    own = _layer(module)
    wrong = []
    for line, imported in _imports(path):
        rank = _layer(imported)
        if rank > own:
            wrong.append(f"line {line}: {imported} ({NAMES[rank]}) from {NAMES[own]}")
        for importer, forbidden in STRANGERS:
            if module.startswith(importer) and (imported == forbidden or imported.startswith(forbidden + ".")):
                wrong.append(f"line {line}: {imported}; {importer} and {forbidden} meet only in judge.app")
    assert not wrong, f"{module} imports upward:\n" + "\n".join(wrong)


def test_the_table_places_only_modules_that_exist():
    modules = {_module_name(path) for path in MODULES}
    stale = [prefix for prefix in LAYERS if not any(m == prefix or m.startswith(prefix + ".") for m in modules)]
    assert not stale, f"LAYERS names modules that no longer exist: {stale}"


def test_the_check_catches_an_upward_import(tmp_path):
    # The rule is only worth its green if it goes red: a storage module importing the API is caught.
    bad = tmp_path / "judge" / "storage" / "leak.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("from judge.api.schemas import SubmissionView\n")
    imported = [name for _, name in _imports(bad)]
    assert any(_layer(name) > _layer("judge.storage.leak") for name in imported)


def _loops(graph: dict[str, set[str]]) -> set[str]:
    """Every cycle through the import graph, each named by its modules (sorted)."""
    loops = set()
    for start in graph:
        stack = [(start, [start])]
        seen = set()
        while stack:
            node, trail = stack.pop()
            for nxt in graph.get(node, set()):
                if nxt == start:
                    loops.add(" -> ".join(sorted(trail)))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, trail + [nxt]))
    return loops


def test_no_two_modules_import_each_other_even_lazily():
    # A lazy import that breaks a circle at load time still ties two modules into one: name the loops.
    modules = {_module_name(path): path for path in MODULES}
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for _, imported in _imports(path):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            # A package's __init__ imported for one of its submodules is not an edge back to the package.
            if imported and imported != module and not module.startswith(imported + "."):
                targets.add(imported)
        graph[module] = targets
    loops = _loops(graph)
    assert not loops, "import loops:\n" + "\n".join(sorted(loops))


def test_the_loop_check_finds_a_loop_of_two_and_of_three():
    assert _loops({"a": {"b"}, "b": {"a"}, "c": set()}) == {"a -> b"}
    assert _loops({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == {"a -> b -> c"}
    assert _loops({"a": {"b"}, "b": {"c"}, "c": set()}) == set()
