"""Static integrity flags: code in a submission that looks like tampering with the judge.

Flags are read from the AST, never by running the code, and are shown to the hiring team as hints;
they never change a score. Names are resolved through imports and simple aliases, so `import ctypes
as c`, `from os import _exit as bye` and `e = os._exit` are seen for what they are.
"""

from __future__ import annotations

import ast
from enum import StrEnum

from pydantic import BaseModel

#: Longest source line kept in a flag's snippet.
SNIPPET_CAP_CHARS = 160
#: Longest chain of attributes, calls and subscripts whose name is resolved; honest code has a handful.
MAX_CHAIN_DEPTH = 100


class FlagKind(StrEnum):
    """What a flagged piece of code appears to try."""

    PROCESS_EXIT = "process_exit"
    MODULE_PATCHING = "module_patching"
    BUILTINS_PATCHING = "builtins_patching"
    TEST_FRAMEWORK = "test_framework"
    GC = "gc"
    FRAME_INSPECTION = "frame_inspection"
    INTROSPECTION = "introspection"
    CTYPES = "ctypes"
    SUBPROCESS = "subprocess"
    SOCKET = "socket"
    DYNAMIC_CODE = "dynamic_code"
    THREADS = "threads"
    SIGNALS = "signals"
    RAW_IO = "raw_io"
    FILE_SYSTEM = "file_system"
    ENVIRONMENT = "environment"
    COMPARISON_OVERRIDE = "comparison_override"
    OBFUSCATION = "obfuscation"


class IntegrityFlag(BaseModel):
    """One suspicious construct: where it is and why a reviewer may want to look."""

    kind: FlagKind
    line: int
    snippet: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind.value}@{self.line}"


# A rule matches a dotted name equal to its key or below it (key "ctypes" matches "ctypes.CDLL").
#: Modules whose mere import is worth a look.
MODULE_RULES: dict[str, tuple[FlagKind, str]] = {
    "ctypes": (FlagKind.CTYPES, "loads native code through ctypes, which can rewrite memory of the process"),
    "_ctypes": (FlagKind.CTYPES, "loads native code through ctypes, which can rewrite memory of the process"),
    "cffi": (FlagKind.CTYPES, "loads native code through cffi"),
    "torch.utils.cpp_extension": (FlagKind.CTYPES, "compiles and loads native code at run time"),
    "subprocess": (FlagKind.SUBPROCESS, "starts other programs"),
    "_posixsubprocess": (FlagKind.SUBPROCESS, "starts other programs"),
    "multiprocessing": (FlagKind.SUBPROCESS, "starts other processes"),
    "pty": (FlagKind.SUBPROCESS, "starts other programs on a pseudo-terminal"),
    "socket": (FlagKind.SOCKET, "opens network sockets"),
    "_socket": (FlagKind.SOCKET, "opens network sockets"),
    "ssl": (FlagKind.SOCKET, "opens network connections"),
    "urllib.request": (FlagKind.SOCKET, "opens network connections"),
    "http.client": (FlagKind.SOCKET, "opens network connections"),
    "requests": (FlagKind.SOCKET, "opens network connections"),
    "httpx": (FlagKind.SOCKET, "opens network connections"),
    "urllib3": (FlagKind.SOCKET, "opens network connections"),
    "gc": (
        FlagKind.GC,
        "uses the garbage collector, which can reach any object of the process (expected values included)",
    ),
    "threading": (FlagKind.THREADS, "starts threads, which can keep running while the checks do"),
    "_thread": (FlagKind.THREADS, "starts threads, which can keep running while the checks do"),
    "signal": (FlagKind.SIGNALS, "handles or sends signals, which the judge uses to enforce time limits"),
    "_signal": (FlagKind.SIGNALS, "handles or sends signals, which the judge uses to enforce time limits"),
    "pytest": (FlagKind.TEST_FRAMEWORK, "imports the test framework that runs the hidden checks"),
    "_pytest": (FlagKind.TEST_FRAMEWORK, "imports the test framework that runs the hidden checks"),
    "importlib": (FlagKind.DYNAMIC_CODE, "imports or reloads modules dynamically"),
    "marshal": (FlagKind.DYNAMIC_CODE, "loads compiled code objects"),
    "atexit": (FlagKind.PROCESS_EXIT, "runs code when the process exits"),
    "unittest.mock": (FlagKind.MODULE_PATCHING, "mocks objects, which can replace what the checks call"),
}

