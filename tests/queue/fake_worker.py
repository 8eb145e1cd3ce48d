"""A real Celery worker (`judge worker`'s run_worker) grading with the FakeSandbox, for tests that need
a grade to kill its worker (`# fake: die`). Run as: python -m tests.queue.fake_worker <hostname>."""

from __future__ import annotations

import sys

from judge.bank.packages import with_uploads
from judge.queue.celery_app import run_worker
from judge.settings import Settings
from tests.api.support import fake_sandbox_factory

if __name__ == "__main__":
    run_worker(with_uploads(Settings()), fake_sandbox_factory, hostname=sys.argv[1] if len(sys.argv) > 1 else None)
