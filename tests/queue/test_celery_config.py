"""The Celery app's delivery guarantees are configured as the design needs them."""

from __future__ import annotations

import os

from celery.signals import worker_process_shutdown

from judge.limits import RUNNER_GRACE_S, task_limits
from judge.queue.celery_app import (
    CALLBACK_TASK,
    GRADE_TASK,
    create_celery,
    register_tasks,
    worker_process_context,
)
from judge.sandbox.process import ProcessSandbox
from judge.settings import Settings
from tests.api.support import wait_for
from tests.conftest import PROBLEMS


def test_at_least_once_configuration():
    settings = Settings(queue={"redis_url": "redis://127.0.0.1:1/0"})
    conf = create_celery(settings).conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    limits = task_limits(settings)
    longest_grade = settings.limits.max_wall_timeout_s + RUNNER_GRACE_S
    assert longest_grade < limits.soft_s < limits.hard_s < limits.visibility_s
    assert conf.task_soft_time_limit == limits.soft_s and conf.task_time_limit == limits.hard_s
    assert conf.broker_transport_options["visibility_timeout"] == limits.visibility_s


def test_limits_follow_the_longest_grade_and_visibility_can_be_set():
    short = task_limits(Settings(limits={"max_wall_timeout_s": 10}))
    long = task_limits(Settings(limits={"max_wall_timeout_s": 1000}))
    assert long.soft_s - short.soft_s == 990
    assert task_limits(Settings(queue={"celery_visibility_timeout_s": 25})).visibility_s == 25


def test_tasks_are_registered_by_name():
    app = create_celery(Settings(queue={"redis_url": "redis://127.0.0.1:1/0"}))
    register_tasks(app, context=lambda: None)
    assert {GRADE_TASK, CALLBACK_TASK} <= set(app.tasks)


def test_a_worker_process_closes_its_warm_pool_when_celery_shuts_it_down(tmp_path):
    """A prefork child leaves by os._exit, which skips atexit: without the shutdown signal's handler a
    stopped worker left its warm slots (with docker, their containers) behind."""
    settings = Settings(problems={"dirs": [PROBLEMS]}, storage={"data_dir": tmp_path}, sandbox={"pool_size": 1})
    context = worker_process_context(settings, ProcessSandbox)()
    pool = context.sandbox.pool
    wait_for(lambda: pool.ready_count() == 1, 60, "a warm slot")
    worker_process_shutdown.send(sender=None, pid=os.getpid(), exitcode=0)
    assert pool.waiting() == 0