#: Names (functions, attributes) whose use is worth a look, wherever they are imported from.
NAME_RULES: dict[str, tuple[FlagKind, str]] = {
    "os._exit": (FlagKind.PROCESS_EXIT, "ends the process at once, skipping the checks' own clean-up"),
    "os.abort": (FlagKind.PROCESS_EXIT, "aborts the process"),
    "os.kill": (FlagKind.PROCESS_EXIT, "sends signals to processes (the judge's own included)"),
    "os.killpg": (FlagKind.PROCESS_EXIT, "sends signals to process groups"),
    "sys.exit": (FlagKind.PROCESS_EXIT, "exits the interpreter from submitted code"),
    "builtins.exit": (FlagKind.PROCESS_EXIT, "exits the interpreter from submitted code"),
    "builtins.quit": (FlagKind.PROCESS_EXIT, "exits the interpreter from submitted code"),
    "builtins.SystemExit": (FlagKind.PROCESS_EXIT, "raises SystemExit from submitted code"),
    "os.system": (FlagKind.SUBPROCESS, "runs a shell command"),
    "os.popen": (FlagKind.SUBPROCESS, "runs a shell command"),
    "os.fork": (FlagKind.SUBPROCESS, "forks the process"),
    "os.forkpty": (FlagKind.SUBPROCESS, "forks the process"),
    "os.setsid": (FlagKind.SUBPROCESS, "detaches into a new session, as daemons do"),
    "os.posix_spawn": (FlagKind.SUBPROCESS, "starts another program"),
    "os.posix_spawnp": (FlagKind.SUBPROCESS, "starts another program"),
    "sys.modules": (
        FlagKind.MODULE_PATCHING,
        "reaches into sys.modules, where every loaded module (the checks' included) lives",
    ),
    "sys.meta_path": (FlagKind.MODULE_PATCHING, "installs import hooks that can replace any module"),
    "sys.path_hooks": (FlagKind.MODULE_PATCHING, "installs import hooks that can replace any module"),
    "builtins.__dict__": (FlagKind.BUILTINS_PATCHING, "reaches into the builtins' namespace"),
    "builtins.__builtins__": (FlagKind.BUILTINS_PATCHING, "reaches into the builtins' namespace"),
    "sys._getframe": (FlagKind.FRAME_INSPECTION, "reads the call stack (the checks' frames and their variables)"),
    "sys._current_frames": (FlagKind.FRAME_INSPECTION, "reads the call stacks of every thread"),
    "sys.settrace": (FlagKind.FRAME_INSPECTION, "installs a tracer that sees every frame the checks run"),
    "sys.setprofile": (FlagKind.FRAME_INSPECTION, "installs a profiler that sees every frame the checks run"),
    "threading.settrace": (FlagKind.FRAME_INSPECTION, "installs a tracer that sees every frame the checks run"),
    "inspect.currentframe": (
        FlagKind.FRAME_INSPECTION,
        "reads the call stack (the checks' frames and their variables)",
    ),
    "inspect.stack": (FlagKind.FRAME_INSPECTION, "reads the call stack (the checks' frames and their variables)"),
    "inspect.trace": (FlagKind.FRAME_INSPECTION, "reads the call stack (the checks' frames and their variables)"),
    "inspect.getouterframes": (FlagKind.FRAME_INSPECTION, "reads the callers' frames"),
    "inspect.getinnerframes": (FlagKind.FRAME_INSPECTION, "reads traceback frames"),
    "traceback.walk_stack": (
        FlagKind.FRAME_INSPECTION,
        "reads the call stack (the checks' frames and their variables)",
    ),
    "builtins.exec": (FlagKind.DYNAMIC_CODE, "runs code built at run time, which the reviewer cannot read here"),
    "builtins.eval": (FlagKind.DYNAMIC_CODE, "evaluates code built at run time, which the reviewer cannot read here"),
    "builtins.compile": (FlagKind.DYNAMIC_CODE, "compiles code built at run time"),
    "builtins.__import__": (FlagKind.DYNAMIC_CODE, "imports modules by computed name"),
    "types.CodeType": (FlagKind.DYNAMIC_CODE, "builds code objects by hand"),
    "types.FunctionType": (FlagKind.DYNAMIC_CODE, "builds functions from code objects"),
    "os.write": (FlagKind.RAW_IO, "writes to raw file descriptors, such as the channel to the judge"),
    "os.dup": (FlagKind.RAW_IO, "duplicates file descriptors, such as the channel to the judge"),
    "os.dup2": (FlagKind.RAW_IO, "replaces file descriptors, such as the channel to the judge"),
    "os.fdopen": (FlagKind.RAW_IO, "opens raw file descriptors, such as the channel to the judge"),
    "sys.__stdout__": (FlagKind.RAW_IO, "uses the original stdout, the channel to the judge"),
    "sys.__stdin__": (FlagKind.RAW_IO, "uses the original stdin, the channel from the judge"),
    "os.symlink": (FlagKind.FILE_SYSTEM, "creates symbolic links"),
    "os.link": (FlagKind.FILE_SYSTEM, "creates hard links"),
    "os.chdir": (FlagKind.FILE_SYSTEM, "changes the working directory the checks run in"),
    "os.environ": (FlagKind.ENVIRONMENT, "reads or changes environment variables"),
    "os.getenv": (FlagKind.ENVIRONMENT, "reads environment variables"),
    "os.putenv": (FlagKind.ENVIRONMENT, "changes environment variables"),
}

