"""Rewrite uses of the flat `Settings` fields into the grouped ones (issue 14): run it from the repository root.

    .venv/bin/python scripts/codemods/nest_settings.py [--check] [--ruff PATH] [paths...]   # default: judge tests bench

What it rewrites, in every .py file but judge/settings.py and tests/test_settings.py:
- attribute reads and writes on a settings object: `settings.max_memory_mb` -> `settings.limits.max_memory_mb`,
  `state.settings.sandbox` -> `state.settings.sandbox.backend`;
- keyword arguments of `Settings(...)` and of the test helpers that pass theirs on (BUILDERS):
  `Settings(data_dir=d, queue="celery")` -> `Settings(storage={"data_dir": d}, queue={"backend": "celery"})`;
- `model_copy(update={...})` of a settings object, one nested `model_copy` per group;
- dict literals whose keys are all flat settings names (the `**values` handed to a builder);
- `getattr`/`setattr`/`monkeypatch.setattr(settings, "flat_name", ...)`;
- `settings.<flat name>` written in comments and strings.
A settings object is an expression named `settings` or `*_settings` (a variable, an attribute, a call), or a
`Settings(...)` call. Then it lists what it cannot decide alone (a flat name on another receiver that only
settings have, a test-only field that left `Settings`) and exits 1 if there is any; with --check it changes nothing
and exits 1 when a file would change. Running it again changes nothing: every output is in the grouped form, which
no rule matches (`settings.sandbox`/`settings.queue` followed by an attribute, or given as a dict or a nested
`model_copy`, are the groups already).
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

#: flat name -> (group, name in the group)
MOVES: dict[str, tuple[str, str]] = {
    "max_wall_timeout_s": ("limits", "max_wall_timeout_s"),
    "max_check_timeout_s": ("limits", "max_check_timeout_s"),
    "max_memory_mb": ("limits", "max_memory_mb"),
    "output_cap_bytes": ("limits", "output_cap_bytes"),
    "max_source_bytes": ("limits", "max_source_bytes"),
    "candidate_pids": ("limits", "candidate_pids"),
    "candidate_open_files": ("limits", "candidate_open_files"),
    "candidate_file_size_mb": ("limits", "candidate_file_size_mb"),
    "runner_memory_mb": ("limits", "runner_memory_mb"),
    "runner_pids": ("limits", "runner_pids"),
    "sandbox": ("sandbox", "backend"),
    "docker_image": ("sandbox", "docker_image"),
    "docker_problem_images": ("sandbox", "docker_problem_images"),
    "docker_host": ("sandbox", "docker_host"),
    "docker_cpus": ("sandbox", "docker_cpus"),
    "bwrap_path": ("sandbox", "bwrap_path"),
    "pool_size": ("sandbox", "pool_size"),
    "pool_nice": ("sandbox", "pool_nice"),
    "pool_idle_s": ("sandbox", "pool_idle_s"),
    "docker_base_image": ("images", "docker_base_image"),
    "docker_offline_base_image": ("images", "docker_offline_base_image"),
    "service_image": ("images", "service_image"),
    "offline_redis_image": ("images", "offline_redis_image"),
    "offline_postgres_image": ("images", "offline_postgres_image"),
    "data_dir": ("storage", "data_dir"),
    "database_url": ("storage", "database_url"),
    "problems_dirs": ("problems", "dirs"),
    "uploaded_problems_dir": ("problems", "uploaded_dir"),
    "team_problems_dirs": ("problems", "team_dirs"),
    "max_package_bytes": ("uploads", "max_package_bytes"),
    "max_package_unpacked_bytes": ("uploads", "max_package_unpacked_bytes"),
    "max_package_files": ("uploads", "max_package_files"),
    "max_uploads_per_team": ("uploads", "max_per_team"),
    "host": ("service", "host"),
    "port": ("service", "port"),
    "trusted_proxies": ("service", "trusted_proxies"),
    "secure_cookies": ("service", "secure_cookies"),
    "session_secret": ("service", "session_secret"),
    "session_max_age_s": ("service", "session_max_age_s"),
    "poll_interval_s": ("service", "poll_interval_s"),
    "max_wait_s": ("service", "max_wait_s"),
    "stream_max_s": ("service", "stream_max_s"),
    "queue": ("queue", "backend"),
    "redis_url": ("queue", "redis_url"),
    "workers": ("queue", "workers"),
    "queue_limit": ("queue", "limit"),
    "queue_retry_after_s": ("queue", "retry_after_s"),
    "max_attempts": ("queue", "max_tries"),
    "retry_backoff_s": ("queue", "retry_backoff_s"),
    "heartbeat_interval_s": ("queue", "heartbeat_interval_s"),
    "heartbeat_timeout_s": ("queue", "heartbeat_timeout_s"),
    "sweep_interval_s": ("queue", "sweep_interval_s"),
    "celery_visibility_timeout_s": ("queue", "celery_visibility_timeout_s"),
    "celery_restore_interval_s": ("queue", "celery_restore_interval_s"),
    "rate_limit_per_minute": ("rate_limits", "per_minute"),
    "rate_limit_burst": ("rate_limits", "burst"),
    "auth_failures_per_minute": ("rate_limits", "auth_failures_per_minute"),
    "rate_limit_storage_url": ("rate_limits", "storage_url"),
    "rate_limit_key_prefix": ("rate_limits", "key_prefix"),
    "callback_secret": ("callbacks", "secret"),
    "callback_max_attempts": ("callbacks", "max_deliveries"),
    "callback_backoff_s": ("callbacks", "backoff_s"),
    "callback_timeout_s": ("callbacks", "timeout_s"),
    "callback_allowed_hosts": ("callbacks", "allowed_hosts"),
    "invitation_grace_s": ("assessments", "invitation_grace_s"),
    "similarity_threshold": ("assessments", "similarity_threshold"),
    "batch_max_archive_bytes": ("batch", "max_archive_bytes"),
    "batch_max_submissions": ("batch", "max_submissions"),
}
GROUPS = {group for group, _ in MOVES.values()}
#: Flat names that are also group names: `settings.sandbox` is the backend unless an attribute follows.
BOTH = {name for name in MOVES if name in GROUPS}
#: Fields that left Settings for the tests (tests/environment.py); their uses are listed, not rewritten.
TEST_ONLY = {"test_postgres_url", "test_redis_url", "require_docker", "ci", "docker_required"}
#: Callables whose keyword arguments are settings fields: name -> the files they live in ("" anywhere).
BUILDERS = {
    "Settings": "",
    "start_service": "tests/",
    "_settings": "tests/queue/test_callbacks.py",
    "_service": "tests/api/test_rejudge_queue.py",
}
#: Flat names other objects have too: a use on a receiver that is not a settings object is theirs, not listed.
SHARED = {
    "host",
    "port",
    "workers",
    "sandbox",
    "queue",
    "data_dir",
    "max_attempts",
    "output_cap_bytes",
    "heartbeat_timeout_s",
    "max_memory_mb",
    "max_wall_timeout_s",
    "max_check_timeout_s",
    "similarity_threshold",
    "pool_size",
    "database_url",
}

DEFAULT_PATHS = ("judge", "tests", "bench")
#: The settings themselves, their test (which gives flat names on purpose) and this script.
SKIP = {Path("judge/settings.py"), Path("tests/test_settings.py"), Path("scripts/codemods/nest_settings.py")}


def _name_of(node: ast.expr) -> str | None:
    """The last name of a receiver or callee: `a.b.settings` -> settings, `make()` -> make."""
    if isinstance(node, ast.Call):
        return _name_of(node.func)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def is_settings(node: ast.expr) -> bool:
    """Whether an expression holds a Settings object, judged by its name."""
    name = _name_of(node)
    if name is None:
        return False
    if isinstance(node, ast.Call):
        return name == "Settings" or name.endswith("_settings")
    return name == "settings" or name.endswith("_settings")


def is_builder(call: ast.Call, path: Path) -> bool:
    """Whether `call` takes settings fields as keyword arguments."""
    name = _name_of(call.func)
    where = BUILDERS.get(name or "")
    return where is not None and path.as_posix().startswith(where)


def _is_nested_value(node: ast.expr) -> bool:
    """Whether the value given to a group name is the group (a dict, a group, a model_copy) rather than a flat value."""
    if isinstance(node, ast.Dict):
        return True
    if isinstance(node, ast.Call):
        name = _name_of(node.func) or ""
        return name == "model_copy" or name.endswith("Settings")
    return False


def _flat(name: str, value: ast.expr | None) -> bool:
    """Whether `name=value` is a flat field (to move), not a group."""
    if name not in MOVES:
        return False
    return not (name in BOTH and value is not None and _is_nested_value(value))


def _is_group_value(node: ast.Dict, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether a dict is a group's fields already: `queue={...}`, `{"queue": {...}}`, `s.queue.model_copy(update={...})`."""
    parent = parents.get(node)
    if isinstance(parent, ast.keyword) and parent.arg == "update":
        func = getattr(parents.get(parent), "func", None)
        owner = func.value if isinstance(func, ast.Attribute) else None
        return isinstance(owner, ast.Attribute) and owner.attr in GROUPS
    if isinstance(parent, ast.keyword):
        return parent.arg in GROUPS
    if isinstance(parent, ast.Dict):
        key = next((k for k, v in zip(parent.keys, parent.values) if v is node), None)
        return isinstance(key, ast.Constant) and key.value in GROUPS
    return False


