"""Prometheus metrics, read from the database at scrape time so that they count every process's work
(API, embedded threads, Celery workers) and survive restarts."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy.orm import Session, sessionmaker

from judge.storage import submissions
from judge.storage.models import SubmissionStatus
from judge.storage.submissions import FINISHED

GRADING_BUCKETS_S = [1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0]


class DatabaseCollector(Collector):
    """judge_submissions_total by verdict, judge_submissions by status, judge_queue_depth and
    the judge_grading_seconds histogram."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[Metric]:
        """One scrape's metrics."""
        with self.sessions() as session:
            counts = submissions.counts_by_verdict(session)
            cumulative, total, seconds = submissions.grading_seconds_histogram(session, GRADING_BUCKETS_S)
        finished = CounterMetricFamily(
            "judge_submissions", "Finished submissions by verdict (none: failed before grading).", labels=["verdict"]
        )
        by_verdict: dict[str, int] = {}
        by_status: dict[str, int] = {s.value: 0 for s in SubmissionStatus}
        for (status, verdict), count in counts.items():
            by_status[status] = by_status.get(status, 0) + count
            if status in FINISHED:
                by_verdict[verdict or "none"] = by_verdict.get(verdict or "none", 0) + count
        for verdict, count in sorted(by_verdict.items()):
            finished.add_metric([verdict], count)
        yield finished
        states = GaugeMetricFamily("judge_submissions_by_status", "Submissions in each status.", labels=["status"])
        for status, count in sorted(by_status.items()):
            states.add_metric([status], count)
        yield states
        yield GaugeMetricFamily(
            "judge_queue_depth", "Submissions waiting to be graded.", value=by_status[SubmissionStatus.QUEUED.value]
        )
        buckets = [(f"{bound:g}", count) for bound, count in zip(GRADING_BUCKETS_S, cumulative, strict=True)] + [
            ("+Inf", total)
        ]
        yield HistogramMetricFamily(
            "judge_grading_seconds", "Seconds each completed grade took.", buckets=buckets, sum_value=seconds
        )


def registry(sessions: sessionmaker[Session]) -> CollectorRegistry:
    """A registry holding only the database collector."""
    reg = CollectorRegistry(auto_describe=False)
    reg.register(DatabaseCollector(sessions))
    return reg
