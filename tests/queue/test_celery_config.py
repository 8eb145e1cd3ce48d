"""The Celery app's delivery guarantees are configured as the design needs them."""

from __future__ import annotations

from judge.grading import RUNNER_GRACE_S
from judge.queue.celery_app import CALLBACK_TASK, GRADE_TASK, create_celery, register_tasks, time_limits
from judge.settings import Settings


def test_at_least_once_configuration():
    settings = Settings(redis_url="redis://127.0.0.1:1/0")
    conf = create_celery(settings).conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    limits = time_limits(settings)
    longest_grade = settings.max_wall_timeout_s + RUNNER_GRACE_S
    assert longest_grade < limits.soft_s < limits.hard_s < limits.visibility_s
    assert conf.task_soft_time_limit == limits.soft_s and conf.task_time_limit == limits.hard_s
    assert conf.broker_transport_options["visibility_timeout"] == limits.visibility_s


def test_limits_follow_the_longest_grade_and_visibility_can_be_set():
    short = time_limits(Settings(max_wall_timeout_s=10))
    long = time_limits(Settings(max_wall_timeout_s=1000))
    assert long.soft_s - short.soft_s == 990
    assert time_limits(Settings(celery_visibility_timeout_s=25)).visibility_s == 25


def test_tasks_are_registered_by_name():
    app = create_celery(Settings(redis_url="redis://127.0.0.1:1/0"))
    register_tasks(app, grader=lambda: None)
    assert {GRADE_TASK, CALLBACK_TASK} <= set(app.tasks)