class Source:
    """A file's text with byte offsets for AST positions, and the edits planned on it."""

    def __init__(self, text: str) -> None:
        self.data = text.encode()
        self.starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))
        self.edits: list[tuple[int, int, str]] = []

    def span(self, node: ast.AST) -> tuple[int, int]:
        """Byte offsets of a node."""
        start = self.starts[node.lineno - 1] + node.col_offset  # type: ignore[attr-defined]
        end = self.starts[node.end_lineno - 1] + node.end_col_offset  # type: ignore[attr-defined]
        return start, end

    def text(self, node: ast.AST) -> str:
        """A node's source text."""
        start, end = self.span(node)
        return self.data[start:end].decode()

    def edit(self, start: int, end: int, new: str) -> None:
        """Plan to replace bytes start:end with `new`."""
        self.edits.append((start, end, new))

    def apply(self) -> str:
        """The text with the planned edits that do not overlap an earlier one (the rest wait for the next pass)."""
        taken: list[tuple[int, int, str]] = []
        for start, end, new in sorted(self.edits, key=lambda e: (e[0], -e[1])):
            if any(start < t_end and t_start < end for t_start, t_end, _ in taken):
                continue
            taken.append((start, end, new))
        data = self.data
        for start, end, new in sorted(taken, reverse=True):
            data = data[:start] + new.encode() + data[end:]
        return data.decode()