#: Attributes that give away frames or other functions' globals, whatever object they are read from.
ATTRIBUTE_RULES: dict[str, tuple[FlagKind, str]] = {
    "f_back": (FlagKind.FRAME_INSPECTION, "walks up to the calling frame"),
    "f_globals": (FlagKind.FRAME_INSPECTION, "reads a frame's globals"),
    "f_locals": (FlagKind.FRAME_INSPECTION, "reads a frame's local variables"),
    "f_builtins": (FlagKind.FRAME_INSPECTION, "reads a frame's builtins"),
    "tb_frame": (FlagKind.FRAME_INSPECTION, "reaches a frame through a traceback"),
    "gi_frame": (FlagKind.FRAME_INSPECTION, "reaches a generator's frame"),
    "cr_frame": (FlagKind.FRAME_INSPECTION, "reaches a coroutine's frame"),
    "__globals__": (FlagKind.INTROSPECTION, "reads another function's module globals"),
    "__subclasses__": (
        FlagKind.INTROSPECTION,
        "enumerates every subclass of a type, a classic route around restrictions",
    ),
    "__code__": (FlagKind.DYNAMIC_CODE, "reads or replaces a function's code object"),
}

#: Paths in string literals that point at the judge, other processes or the system.
SENSITIVE_PATH_PREFIXES = ("/proc/", "/sys/", "/etc/", "/root", "/dev/shm", "/var/", "/work", "../")
SENSITIVE_PATH_SUFFIXES = ("conftest.py", ".pth")

#: Dunder methods that, returning a constant, make any comparison in a check succeed.
COMPARISON_DUNDERS = {"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__"}
TORCH_OVERRIDES = {"__torch_function__", "__torch_dispatch__"}

#: Module prefixes whose attributes are settings meant to be assigned, not patches.
ASSIGNABLE_SETTINGS = ("torch.backends.",)

BUILTIN_NAMES = {
    "exit",
    "quit",
    "exec",
    "eval",
    "compile",
    "__import__",
    "SystemExit",
    "open",
    "getattr",
    "setattr",
    "delattr",
    "vars",
    "globals",
}


def flag_source(source: str) -> list[IntegrityFlag]:
    """Every integrity flag of a Python submission, in source order. A file that does not parse has
    none: it cannot run, so it cannot tamper, and its grade (verdict compile_error) already says why."""
    lines = source.splitlines()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    # Walked breadth-first without recursion, and names resolved only along short chains: deeply
    # nested code can neither exhaust the stack nor make the walk quadratic.
    nodes = list(ast.walk(tree))
    finder = _Finder(lines, _chain_depths(nodes))
    finder.collect_imports(nodes)
    for node in nodes:
        visit = getattr(finder, f"visit_{type(node).__name__}", None)
        if visit is None:
            continue
        try:
            visit(node)
        except _TooDeep:
            finder.flag(
                node,
                FlagKind.OBFUSCATION,
                "nests names, calls or subscripts too deeply to analyse, as obfuscated code does",
            )
    return sorted(finder.flags.values(), key=lambda f: (f.line, f.kind.value))


class _TooDeep(Exception):
    """An expression too deeply nested to resolve."""


