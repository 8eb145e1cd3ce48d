"""The embedded queue: a pool of grading threads inside `judge serve`, no other process needed.

Threads are enough: a grade spends its time waiting on the sandbox's processes. The database is the
durable queue; this pool only holds ids, and start-up recovery refills it after a crash.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

from judge.queue import jobs
from judge.queue.jobs import WorkerContext
from judge.queue.uploads import validate_upload

log = logging.getLogger(__name__)

GRADE = "grade"
CALLBACK = "callback"
UPLOAD = "upload"


class EmbeddedPool:
    """`workers` threads running due jobs highest priority first (then in the order they came); jobs
    that ask to run again are re-scheduled with their priority."""

    def __init__(self, context: WorkerContext, workers: int) -> None:
        self.context = context
        self.workers = workers
        #: Jobs not yet due: (due time, order, priority, kind, id).
        self._delayed: list[tuple[float, int, int, str, str]] = []
        #: Due jobs: (-priority, order, kind, id), so that a rejudge's backlog never delays a candidate.
        self._ready: list[tuple[int, int, str, str]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._handlers: dict[str, Callable[[str, int], None]] = {
            GRADE: self._grade,
            CALLBACK: self._callback,
            UPLOAD: self._upload,
        }

    def start(self) -> None:
        """Start the worker threads."""
        self._threads = [self._spawn(number) for number in range(self.workers)]

    def _spawn(self, number: int) -> threading.Thread:
        thread = threading.Thread(target=self._run, args=(number,), name=f"judge-worker-{number}", daemon=True)
        thread.start()
        return thread

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop taking jobs; wait a little for running ones (unfinished grades are recovered at start-up)."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def submit(self, kind: str, submission_id: str, delay_s: float = 0.0, priority: int = 0) -> None:
        """Schedule one job to run after `delay_s` seconds, before due jobs of lower `priority` (for an
        UPLOAD job, `submission_id` is the upload's id)."""
        with self._wake:
            if delay_s > 0:
                heapq.heappush(
                    self._delayed, (time.monotonic() + delay_s, next(self._order), priority, kind, submission_id)
                )
            else:
                heapq.heappush(self._ready, (-priority, next(self._order), kind, submission_id))
            self._wake.notify()

    def waiting(self) -> int:
        """Jobs scheduled and not yet started."""
        with self._wake:
            return len(self._delayed) + len(self._ready)

    def alive(self) -> bool:
        """Whether every worker thread is running."""
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

    def _next(self) -> tuple[str, str, int] | None:
        with self._wake:
            while not self._stopping:
                now = time.monotonic()
                while self._delayed and self._delayed[0][0] <= now:
                    _, order, priority, kind, submission_id = heapq.heappop(self._delayed)
                    heapq.heappush(self._ready, (-priority, order, kind, submission_id))
                if self._ready:
                    negated, _, kind, submission_id = heapq.heappop(self._ready)
                    return kind, submission_id, -negated
                self._wake.wait(self._delayed[0][0] - now if self._delayed else None)
            return None

    def _run(self, number: int) -> None:
        try:
            self._loop()
        except BaseException:
            # Only what `except Exception` lets through gets here (SystemExit raised by code a grade
            # ran): this thread is done for. The grade's heartbeat has stopped, so the sweeper queues
            # it again; a new thread takes this one's place so that the pool keeps `workers` threads.
            log.exception("grading thread %d died; starting another", number)
            with self._wake:
                if not self._stopping:
                    self._threads[number] = self._spawn(number)

    def _loop(self) -> None:
        while (job := self._next()) is not None:
            kind, submission_id, priority = job
            try:
                self._handlers[kind](submission_id, priority)
            except Exception:
                # Only the database failing gets here; the row stays queued/running and is recovered.
                log.exception("%s job for %s failed; retrying later", kind, submission_id)
                self.submit(kind, submission_id, self.context.settings.queue.heartbeat_timeout_s, priority)

    def _grade(self, submission_id: str, priority: int) -> None:
        step = jobs.grade(self.context, submission_id)
        if step.callback_due:
            self.submit(CALLBACK, submission_id)
        if step.retry_in is not None:
            self.submit(GRADE, submission_id, step.retry_in, priority)

    def _callback(self, submission_id: str, priority: int) -> None:
        retry_in = jobs.deliver_callback(self.context, submission_id)
        if retry_in is not None:
            self.submit(CALLBACK, submission_id, retry_in, priority)

    def _upload(self, upload_id: str, priority: int) -> None:
        retry_in = validate_upload(self.context, upload_id)
        if retry_in is not None:
            self.submit(UPLOAD, upload_id, retry_in, priority)
