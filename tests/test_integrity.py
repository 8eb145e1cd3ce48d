"""Static integrity flags: tampering-looking code is flagged through aliases; honest solutions are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from judge.integrity import SNIPPET_CAP_CHARS, FlagKind, flag_source

REPO = Path(__file__).resolve().parent.parent
ATTACKS = REPO / "tests" / "security" / "attacks"

CASES = [
    ("import os\nos._exit(0)\n", FlagKind.PROCESS_EXIT, 2),
    ("from os import _exit\n_exit(0)\n", FlagKind.PROCESS_EXIT, 1),
    ("from os import _exit as bye\n", FlagKind.PROCESS_EXIT, 1),
    ("import os\nbye = os._exit\n", FlagKind.PROCESS_EXIT, 2),
    ("import sys\nsys.exit(0)\n", FlagKind.PROCESS_EXIT, 2),
    ("def f():\n    raise SystemExit(0)\n", FlagKind.PROCESS_EXIT, 2),
    ("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n", FlagKind.PROCESS_EXIT, 2),
    ("__import__('os')._exit(0)\n", FlagKind.PROCESS_EXIT, 1),
    ("import importlib\nimportlib.import_module('os')._exit(3)\n", FlagKind.PROCESS_EXIT, 2),
    ("import os\ngetattr(os, '_exit')(0)\n", FlagKind.PROCESS_EXIT, 2),
    ("import sys\nsys.modules['torch'] = None\n", FlagKind.MODULE_PATCHING, 2),
    ("import sys as s\nm = s.modules\n", FlagKind.MODULE_PATCHING, 2),
    ("import torch\ntorch.allclose = lambda *a, **k: True\n", FlagKind.MODULE_PATCHING, 2),
    ("import torch.testing\ntorch.testing.assert_close = print\n", FlagKind.MODULE_PATCHING, 2),
    ("import torch.nn.functional as F\nF.mse_loss = None\n", FlagKind.MODULE_PATCHING, 2),
    ("import torch\ntorch.Tensor.__eq__ = lambda a, b: True\n", FlagKind.MODULE_PATCHING, 2),
    ("import torch\nsetattr(torch, 'equal', lambda *a: True)\n", FlagKind.MODULE_PATCHING, 2),
    ("from unittest import mock\n", FlagKind.MODULE_PATCHING, 1),
    ("import builtins\nbuiltins.AssertionError = Exception\n", FlagKind.BUILTINS_PATCHING, 2),
    ("import builtins\nbuiltins.__dict__['len'] = None\n", FlagKind.BUILTINS_PATCHING, 2),
    ("__builtins__['print'] = None\n", FlagKind.BUILTINS_PATCHING, 1),
    ("x = __builtins__\n", FlagKind.BUILTINS_PATCHING, 1),
    ("import gc\nobjs = gc.get_objects()\n", FlagKind.GC, 1),
    ("from gc import get_referrers\n", FlagKind.GC, 1),
    ("import sys\nframe = sys._getframe(1)\n", FlagKind.FRAME_INSPECTION, 2),
    ("import inspect\nf = inspect.currentframe()\n", FlagKind.FRAME_INSPECTION, 2),
    ("import inspect as i\ni.stack()\n", FlagKind.FRAME_INSPECTION, 2),
    ("def f(frame):\n    return frame.f_back.f_locals\n", FlagKind.FRAME_INSPECTION, 2),
    ("def f(tb):\n    return tb.tb_frame.f_globals['expected']\n", FlagKind.FRAME_INSPECTION, 2),
    ("import sys\nsys.settrace(lambda *a: None)\n", FlagKind.FRAME_INSPECTION, 2),
    ("import ctypes as c\nlibc = c.CDLL(None)\n", FlagKind.CTYPES, 1),
    ("from ctypes import CDLL\n", FlagKind.CTYPES, 1),
    ("from torch.utils.cpp_extension import load_inline\n", FlagKind.CTYPES, 1),
    ("import subprocess\n", FlagKind.SUBPROCESS, 1),
    ("import os\nos.system('ls')\n", FlagKind.SUBPROCESS, 2),
    ("import os\npid = os.fork()\n", FlagKind.SUBPROCESS, 2),
    ("from multiprocessing import Process\n", FlagKind.SUBPROCESS, 1),
    ("import socket\n", FlagKind.SOCKET, 1),
    ("from urllib.request import urlopen\n", FlagKind.SOCKET, 1),
    ("exec('print(1)')\n", FlagKind.DYNAMIC_CODE, 1),
    ("x = eval('1+1')\n", FlagKind.DYNAMIC_CODE, 1),
    ("code = compile('1', 'f', 'eval')\n", FlagKind.DYNAMIC_CODE, 1),
    ("m = __import__('math')\n", FlagKind.DYNAMIC_CODE, 1),
    ("def f(g, h):\n    g.__code__ = h.__code__\n", FlagKind.DYNAMIC_CODE, 2),
    ("import threading\n", FlagKind.THREADS, 1),
    ("import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n", FlagKind.SIGNALS, 1),
    ("import pytest\n", FlagKind.TEST_FRAMEWORK, 1),
    ("import os\nos.write(1, b'{}')\n", FlagKind.RAW_IO, 2),
    ("f = open(3, 'w')\n", FlagKind.RAW_IO, 1),
    ("import sys\nsys.stdout = None\n", FlagKind.RAW_IO, 2),
    ("data = open('/proc/1/environ').read()\n", FlagKind.FILE_SYSTEM, 1),
    ("open('../trusted/conftest.py', 'w')\n", FlagKind.FILE_SYSTEM, 1),
    ("import os\nkey = os.environ['SECRET']\n", FlagKind.ENVIRONMENT, 2),
    ("x = ().__class__.__base__.__subclasses__()\n", FlagKind.INTROSPECTION, 1),
    ("class A:\n    def __eq__(self, other):\n        return True\n", FlagKind.COMPARISON_OVERRIDE, 2),
    (
        "import torch\nclass T(torch.Tensor):\n    @classmethod\n    def __torch_function__(cls, *a):\n        pass\n",
        FlagKind.COMPARISON_OVERRIDE,
        4,
    ),
]


@pytest.mark.parametrize(("source", "kind", "line"), CASES, ids=[f"{k.value}-{i}" for i, (_, k, _) in enumerate(CASES)])
def test_tampering_looking_code_is_flagged_on_its_line(source, kind, line):
    flags = flag_source(source)
    found = [f for f in flags if f.kind is kind]
    assert found, f"no {kind} flag in {[str(f) for f in flags]}"
    assert found[0].line == line
    assert found[0].snippet == source.splitlines()[line - 1].strip()
    assert found[0].message


HONEST = [
    "import torch\nfrom torch import nn\n\nclass M(nn.Module):\n    def forward(self, x):\n        return torch.relu(x)\n",
    "import torch\ntorch.backends.cudnn.deterministic = True\n",
    "import inspect\nsig = inspect.signature(print)\n",
    "import math, os\npath = os.path.join('a', 'b')\n",
    "class P:\n    def __eq__(self, other):\n        return self.x == other.x\n",
    "def exit_code():\n    return 0\n",
    "from torch.nn import functional as F\ny = F.relu\n",
]


@pytest.mark.parametrize("source", HONEST)
def test_ordinary_pytorch_code_is_not_flagged(source):
    assert flag_source(source) == []


def test_no_reference_solution_starter_mutant_or_alternative_is_flagged():
    files = [
        *REPO.glob("problems/*/solution.py"),
        *REPO.glob("problems/*/starter.py"),
        *REPO.glob("problems/*/mutants/*.py"),
        *REPO.glob("tests/problems/alternatives/*/*.py"),
    ]
    assert len(files) > 100
    flagged = {str(f.relative_to(REPO)): [str(x) for x in flag_source(f.read_text())] for f in files}
    assert {name: flags for name, flags in flagged.items() if flags} == {}


@pytest.mark.parametrize(
    "attack",
    [
        "always_equal",
        "background_daemon",
        "exit_zero_at_import",
        "fake_results",
        "fork_bomb",
        "ignore_signals",
        "kill_the_runner",
        "memory_scan",
        "monkeypatch_asserts",
        "network",
        "os_exit_at_import",
        "os_exit_in_every_call",
        "pytest_report_rewrite",
        "read_hidden_checks",
        "read_secrets",
    ],
)
def test_every_tampering_attack_of_the_security_suite_is_flagged(attack):
    assert flag_source((ATTACKS / f"{attack}.py").read_text())


def test_unparseable_source_raises_no_flag_and_no_exception():
    # A syntax error is the grade's compile_error, not a sign of tampering: even beside a flaggable import.
    assert flag_source("import gc\ndef f(:\n    pass\n") == []
    assert flag_source("x = 'a\x00b'\nimport gc\n" + "\x00") == []
    assert [f.kind for f in flag_source("import gc\ndef f():\n    pass\n")] == [FlagKind.GC]


def test_one_flag_per_kind_and_line_in_source_order_with_capped_snippets():
    source = "import os\n" + "os._exit(0) or os._exit(1)  # " + "x" * 400 + "\nimport gc\n"
    flags = flag_source(source)
    assert [(f.kind, f.line) for f in flags] == [(FlagKind.PROCESS_EXIT, 2), (FlagKind.GC, 3)]
    assert len(flags[0].snippet) == SNIPPET_CAP_CHARS and flags[0].snippet.endswith("…")
    assert str(flags[1]) == "gc@3"


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("x = " + "-" * 2000 + "1\n", None),
        ("x = " + "-" * 100_000 + "1\n", None),
        ("x = " + "1+" * 100_000 + "1\n", None),
        ("import os\nx = os" + ".path" * 1500 + "\n", FlagKind.OBFUSCATION),
    ],
    ids=["deep-but-parseable", "parser-stack", "parser-recursion", "attribute-chain"],
)
def test_deeply_nested_code_never_raises(source, kind):
    flags = flag_source(source)
    assert [f.kind for f in flags] == ([] if kind is None else [kind])
