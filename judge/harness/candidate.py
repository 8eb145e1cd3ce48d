"""The candidate process: `python -I -m judge.harness.candidate POLICY_JSON`.

It isolates itself first (isolation.enter), then serves the trusted runner's requests
(harness.messages) on its stdin, answering on its stdout (candidate prints are moved to stderr): load
the problem's probes and the submission, then run `probe(solution, *args)` and send back plain data.
It holds no check, reference or expected value: whatever it answers is verified on the trusted side.
"""

from __future__ import annotations

import io
import os
import sys
import traceback
import types
from typing import BinaryIO, cast

from pydantic import ValidationError

from judge.harness.isolation import IsolationPolicy, enter, tighten
from judge.harness.messages import (
    REQUEST,
    CallRequest,
    CandidateError,
    Greeting,
    InitRequest,
    LimitsRequest,
    Reply,
    plain,
)

SOLUTION_MODULE = "solution"


def describe(exc: BaseException, entrypoint: str) -> CandidateError:
    """A short description of an exception raised by candidate code: type, message, and where."""
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.basename(frame.filename) == entrypoint:
            where = f"{entrypoint}:{frame.lineno}"
    return CandidateError(type=type(exc).__name__, message=str(exc)[:500], where=where)


class Server:
    """Answers the runner's requests one at a time."""

    def __init__(self, requests: BinaryIO, replies: BinaryIO, policy: IsolationPolicy | None = None) -> None:
        self.requests = requests
        self.replies = replies
        self.policy = policy or IsolationPolicy(memory_mb=0, memory_by_cgroup=True)
        self.probes: types.ModuleType | None = None
        self.solution: types.ModuleType | None = None
        self.entrypoint = ""

    def serve(self) -> None:
        """Loop until the runner closes the channel."""
        from judge.harness import wire

        while True:
            try:
                message = wire.read_message(self.requests)
            except EOFError:
                return
            try:
                request = REQUEST.validate_python(message)
            except ValidationError:
                reply = Reply(ok=False, error=CandidateError(type="ProtocolError", message="malformed request"))
            else:
                reply = self.handle(request)
            try:
                wire.write_message(self.replies, plain(reply))
            except Exception as exc:  # noqa: BLE001 - candidate objects may raise anything while encoded
                error = CandidateError(type="UnsupportedValue", message=f"the probe returned {exc}")
                wire.write_message(self.replies, plain(Reply(ok=False, error=error)))

    def handle(self, request: LimitsRequest | InitRequest | CallRequest) -> Reply:
        """Run one request; candidate exceptions, SystemExit included, become error replies."""
        try:
            if isinstance(request, LimitsRequest):
                # Still trusted code, answered before any submission byte runs: the job's limits (a
                # process started ahead of its job got the server's maxima).
                try:
                    tighten(self.policy, request.cpu_s, request.memory_mb)
                except (OSError, ValueError) as exc:
                    return Reply(ok=False, error=CandidateError(type="LimitsError", message=str(exc)[:300]))
                return Reply(ok=True)
            if isinstance(request, InitRequest):
                self.entrypoint = request.entrypoint
                self.probes = self._load_probes(request.probes)
                self.solution = self._load_solution(self.entrypoint)
                return Reply(ok=True)
            import torch

            torch.manual_seed(request.seed)
            torch.set_num_threads(1)
            probe = getattr(self.probes, request.probe)
            return Reply(ok=True, value=probe(self.solution, *request.args))
        except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt from candidate code too
            return Reply(ok=False, error=describe(exc, self.entrypoint))

    @staticmethod
    def _load_probes(source: str) -> types.ModuleType:
        module = types.ModuleType("probes")
        exec(compile(source, "probes.py", "exec"), module.__dict__)
        return module

    @staticmethod
    def _load_solution(entrypoint: str) -> types.ModuleType:
        # Opened relative to the work dir: its absolute path may be covered by the private /tmp.
        with open(entrypoint, "rb") as source_file:
            source = source_file.read()
        # A problem's other files (train.py beside model.py) are importable from the work dir; appended,
        # so that they never shadow the standard library or torch.
        sys.path.append(os.getcwd())
        module = types.ModuleType(SOLUTION_MODULE)
        module.__file__ = entrypoint
        sys.modules[SOLUTION_MODULE] = module
        exec(compile(source, entrypoint, "exec"), module.__dict__)
        return module


def main() -> None:
    """Isolate, then serve."""
    policy = IsolationPolicy.model_validate_json(sys.argv[1])
    enter(policy)
    import torch

    torch.set_num_threads(1)
    # The first optimizer step lazily imports torch._dynamo (about a second): pay it here, before any
    # check's clock starts, so that it is charged to no check.
    warm = torch.zeros(1, requires_grad=True)
    torch.optim.SGD([warm], lr=0.1).step()
    from judge.harness import wire

    # Keep the channel on private fds; candidate code's stdin is empty and its stdout goes to stderr.
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    # `python -I` ignores PYTHONUNBUFFERED: without this, what the code prints waits in the buffer and
    # is lost when the process is ended, so a Run could not show it.
    cast(io.TextIOWrapper, sys.stdout).reconfigure(line_buffering=True)
    # Until this message the runner knows no candidate byte has run: a failure before it is the judge's.
    wire.write_message(replies, plain(Greeting()))
    Server(requests, replies, policy).serve()


if __name__ == "__main__":
    main()
