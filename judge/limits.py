"""Every time limit and margin of a grade, derived from the problem's limits and the settings.

A problem's `[limits]` are first clamped to the server's maxima (`clamped`): run_timeout_s to
settings.limits.max_wall_timeout_s, check_timeout_s to settings.limits.max_check_timeout_s, memory_mb to
settings.limits.max_memory_mb. From the clamped run_timeout_s (R below; at most W = max_wall_timeout_s,
300 s by default) every other deadline follows, each one a backstop behind the one before:

- the candidate's CPU time rlimit: int(R) + CANDIDATE_CPU_MARGIN_S (5 s);
- the runner's deadline, the wall time the host gives the whole run before it kills it:
  D = R + RUNNER_GRACE_S (30 s: the runner's own start, torch imports, references);
- the runner's own CPU rlimit: int(D) + RUNNER_CPU_MARGIN_S (30 s);
- a docker container's lifetime, after which the container kills itself whoever forgot it:
  D + CONTAINER_LIFETIME_MARGIN_S (60 s);
- a warm pool slot waits for its job up to settings.sandbox.pool_idle_s (P, 300 s by default) before the
  longest run, so its deadline is P + W + RUNNER_GRACE_S (630 s by default) and its containers'
  lifetime that plus 60 s;
- a judge container older than W + P + STALE_MARGIN_S (600 s; 1200 s by default) is reaped by any
  judge process, its owner being gone;
- a Celery grade task: soft limit W + RUNNER_GRACE_S + BOOKKEEPING_S (60 s: workspace, storing the
  result; 390 s by default), hard limit soft + HARD_MARGIN_S (30 s), and Redis' visibility timeout
  hard + VISIBILITY_MARGIN_S (60 s) unless settings.queue.celery_visibility_timeout_s sets it. An upload's
  validation task gets VALIDATION_GRADES times the grade's soft and hard limits.

A grade's liveness does not hang on these: its worker beats every settings.queue.heartbeat_interval_s
(5 s) while it runs, and a submission whose beat is older than settings.queue.heartbeat_timeout_s (30 s)
is queued again, whatever deadline it was given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from judge.harness.isolation import IsolationPolicy
from judge.problem import Limits
from judge.settings import Settings
from judge.workspace import Workspace

#: Candidate CPU time beyond its run limit (an rlimit counts whole seconds).
CANDIDATE_CPU_MARGIN_S = 5
#: Time the runner needs beyond the candidate's run limit: its own start, torch imports, references.
RUNNER_GRACE_S = 30.0
#: The runner's CPU time beyond its deadline.
RUNNER_CPU_MARGIN_S = 30
#: A container may outlive the runner's deadline by this much before the in-container SIGKILL.
CONTAINER_LIFETIME_MARGIN_S = 60.0
#: Leftover containers older than the longest possible run plus this are reaped whoever owns them.
STALE_MARGIN_S = 600.0
#: Beyond a run's deadline, time to prepare the workspace and store results.
BOOKKEEPING_S = 60.0
#: Celery's hard task limit beyond its soft one.
HARD_MARGIN_S = 30.0
#: Redis' visibility timeout beyond the hard task limit, unless settings set it.
VISIBILITY_MARGIN_S = 60.0
#: How many grades long one validation may take: the reference alone, then the second reference
#: run, the starter and the mutants two at a time (up to 28 mutants).
VALIDATION_GRADES = 16


def run_limits(limits: Limits, settings: Settings) -> Limits:
    """A problem's limits clamped to the server's maxima."""
    return limits.clamped(
        max_check_timeout_s=settings.limits.max_check_timeout_s,
        max_wall_timeout_s=settings.limits.max_wall_timeout_s,
        max_memory_mb=settings.limits.max_memory_mb,
    )


def runner_deadline_s(run_timeout_s: float) -> float:
    """The wall time the host gives a whole run whose candidate may run `run_timeout_s`."""
    return run_timeout_s + RUNNER_GRACE_S


def candidate_cpu_s(run_timeout_s: float) -> int:
    """The candidate's CPU time rlimit for a run limit of `run_timeout_s`."""
    return int(run_timeout_s) + CANDIDATE_CPU_MARGIN_S


def runner_cpu_s(deadline_s: float) -> int:
    """The runner's CPU time rlimit for a run deadline of `deadline_s`."""
    return int(deadline_s) + RUNNER_CPU_MARGIN_S


def container_lifetime_s(deadline_s: float) -> float:
    """How long a container of a run with deadline `deadline_s` may live before it kills itself."""
    return deadline_s + CONTAINER_LIFETIME_MARGIN_S


def pool_deadline_s(settings: Settings) -> float:
    """A warm slot's deadline: it waits up to pool_idle_s for a job, then runs the longest run allowed."""
    return settings.sandbox.pool_idle_s + runner_deadline_s(settings.limits.max_wall_timeout_s)


def stale_after_s(settings: Settings) -> float:
    """How old a judge container may grow before it is reaped whoever owns it: a warm pool's may wait
    pool_idle_s before the longest run starts."""
    return settings.limits.max_wall_timeout_s + settings.sandbox.pool_idle_s + STALE_MARGIN_S


@dataclass(frozen=True)
class TaskLimits:
    """Celery's soft and hard task limits and Redis' visibility timeout, in seconds."""

    soft_s: float
    hard_s: float
    visibility_s: float


def task_limits(settings: Settings) -> TaskLimits:
    """Limits derived from the longest grade the settings allow: a grade is killed at its deadline,
    so soft > longest grade, hard > soft, and by default visibility > hard."""
    soft = runner_deadline_s(settings.limits.max_wall_timeout_s) + BOOKKEEPING_S
    hard = soft + HARD_MARGIN_S
    visibility = settings.queue.celery_visibility_timeout_s or hard + VISIBILITY_MARGIN_S
    return TaskLimits(soft_s=soft, hard_s=hard, visibility_s=visibility)


def candidate_policy(
    settings: Settings,
    workspace: Workspace,
    uid: int | None,
    memory_mb: int,
    run_timeout_s: float,
    hidden: Sequence[Path],
) -> IsolationPolicy:
    """The candidate's isolation for one run: what it must not see (`hidden`, the bank's directories
    and any more, plus the workspace's trusted part and the data dir), and its limits."""
    paths = [str(p) for p in hidden] + [str(workspace.trusted_dir)]
    # The data dir holds the package version store (judge.bank.versions) among the rest.
    if settings.storage.data_dir.exists():
        paths.append(str(settings.storage.data_dir.resolve()))
    return IsolationPolicy(
        uid=uid,
        hide_paths=sorted(set(paths)),
        memory_mb=memory_mb,
        pids=settings.limits.candidate_pids,
        open_files=settings.limits.candidate_open_files,
        file_size_mb=settings.limits.candidate_file_size_mb,
        cpu_s=candidate_cpu_s(run_timeout_s),
    )
