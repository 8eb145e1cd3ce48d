"""The trusted runner: `python -I -m judge.harness.runner CONFIG_JSON_PATH`.

Runs the problem's pytest checks in this process, each talking to the candidate process by messages,
and streams one JSON event per check on stdout (pytest's own output goes to stderr). pytest loads no
plugin but ours and pytest's built-ins, no conftest, and its ini and rootdir are ours.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from judge.harness.events import CheckEvent, DoneEvent, FaultEvent
from judge.harness.session import CandidateSession, RunnerConfig


def pytest_args(config: RunnerConfig) -> list[str]:
    """The pytest command line: trusted ini and rootdir, no conftest, no cache, plain asserts."""
    return [
        config.checks_dir,
        "-c", config.ini_path,
        "--rootdir", str(Path(config.ini_path).parent),
        "--noconftest",
        "--assert=plain",
        "-p", "no:cacheprovider",
        "-p", "no:pastebin",
        "-p", "no:junitxml",
        "-q",
        "--no-header",
        "-o", "python_files=test_*.py",
        "-o", "python_functions=test_*",
    ]


def main() -> int:
    """Run every check; always ends with a done or a fault event."""
    config = RunnerConfig.model_validate_json(Path(sys.argv[1]).read_text())
    events = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)

    def emit(event: CheckEvent | DoneEvent | FaultEvent) -> None:
        events.write(event.model_dump_json() + "\n")
        events.flush()

    import pytest
    import torch

    from judge.harness.plugin import HarnessPlugin

    torch.set_num_threads(1)
    session = CandidateSession(config)
    plugin = HarnessPlugin(session, config.check_ids, emit)
    try:
        pytest.main(pytest_args(config), plugins=[plugin])
    except Exception as exc:  # noqa: BLE001 - any failure of the harness is the judge's fault
        emit(FaultEvent(message=f"the check runner failed: {type(exc).__name__}: {exc}"[:2000]))
        return 1
    finally:
        session.close()
        sys.stderr.write(f"--- candidate output ---\n{session.log.text()}\n")
    if plugin.fault is not None:
        return 1
    emit(DoneEvent())
    return 0


if __name__ == "__main__":
    sys.exit(main())
