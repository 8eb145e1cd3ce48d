"""The pytest plugin of the trusted runner: the `candidate` fixture and one event per check.

Outcomes come from how each test function ended in this (trusted) process; nothing the candidate
process says is taken as an outcome. Messages are the checks' own assertion messages (assertion
rewriting is off, so no expected value is ever rendered into one).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from typing import Any, Literal

import pytest
import torch

from judge.harness import expect
from judge.harness.events import CheckEvent, FaultEvent
from judge.harness.session import CandidateFault, CandidateSession, SandboxSetupError
from judge.result import Outcome, cap_message


def check_id_of(item: pytest.Item) -> str:
    """`test_encode_shapes` -> `encode_shapes`."""
    return item.name.removeprefix("test_")


class HarnessPlugin:
    """Registered explicitly with pytest.main(plugins=[...]); the only plugin besides pytest's own."""

    def __init__(
        self,
        session: CandidateSession,
        expected: list[str],
        emit: Callable[[CheckEvent | FaultEvent], None],
        seed: int = 0,
    ) -> None:
        self.session = session
        self.seed = seed
        expect.set_run_seed(seed)
        self.expected = set(expected)
        self.emit = emit
        self.fault: FaultEvent | None = None
        self._failure: dict[str, CheckEvent] = {}
        self._started: dict[str, float] = {}

    @pytest.fixture
    def candidate(self) -> CandidateSession:
        """The candidate process, with this check's clock started."""
        self.session.begin_check()
        return self.session

    @pytest.fixture(autouse=True)
    def _deterministic(self) -> None:
        torch.manual_seed(self.seed)
        torch.set_num_threads(1)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A check module that fails to import is the problem's fault, never the candidate's."""
        if report.failed and self.fault is None:
            self._raise_fault(
                f"collecting the checks failed in {report.nodeid or 'the checks directory'}", source="checks"
            )

    def pytest_collection_modifyitems(self, items: list[pytest.Item], config: pytest.Config) -> None:
        """Run only the checks the problem declares; all of them must exist before anything runs."""
        selected = [item for item in items if check_id_of(item) in self.expected]
        deselected = [item for item in items if check_id_of(item) not in self.expected]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
        missing = self.expected - {check_id_of(item) for item in selected}
        if missing and self.fault is None:
            self._raise_fault(f"declared checks not found: {', '.join(sorted(missing))}", source="checks")
        items[:] = [] if self.fault is not None else selected

    def _raise_fault(self, message: str, source: Literal["checks", "sandbox"] = "sandbox") -> None:
        self.fault = FaultEvent(message=message[:2000], source=source)
        self.emit(self.fault)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
        """Turn the outcome of each phase into at most one event per check."""
        outcome = yield
        report = outcome.get_result()
        check_id = check_id_of(item)
        self._started.setdefault(check_id, time.monotonic())
        if call.excinfo is not None and isinstance(call.excinfo.value, SandboxSetupError):
            # The judge failed, not the submission: no check of this run may be scored.
            self._raise_fault(str(call.excinfo.value))
            item.session.shouldstop = "sandbox fault"
            return
        if self.fault is not None:
            return
        if call.when == "setup":
            # Nothing a previous check left behind belongs to this one.
            expect.take_series()
            expect.take_margins()
        if report.failed or report.skipped:
            self._failure.setdefault(check_id, self._event_for(check_id, call, report))
        if call.when == "teardown":
            duration = time.monotonic() - self._started[check_id]
            event = self._failure.get(check_id) or CheckEvent(id=check_id, outcome=Outcome.PASSED, duration_s=duration)
            event.duration_s = duration
            event.series = expect.take_series()
            event.margins = expect.take_margins()
            self.emit(event)

    def _event_for(self, check_id: str, call: pytest.CallInfo[None], report: pytest.TestReport) -> CheckEvent:
        if report.skipped:
            return CheckEvent(id=check_id, outcome=Outcome.FAILED, message="check was skipped", duration_s=0)
        exc = call.excinfo.value if call.excinfo is not None else None
        if isinstance(exc, CandidateFault):
            if exc.kind == "timeout":
                return CheckEvent(
                    id=check_id, outcome=Outcome.TIMEOUT, message=cap_message(exc.message), duration_s=0, limit="time"
                )
            limit = "memory" if exc.kind == "memory" else None
            return CheckEvent(
                id=check_id, outcome=Outcome.ERROR, message=cap_message(exc.message), duration_s=0, limit=limit
            )
        if isinstance(exc, AssertionError):
            return CheckEvent(
                id=check_id, outcome=Outcome.FAILED, message=cap_message(str(exc) or "check failed"), duration_s=0
            )
        name = type(exc).__name__ if exc is not None else "error"
        return CheckEvent(
            id=check_id,
            outcome=Outcome.FAILED,
            message=f"the submission's output could not be checked ({name})",
            duration_s=0,
        )