def _grouped(items: list[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    """(flat name, value source) pairs -> group -> [(name in group, value source)], in first-seen order."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for flat, value in items:
        group, name = MOVES[flat]
        groups.setdefault(group, []).append((name, value))
    return groups


def _dict_source(pairs: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f'"{name}": {value}' for name, value in pairs) + "}"


class Planner(ast.NodeVisitor):
    """Plans the edits of one file."""

    def __init__(self, source: Source, path: Path) -> None:
        self.source = source
        self.path = path
        self.parents: dict[ast.AST, ast.AST] = {}
        self.notes: list[str] = []

    def plan(self, tree: ast.Module) -> None:
        """Visit the whole tree."""
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent
        self.visit(tree)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        """`settings.flat` -> `settings.group.name`."""
        parent = self.parents.get(node)
        already_group = node.attr in BOTH and isinstance(parent, ast.Attribute) and parent.value is node
        if node.attr in MOVES and not already_group and is_settings(node.value):
            group, name = MOVES[node.attr]
            _, end = self.source.span(node)
            self.source.edit(end - len(node.attr), end, f"{group}.{name}")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        """Builders' keywords, model_copy updates, getattr/setattr names."""
        if is_builder(node, self.path):
            self._builder(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "model_copy" and is_settings(func.value):
            self._model_copy(node, func.value)
        if _name_of(func) in ("getattr", "setattr", "delattr", "hasattr") and len(node.args) >= 2:
            target, name = node.args[0], node.args[1]
            if is_settings(target) and isinstance(name, ast.Constant) and _flat(str(name.value), None):
                group, new = MOVES[str(name.value)]
                start, _ = self.source.span(target)
                _, end = self.source.span(name)
                self.source.edit(start, end, f'{self.source.text(target)}.{group}, "{new}"')
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        """A dict literal of flat settings names (a builder's `**values`) -> one dict per group."""
        keys = [k.value if isinstance(k, ast.Constant) and isinstance(k.value, str) else None for k in node.keys]
        parent = self.parents.get(node)
        if (
            keys
            and not (isinstance(parent, ast.keyword) and parent.arg == "update")  # model_copy's, see _model_copy
            and not _is_group_value(node, self.parents)
            and all(k is not None and _flat(k, v) for k, v in zip(keys, node.values))
            and any(k not in SHARED for k in keys)
        ):
            items = [(str(k), self.source.text(v)) for k, v in zip(keys, node.values)]
            start, end = self.source.span(node)
            groups = _grouped(items)
            self.source.edit(start, end, "{" + ", ".join(f'"{g}": {_dict_source(p)}' for g, p in groups.items()) + "}")
        self.generic_visit(node)

    def _builder(self, call: ast.Call) -> None:
        flat = [kw for kw in call.keywords if kw.arg is not None and _flat(kw.arg, kw.value)]
        if not flat:
            return
        moved = _grouped([(str(kw.arg), self.source.text(kw.value)) for kw in flat])
        if any(kw.arg is None for kw in call.keywords):
            self.notes.append(
                f"{self.path}:{call.lineno}: {', '.join(moved)}= added beside a ** argument: check it gives no such group"
            )
        parts: list[str] = [self.source.text(arg) for arg in call.args]
        for kw in call.keywords:
            if kw in flat:
                continue
            if kw.arg in moved and isinstance(kw.value, ast.Dict):
                # The group is given already: the moved fields join its dict.
                own = [
                    self.source.text(k) + ": " + self.source.text(v)
                    for k, v in zip(kw.value.keys, kw.value.values)
                    if k
                ]
                extra = [f'"{name}": {value}' for name, value in moved.pop(str(kw.arg))]
                parts.append(f"{kw.arg}={{{', '.join(own + extra)}}}")
            else:
                parts.append(self.source.text(kw))
        parts.extend(f"{group}={_dict_source(pairs)}" for group, pairs in moved.items())
        start, end = self.source.span(call)
        self.source.edit(start, end, f"{self.source.text(call.func)}({', '.join(parts)})")

    def _model_copy(self, call: ast.Call, receiver: ast.expr) -> None:
        update = next((kw.value for kw in call.keywords if kw.arg == "update"), None)
        if not isinstance(update, ast.Dict):
            return
        keys = [k.value if isinstance(k, ast.Constant) and isinstance(k.value, str) else None for k in update.keys]
        if any(k is None for k in keys) or not any(_flat(str(k), v) for k, v in zip(keys, update.values)):
            return
        if not isinstance(receiver, (ast.Name, ast.Attribute)):
            return  # evaluated once per group below: left to a person (listed by the check)
        owner = self.source.text(receiver)
        flat = [(str(k), self.source.text(v)) for k, v in zip(keys, update.values) if _flat(str(k), v)]
        kept = [f'"{k}": {self.source.text(v)}' for k, v in zip(keys, update.values) if not _flat(str(k), v)]
        nested = [
            f'"{group}": {owner}.{group}.model_copy(update={_dict_source(pairs)})'
            for group, pairs in _grouped(flat).items()
        ]
        start, end = self.source.span(update)
        self.source.edit(start, end, "{" + ", ".join(kept + nested) + "}")


TEXT_RE = re.compile(r"\b([sS]ettings)\.(" + "|".join(sorted(MOVES, key=len, reverse=True)) + r")\b(?!\.\w)")


def _text_rewrite(match: re.Match[str]) -> str:
    group, name = MOVES[match.group(2)]
    return f"{match.group(1)}.{group}.{name}"


def rewrite_text(text: str) -> str:
    """`settings.<flat>` in comments and string literals (docstrings, help texts)."""
    out: list[str] = []
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    edits: list[tuple[int, int, str]] = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type in (tokenize.COMMENT, tokenize.STRING) or token.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
            new = TEXT_RE.sub(_text_rewrite, token.string)
            if new != token.string:
                start = starts[token.start[0] - 1] + token.start[1]
                end = starts[token.end[0] - 1] + token.end[1]
                edits.append((start, end, new))
    out_text = text
    for start, end, new in sorted(edits, reverse=True):
        out_text = out_text[:start] + new + out_text[end:]
    out.append(out_text)
    return "".join(out)


def rewrite(text: str, path: Path) -> tuple[str, list[str]]:
    """The file's text with every flat use rewritten (passes until nothing changes: nested edits wait a pass),
    and notes on rewrites to look at."""
    notes: list[str] = []
    for _ in range(20):
        source = Source(text)
        planner = Planner(source, path)
        planner.plan(ast.parse(text))
        new = source.apply()
        if new == text:
            break
        notes.extend(planner.notes)
        text = new
    return rewrite_text(text), notes


def leftovers(text: str, path: Path) -> list[str]:
    """Uses the rules cannot decide: a flat name only settings have on another receiver, test-only fields."""
    found = []
    tree = ast.parse(text)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            receiver = node.value
            in_group = isinstance(receiver, ast.Attribute) and receiver.attr in GROUPS
            if node.attr in TEST_ONLY and (is_settings(receiver) or _name_of(receiver) == "Settings"):
                found.append(f"{path}:{node.lineno}: test-only field {ast.unparse(node)} (tests/environment.py)")
            elif node.attr in MOVES and node.attr not in SHARED and not in_group and not is_settings(receiver):
                found.append(f"{path}:{node.lineno}: {ast.unparse(node)}: a settings object under another name?")
        if isinstance(node, ast.Call) and is_builder(node, path):
            for kw in node.keywords:
                if kw.arg in TEST_ONLY:
                    found.append(f"{path}:{node.lineno}: test-only field {kw.arg}= in {ast.unparse(node.func)}(...)")
        if isinstance(node, ast.Dict) and not _is_group_value(node, parents):
            for key in node.keys:
                if isinstance(key, ast.Constant) and key.value in MOVES and key.value not in SHARED | GROUPS:
                    found.append(f"{path}:{node.lineno}: key {key.value!r}: a flat settings name in a dict")
    return found


def files(paths: list[str]) -> list[Path]:
    """The .py files under `paths` but those in SKIP."""
    out = []
    for root in paths:
        base = Path(root)
        for path in sorted([base] if base.is_file() else base.rglob("*.py")):
            if path not in SKIP and ".venv" not in path.parts:
                out.append(path)
    return out


def main() -> int:
    """Rewrite (or with --check, only look at) the files; list what is left to a person."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would change")
    parser.add_argument("--ruff", default="ruff", help="the ruff that formats the changed files; '' for none")
    parser.add_argument("paths", nargs="*", default=list(DEFAULT_PATHS))
    args = parser.parse_args()
    changed, left, notes = [], [], []
    for path in files(args.paths):
        text = path.read_text()
        new, more = rewrite(text, path)
        notes.extend(more)
        if new != text:
            changed.append(path)
            if not args.check:
                path.write_text(new)
        left.extend(leftovers(new, path))
    for path in changed:
        print(f"{'would rewrite' if args.check else 'rewrote'} {path}")
    if changed and not args.check and args.ruff:
        # The rewritten calls are on one line; ruff puts them back in the project's format.
        subprocess.run([args.ruff, "format", "--quiet", *map(str, changed)], check=True)
    for line in notes:
        print(f"check: {line}")
    for line in left:
        print(f"left to you: {line}")
    return 1 if left or (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
