"""No module of the judge runs the docker CLI: the engine is reached through the SDK
(judge/sandbox/engine.py) alone. Tests and scripts may still use the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

#: Calls that start a program: subprocess's, os's exec*/spawn*/system/popen, asyncio's.
PROCESS_CALLS = {
    "subprocess": {"run", "Popen", "call", "check_call", "check_output", "getoutput", "getstatusoutput"},
    "os": {
        "system",
        "popen",
        "execv",
        "execve",
        "execvp",
        "execvpe",
        "execl",
        "execle",
        "execlp",
        "execlpe",
        "spawnv",
        "spawnve",
        "spawnvp",
        "spawnvpe",
        "spawnl",
        "spawnle",
        "spawnlp",
        "spawnlpe",
        "posix_spawn",
        "posix_spawnp",
    },
    "asyncio": {"create_subprocess_exec", "create_subprocess_shell"},
}
PROGRAMS = {"docker", "docker-compose", "dockerd"}
#: What follows the program in a docker command line (a list of backend names has none of them).
SUBCOMMANDS = {
    "attach",
    "build",
    "container",
    "context",
    "cp",
    "create",
    "exec",
    "image",
    "images",
    "import",
    "info",
    "inspect",
    "kill",
    "load",
    "logs",
    "ps",
    "pull",
    "rm",
    "rmi",
    "run",
    "save",
    "start",
    "stop",
    "system",
    "update",
    "version",
    "wait",
}


def _is_docker(node: ast.AST) -> bool:
    """Whether an expression is a string whose first word is the docker program (by name or path)."""
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return False
    words = node.value.split()
    return bool(words) and Path(words[0]).name in PROGRAMS


def _names_docker(node: ast.AST) -> bool:
    """Whether a command argument names docker as the program: "docker ...", or a list starting with it."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return bool(node.elts) and _is_docker(node.elts[0])
    return _is_docker(node)


def _command_words(rest: list[ast.expr]) -> bool:
    """Whether what follows "docker" in a list reads as a command line (or is nothing, or unknown)."""
    if not rest:
        return True
    for node in rest:
        if isinstance(node, ast.Starred):
            return True
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and (node.value.startswith("-") or node.value in SUBCOMMANDS)
        ):
            return True
    return False


def _process_call(call: ast.Call, imported: dict[str, str]) -> bool:
    """Whether `call` starts a program (module.function, or a function imported from such a module)."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        module = imported.get(func.value.id, func.value.id)
        return func.attr in PROCESS_CALLS.get(module, set())
    if isinstance(func, ast.Name) and func.id in imported:
        module, _, name = imported[func.id].rpartition(".")
        return name in PROCESS_CALLS.get(module, set())
    return False


def docker_cli_uses(source: str) -> list[int]:
    """Lines of `source` that run docker, or build a command list starting with it."""
    tree = ast.parse(source)
    imported: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update({a.asname or a.name: a.name for a in node.names})
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
    lines = []
    for node in ast.walk(tree):
        program_args = (
            [*node.args, *(k.value for k in node.keywords if k.arg in ("args", "executable", "file", "path"))]
            if isinstance(node, ast.Call)
            else []
        )
        if (
            isinstance(node, ast.Call)
            and _process_call(node, imported)
            and any(_names_docker(arg) for arg in program_args)
        ):
            lines.append(node.lineno)
        # A command kept for later (["docker", "ps"], ["docker", *options]), whoever runs it.
        elif isinstance(node, (ast.List, ast.Tuple)) and _names_docker(node) and _command_words(node.elts[1:]):
            lines.append(node.lineno)
    return sorted(set(lines))


def test_no_module_of_the_judge_runs_the_docker_cli():
    modules = sorted((REPO / "judge").rglob("*.py"))
    assert len(modules) > 50
    offenders = {
        str(p.relative_to(REPO)): lines for p in modules if (lines := docker_cli_uses(p.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "run the engine through judge.sandbox.engine, not the docker CLI"


@pytest.mark.parametrize(
    "source",
    [
        "import subprocess\nsubprocess.run(['docker', 'ps'])",
        "import subprocess as sp\nsp.Popen(['/usr/bin/docker', 'kill', name])",
        "from subprocess import check_output\ncheck_output(['docker', 'info'])",
        "import os\nos.system('docker rm -f x')",
        "import os\nos.execvp('docker', ['docker', 'run'])",
        "DOCKER = ['docker', '--host', host]",
        "def cli(settings):\n    return ['docker', *options(settings)]",
        "RM = ('docker', 'rm', '--force')",
        "import subprocess\nsubprocess.run([*cli, 'ps'], executable='docker')",
    ],
)
def test_the_check_catches_every_way_of_running_docker(source):
    assert docker_cli_uses(source), source


@pytest.mark.parametrize(
    "source",
    [
        "import subprocess\nsubprocess.run(['debootstrap', '--variant=minbase'])",
        "log('docker build: done')",
        "import docker\nclient = docker.DockerClient(base_url=host)",
        "BACKENDS = ('docker', 'bwrap', 'process')",
        "import subprocess\nsubprocess.run(['tar', '-c', 'docker'])",
    ],
)
def test_the_check_lets_other_programs_and_the_sdk_be(source):
    assert docker_cli_uses(source) == [], source
