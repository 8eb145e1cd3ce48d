"""On real Redis, a worker's consumer takes candidates' grades before every rejudge grading waiting
in the same queue, whatever the order they were sent in (kombu pops the lists of priority steps in order)."""

from __future__ import annotations

import pytest
from kombu import Consumer

from judge.queue.celery_app import BROKER_PRIORITY_LOW, BROKER_PRIORITY_NORMAL, broker_priority
from judge.queue.dispatch import CeleryDispatcher
from judge.settings import Settings
from judge.storage.submissions import NORMAL_PRIORITY, REJUDGE_PRIORITY
from tests.api.support import flush_redis, service_url


@pytest.fixture
def redis_url() -> str:
    """A Redis database of this test's own, emptied."""
    url = service_url("redis").rsplit("/", 1)[0] + "/12"
    flush_redis(url)
    yield url
    flush_redis(url)


def _delivered(dispatcher: CeleryDispatcher, count: int) -> list[str]:
    """The submission ids of the next `count` grade messages, in the order a worker's consumer gets them."""
    app = dispatcher.app
    got: list[str] = []

    def take(body, message) -> None:
        got.append(body[0][0])
        message.ack()

    with app.connection_for_read() as connection:
        queue = app.amqp.queues[app.conf.task_default_queue]
        with Consumer(connection, queues=[queue], callbacks=[take], accept=["json"], prefetch_count=1):
            while len(got) < count:
                connection.drain_events(timeout=5)
    return got


def test_rejudge_gradings_go_below_every_candidates_grade(redis_url):
    dispatcher = CeleryDispatcher(Settings(queue={"backend": "celery", "redis_url": redis_url}))
    try:
        for number in range(3):
            dispatcher.enqueue_grade(f"rejudge-{number}", REJUDGE_PRIORITY)
        dispatcher.enqueue_grade("candidate-1", NORMAL_PRIORITY)
        dispatcher.enqueue_grade("rejudge-3", REJUDGE_PRIORITY)
        dispatcher.enqueue_grade("candidate-2")
        assert _delivered(dispatcher, 6) == [
            "candidate-1",
            "candidate-2",
            "rejudge-0",
            "rejudge-1",
            "rejudge-2",
            "rejudge-3",
        ]
    finally:
        dispatcher.stop()


def test_broker_priorities_of_submission_priorities():
    assert broker_priority(NORMAL_PRIORITY) == broker_priority(5) == BROKER_PRIORITY_NORMAL
    assert broker_priority(REJUDGE_PRIORITY) == broker_priority(-1) == BROKER_PRIORITY_LOW