def _chain_depths(nodes: list[ast.AST]) -> dict[ast.AST, int]:
    """How deep `_Finder.resolve` would recurse from each node, computed children first from a breadth-first list."""
    depths: dict[ast.AST, int] = {}
    for node in reversed(nodes):
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            depths[node] = 1 + depths.get(node.value, 0)
        elif isinstance(node, ast.Call):
            depths[node] = 1 + max([depths.get(node.func, 0)] + [depths.get(arg, 0) for arg in node.args[:1]])
    return depths


def _snippet(lines: list[str], line: int) -> str:
    text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    return text if len(text) <= SNIPPET_CAP_CHARS else text[: SNIPPET_CAP_CHARS - 1] + "…"


def _rule(name: str, rules: dict[str, tuple[FlagKind, str]]) -> tuple[FlagKind, str] | None:
    """The rule for a dotted name: its own, or that of the nearest enclosing name."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        found = rules.get(".".join(parts[:end]))
        if found is not None:
            return found
    return None


class _Finder:
    """Looks at each node of a module, resolving names through imports and aliases, and records flags."""

    def __init__(self, lines: list[str], chain_depths: dict[ast.AST, int]) -> None:
        self.lines = lines
        self.chain_depths = chain_depths
        self.aliases: dict[str, str] = {}
        self.modules: set[str] = set()
        # One flag per kind and line: `os._exit(0)` is one finding, not three.
        self.flags: dict[tuple[FlagKind, int], IntegrityFlag] = {}

    def flag(self, node: ast.AST, kind: FlagKind, message: str) -> None:
        line = getattr(node, "lineno", 1)
        self.flags.setdefault(
            (kind, line), IntegrityFlag(kind=kind, line=line, snippet=_snippet(self.lines, line), message=message)
        )

    def collect_imports(self, nodes: list[ast.AST]) -> None:
        """Bind every imported name first, so uses above a late import still resolve."""
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.aliases[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.aliases[top] = top
                    self.modules.add(alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                self.modules.add(node.module.split(".")[0])
                for alias in node.names:
                    if alias.name != "*":
                        self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def resolve(self, node: ast.AST) -> str | None:
        """The dotted name an expression stands for (`c.CDLL` -> `ctypes.CDLL`), or None."""
        if self.chain_depths.get(node, 0) > MAX_CHAIN_DEPTH:
            raise _TooDeep
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return self.aliases[node.id]
            if node.id == "__builtins__":
                return "builtins"
            return f"builtins.{node.id}" if node.id in BUILTIN_NAMES else None
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            func = self.resolve(node.func)
            first = node.args[0] if node.args else None
            if (
                func in ("builtins.__import__", "importlib.import_module")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                return first.value
            if func == "builtins.getattr" and len(node.args) >= 2:
                base, name = self.resolve(node.args[0]), node.args[1]
                if base and isinstance(name, ast.Constant) and isinstance(name.value, str):
                    return f"{base}.{name.value}"
        if isinstance(node, ast.Subscript):
            # `globals()["__builtins__"]`, `vars(builtins)["open"]`, `__builtins__["open"]`
            base = self.resolve(node.value)
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                if (
                    isinstance(node.value, ast.Call)
                    and self.resolve(node.value.func) == "builtins.globals"
                    and key.value == "__builtins__"
                ):
                    return "builtins"
                if base == "builtins" or (
                    isinstance(node.value, ast.Call) and self.resolve(node.value.func) == "builtins.vars"
                ):
                    inner = (
                        self.resolve(node.value.args[0])
                        if isinstance(node.value, ast.Call) and node.value.args
                        else base
                    )
                    return f"{inner}.{key.value}" if inner else None
        return None

    def check_name(self, node: ast.AST, name: str) -> None:
        rule = _rule(name, NAME_RULES) or _rule(name, MODULE_RULES)
        if rule is not None:
            self.flag(node, *rule)
        if name == "builtins" and isinstance(node, ast.Name) and node.id == "__builtins__":
            self.flag(node, FlagKind.BUILTINS_PATCHING, "reaches into __builtins__, the namespace every module shares")

    def check_store(self, target: ast.AST, node: ast.AST) -> None:
        """An assignment or deletion: flag it when it rewrites a module, the builtins, or sys.modules."""
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self.check_store(element, node)
            return
        if isinstance(target, ast.Starred):
            self.check_store(target.value, node)
            return
        if isinstance(target, ast.Attribute):
            owner = self.resolve(target.value)
            if owner is not None:
                self.patched(node, owner, f"{owner}.{target.attr}")
        elif isinstance(target, ast.Subscript):
            owner = self.resolve(target.value)
            if owner is not None and (
                owner == "builtins"
                or owner.startswith("builtins.")
                or owner == "sys.modules"
                or owner.endswith(".__dict__")
            ):
                self.patched(node, owner, owner)

    def patched(self, node: ast.AST, owner: str, name: str) -> None:
        if owner == "builtins" or owner.startswith("builtins."):
            self.flag(node, FlagKind.BUILTINS_PATCHING, f"replaces {name} for every module, the checks included")
        elif owner.startswith("sys.modules"):
            self.flag(
                node, FlagKind.MODULE_PATCHING, "replaces an entry of sys.modules, swapping a module the checks import"
            )
        elif owner in ("sys", "sys.stdout", "sys.stderr") and name.split(".")[-1] in (
            "stdout",
            "stderr",
            "stdin",
            "excepthook",
        ):
            self.flag(node, FlagKind.RAW_IO, f"replaces {name}")
        elif owner.split(".")[0] in self.modules and not name.startswith(ASSIGNABLE_SETTINGS):
            self.flag(node, FlagKind.MODULE_PATCHING, f"patches {name}, which the checks may rely on")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.check_name(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level:
            for alias in node.names:
                self.check_name(node, node.module if alias.name == "*" else f"{node.module}.{alias.name}")

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            name = self.resolve(node)
            # Imported names are flagged at their import; only later uses of builtins are new here.
            if name is not None and (node.id not in self.aliases or node.id == "__builtins__"):
                self.check_name(node, name)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        rule = ATTRIBUTE_RULES.get(node.attr)
        if rule is not None:
            self.flag(node, *rule)
        name = self.resolve(node)
        if name is not None:
            self.check_name(node, name)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        name = self.resolve(node)
        if name is not None:
            self.check_name(node, name)

    def visit_Call(self, node: ast.Call) -> None:
        func = self.resolve(node.func)
        if func in ("builtins.setattr", "builtins.delattr") and node.args:
            owner = self.resolve(node.args[0])
            name = (
                str(node.args[1].value)
                if len(node.args) > 1 and isinstance(node.args[1], ast.Constant)
                else "an attribute"
            )
            if owner is not None:
                self.patched(node, owner, f"{owner}.{name}")
        if (
            func == "builtins.open"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, int)
        ):
            self.flag(node, FlagKind.RAW_IO, "opens a raw file descriptor, such as the channel to the judge")
        resolved = self.resolve(node)
        if resolved is not None and resolved != func:
            self.check_name(node, resolved)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self.check_store(target, node)
        # `bye = os._exit` makes `bye` an alias for what it names.
        value = self.resolve(node.value)
        if value is not None and value.split(".")[0] in self.modules | {"builtins"}:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.aliases[target.id] = value

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.check_store(node.target, node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self.check_store(target, node)

    def visit_Raise(self, node: ast.Raise) -> None:
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if exc is not None and self.resolve(exc) == "builtins.SystemExit":
            self.flag(node, FlagKind.PROCESS_EXIT, "raises SystemExit from submitted code")

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and len(node.value) < 300:
            text = node.value
            if text.startswith(SENSITIVE_PATH_PREFIXES) or text.endswith(SENSITIVE_PATH_SUFFIXES):
                self.flag(
                    node, FlagKind.FILE_SYSTEM, f"names the path {text[:60]!r}, outside the submission's own directory"
                )

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if node.name in TORCH_OVERRIDES:
            self.flag(
                node,
                FlagKind.COMPARISON_OVERRIDE,
                f"defines {node.name}, which can change what every torch operation on its tensors returns",
            )
        elif node.name in COMPARISON_DUNDERS and _returns_only_constant(node):
            self.flag(
                node,
                FlagKind.COMPARISON_OVERRIDE,
                f"defines {node.name} returning a constant, so comparisons in checks always give the same answer",
            )

    visit_AsyncFunctionDef = visit_FunctionDef


def _returns_only_constant(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    return len(body) == 1 and isinstance(body[0], ast.Return) and isinstance(body[0].value, ast.Constant)
