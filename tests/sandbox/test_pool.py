"""The warm pool (judge/sandbox/pool.py): single-use slots, no state between submissions, the same
results as a cold grade, the job's limits applied on hand-out, refill, shrinking and dead slots.

Real runners, containers and bubblewrap sandboxes throughout; each backend where it runs here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from judge.bank.loader import ProblemBank
from judge.harness.isolation import IsolationPolicy, processes_of_uid
from judge.harness.launcher import DockerLauncherSpec, LaunchConfig, LocalLauncherSpec
from judge.harness.session import RunnerConfig
from judge.problem import load_problem
from judge.result import GradeResult, Verdict
from judge.sandbox import reaper
from judge.sandbox.base import Sandbox
from judge.sandbox.docker import DockerSandbox
from judge.sandbox.pool import PooledSandbox, PoolSlot, WarmPool, fits, pooled
from judge.sandbox.process import ProcessSandbox, descendants
from judge.settings import Settings
from tests.conftest import PROBLEMS, grade_ref
from tests.problem_factory import make_problem
from tests.sandbox.conftest import docker_call, sandbox_or_skip

BACKENDS = ["process", "bwrap", "docker"]
#: Warm-ups run niced: on a machine busy with other work they wait for idle CPU.
WARM_TIMEOUT_S = 600.0
LEAK_MARKER = "judge-pool-leak-" + os.urandom(4).hex()


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll `condition` until it holds; fail saying `what` did not happen."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout_s:g} s")
        time.sleep(0.2)


def backend_or_skip(name: str, settings: Settings) -> Sandbox:
    """A backend for pool tests; the process backend only as root (it isolates nothing otherwise)."""
    if name == "process" and os.geteuid() != 0:
        pytest.skip("the process backend isolates nothing without root")
    return sandbox_or_skip(name, settings)


@pytest.fixture
def pool_settings(sandbox_settings: Settings) -> Settings:
    """The sandbox tests' settings with a pool of one slot."""
    return sandbox_settings.model_copy(
        update={"sandbox": sandbox_settings.sandbox.model_copy(update={"pool_size": 1, "pool_idle_s": 600.0})}
    )


@pytest.fixture(params=BACKENDS)
def warm(request: pytest.FixtureRequest, pool_settings: Settings) -> Iterator[PooledSandbox]:
    """Each backend behind a started pool of one slot; the pool is stopped afterwards."""
    sandbox = PooledSandbox(backend_or_skip(request.param, pool_settings), pool_settings, ProblemBank(pool_settings))
    sandbox.open()
    yield sandbox
    sandbox.close()


def wait_ready(sandbox: PooledSandbox) -> None:
    """Wait until a warm slot is ready (a warm-up takes a few seconds, more on a busy machine)."""
    wait_until(lambda: sandbox.pool.ready_count() >= 1, WARM_TIMEOUT_S, "a warm slot getting ready")


def outcomes(result: GradeResult) -> list[tuple[str, str, float]]:
    return [(c.id, c.outcome.value, c.points) for c in result.checks]


# -- without sandboxes ---------------------------------------------------------------------------


def _launch(**policy) -> LaunchConfig:
    return LaunchConfig(candidate_dir="/w/candidate", policy=IsolationPolicy(memory_mb=1024, cpu_s=305, **policy))


def _job(launch: LaunchConfig, **policy) -> RunnerConfig:
    fields = {**launch.policy.model_dump(), **policy}
    return RunnerConfig(
        candidate_dir=launch.candidate_dir,
        launcher=launch.launcher,
        policy=IsolationPolicy(**fields),
        checks_dir="/w/trusted/checks",
        ini_path="/w/trusted/pytest.ini",
        probes_path="/w/trusted/probes.py",
        entrypoint="solution.py",
        check_ids=["a"],
        check_timeout_s=5,
        run_timeout_s=20,
    )


def test_a_job_fits_a_slot_only_with_the_same_isolation_and_lower_limits():
    launch = _launch(hide_paths=["/problems"])
    assert fits(launch, _job(launch, memory_mb=512, cpu_s=25))
    assert fits(launch, _job(launch))
    assert not fits(launch, _job(launch, memory_mb=2048)), "a limit above the slot's cannot be applied by lowering"
    assert not fits(launch, _job(launch, cpu_s=400))
    assert not fits(launch, _job(launch, hide_paths=["/problems", "/elsewhere"])), (
        "the slot hides less than the job needs"
    )
    assert not fits(launch, _job(launch, pids=128))
    other_dir = _job(launch).model_copy(update={"candidate_dir": "/x/candidate"})
    assert not fits(launch, other_dir)
    docker = DockerLauncherSpec(image="i", run_id="abc", lifetime_s=100)
    assert not fits(launch, _job(launch).model_copy(update={"launcher": docker}))
    assert launch.launcher == LocalLauncherSpec()


def test_descendants_finds_children_and_grandchildren():
    child = subprocess.Popen([sys.executable, "-c", "import subprocess, sys; subprocess.run(['sleep', '30'])"])
    try:
        wait_until(lambda: len(descendants(child.pid)) >= 1, 20, "the grandchild starting")
        found = descendants(os.getpid())
        assert child.pid in found and set(descendants(child.pid)) <= set(found)
    finally:
        for pid in [*descendants(child.pid), child.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        child.wait()


def test_only_real_backends_get_a_pool(sandbox_settings):
    backend = ProcessSandbox(Settings())
    assert (
        pooled(
            backend,
            sandbox_settings.model_copy(
                update={"sandbox": sandbox_settings.sandbox.model_copy(update={"pool_size": 0})}
            ),
            ProblemBank(sandbox_settings),
        )
        is backend
    )
    wrapped = pooled(
        backend,
        sandbox_settings.model_copy(update={"sandbox": sandbox_settings.sandbox.model_copy(update={"pool_size": 2})}),
        ProblemBank(sandbox_settings),
    )
    assert isinstance(wrapped, PooledSandbox) and wrapped.backend is backend and wrapped.name == "process"

    class Fake(Sandbox):
        name = "fake"
        drops_privileges = False

        def run(self, job, on_event=None):
            raise AssertionError("not called")

    fake = Fake()
    assert (
        pooled(
            fake,
            sandbox_settings.model_copy(
                update={"sandbox": sandbox_settings.sandbox.model_copy(update={"pool_size": 2})}
            ),
            ProblemBank(sandbox_settings),
        )
        is fake
    )
    assert fake.take_slot() is None, "a backend without a pool grades cold"


def test_the_candidate_lowers_its_own_rlimits_to_the_job():
    code = (
        "import resource\n"
        "from judge.harness.isolation import IsolationPolicy, tighten\n"
        "resource.setrlimit(resource.RLIMIT_CPU, (300, 300))\n"
        "tighten(IsolationPolicy(memory_mb=4096, memory_by_cgroup=False), cpu_s=25, memory_mb=512)\n"
        "print(resource.getrlimit(resource.RLIMIT_CPU), resource.getrlimit(resource.RLIMIT_DATA))\n"
        "tighten(IsolationPolicy(memory_mb=4096, memory_by_cgroup=False), cpu_s=600, memory_mb=8192)\n"
        "print(resource.getrlimit(resource.RLIMIT_CPU), resource.getrlimit(resource.RLIMIT_DATA))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout.splitlines()
    assert out[0] == f"(25, 25) ({512 << 20}, {512 << 20})"
    assert out[1] == out[0], "a job never raises a limit"


# -- with real sandboxes -------------------------------------------------------------------------


@pytest.mark.slow
def test_pooled_grade_equals_cold_grade(warm, pool_settings):
    """Reference and a mutant of vae-mnist: per-check outcomes, points and verdict identical."""
    problem = load_problem(PROBLEMS / "vae-mnist")
    sources = {
        "reference": problem.solution_path.read_bytes(),
        "mutant": (problem.root / "mutants" / "kl_wrong_sign.py").read_bytes(),
    }
    for name, source in sources.items():
        cold = grade_ref("vae-mnist", source, pool_settings, warm.backend)
        wait_ready(warm)
        pooled_result = grade_ref("vae-mnist", source, pool_settings, warm)
        assert outcomes(pooled_result) == outcomes(cold), name
        assert (pooled_result.verdict, pooled_result.score) == (cold.verdict, cold.score), name
    assert cold.verdict is not Verdict.ACCEPTED, "the mutant must be caught"
    assert warm.pool.stats.hits == 2 and warm.pool.stats.fallbacks == 0, warm.pool.stats


LEAVER = f'''
import os, subprocess, sys, torch
# State a later submission must never see: a file in scratch and home, module state, a process.
for folder in ("/tmp", os.path.expanduser("~")):
    try:
        with open(os.path.join(folder, "{LEAK_MARKER}"), "w") as f:
            f.write("left behind")
    except OSError:
        pass
torch.LEAK = "{LEAK_MARKER}"
sys.modules["{LEAK_MARKER}"] = torch
os.environ["{LEAK_MARKER}"] = "1"
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "{LEAK_MARKER}"], start_new_session=True)
'''

SEEKER = f'''
import os, sys, torch
seen = []
for folder in ("/tmp", os.path.expanduser("~"), "."):
    if os.path.exists(os.path.join(folder, "{LEAK_MARKER}")):
        seen.append("file in " + folder)
if getattr(torch, "LEAK", None) or "{LEAK_MARKER}" in sys.modules or "{LEAK_MARKER}" in os.environ:
    seen.append("module state")
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{{pid}}/cmdline", "rb") as f:
            if b"{LEAK_MARKER}" in f.read():
                seen.append("process " + pid)
    except OSError:
        pass
if seen:
    raise RuntimeError("left over from an earlier submission: " + ", ".join(seen))
'''


def host_processes_with_marker() -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if LEAK_MARKER.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:
            pass
    return found


@pytest.mark.slow
@pytest.mark.security
def test_nothing_a_submission_leaves_behind_reaches_the_next(warm, pool_settings):
    reference = load_problem(PROBLEMS / "vae-mnist").solution_path.read_text()
    wait_ready(warm)
    left = grade_ref("vae-mnist", (LEAVER + reference).encode(), pool_settings, warm)
    assert left.verdict is Verdict.ACCEPTED, [c.message for c in left.checks]
    assert host_processes_with_marker() == [], "the first submission's background process outlived its slot"
    wait_ready(warm)
    seeker = grade_ref("vae-mnist", (SEEKER + reference).encode(), pool_settings, warm)
    assert seeker.verdict is Verdict.ACCEPTED, [c.message for c in seeker.checks]
    assert warm.pool.stats.hits == 2 and warm.pool.stats.fallbacks == 0, warm.pool.stats


def slot_gone(slot: PoolSlot, sandbox: ProcessSandbox) -> bool:
    """No runner, no run-uid process, no container and no workspace left of the slot."""
    if slot.process.poll() is None or not slot._gone:
        return False
    if slot.uid is not None and processes_of_uid(slot.uid):
        return False
    if isinstance(sandbox, DockerSandbox):
        listing = docker_call(sandbox.settings, "ps", "-aq", "--filter", f"label={reaper.RUN_LABEL}={slot.run_id}")
        if listing.stdout.strip():
            return False
    return True


@pytest.mark.slow
def test_a_slot_runs_one_job_and_is_destroyed(warm, pool_settings):
    wait_ready(warm)
    slot = warm.pool._slots[0]
    source = load_problem(PROBLEMS / "vae-mnist").solution_path.read_bytes()
    handed = warm.take_slot()
    assert handed is not None and handed.workspace == slot.workspace
    from judge.grading import build_job
    from judge.workspace import fill_workspace

    problem = load_problem(PROBLEMS / "vae-mnist")
    fill_workspace(slot.workspace, problem, source)
    job = build_job(problem, slot.workspace, pool_settings, slot.uid, ProblemBank(pool_settings).hidden_paths())
    run = handed.run(job)
    assert run.finished and len(run.events) == len(problem.check_specs)
    assert slot_gone(slot, warm.backend), "the slot's processes and containers must be gone after its job"
    with pytest.raises(RuntimeError, match="one job only"):
        slot.run(job)
    slot.workspace.remove()
    assert all(s is not slot for s in warm.pool._slots), "a used slot never returns to the pool"


@pytest.mark.slow
def test_the_job_memory_limit_applies_to_a_slot_warmed_with_the_maximum(warm, pool_settings, tmp_path):
    """The slot starts with the server's maximum (1024 MB); the problem asks for 512 MB."""
    make_problem(tmp_path)
    settings = pool_settings.model_copy(
        update={"problems": pool_settings.problems.model_copy(update={"dirs": [tmp_path]})}
    )
    sandbox = PooledSandbox(warm.backend, settings, ProblemBank(settings))
    sandbox.open()
    try:
        wait_ready(sandbox)
        hog = "import torch\nHOARD = torch.ones(700 << 20, dtype=torch.uint8)\ndef add(a, b):\n    return a + b\n"
        result = grade_ref("tiny-add", hog.encode(), settings, sandbox)
        assert result.verdict is Verdict.MEMORY_LIMIT, [c.message for c in result.checks]
        assert sandbox.pool.stats.hits == 1 and sandbox.pool.stats.fallbacks == 0, sandbox.pool.stats
    finally:
        sandbox.close()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["docker", "bwrap"])
def test_pool_refills_shrinks_when_idle_and_discards_dead_slots(name, pool_settings):
    backend = backend_or_skip(name, pool_settings)
    pool = WarmPool(backend, pool_settings, ProblemBank(pool_settings))
    pool.start()
    try:
        wait_until(lambda: pool.ready_count() == 1, WARM_TIMEOUT_S, "the first warm-up")
        first = pool.take()
        assert first is not None and pool.stats.hits == 1
        first.discard()
        first.workspace.remove()
        wait_until(lambda: pool.ready_count() == 1, WARM_TIMEOUT_S, "the refill after a hand-out")
        assert pool.stats.started == 2

        # A slot that dies while waiting (here its candidate process) is discarded, never handed out.
        dying = pool._slots[0]
        if name == "docker":
            docker_call(backend.settings, "kill", f"judge-{dying.run_id}-1")
        else:
            # The candidate is the broker's child, on the host; the runner only holds its pipes.
            candidate = dying.runner.broker.candidate_pid()
            for pid in [candidate, *descendants(candidate)]:
                os.kill(pid, signal.SIGKILL)
        wait_until(lambda: dying.process.poll() is not None, 60, "the warm runner noticing its candidate died")
        taken = pool.take()
        assert taken is not dying
        if taken is not None:
            taken.discard()
            taken.workspace.remove()
        assert slot_gone(dying, backend) and not dying.workspace.root.exists()

        # No demand for pool_idle_s: the pool empties and starts nothing more.
        wait_until(lambda: pool.ready_count() == 1, WARM_TIMEOUT_S, "the refill after a dead slot")
        waiting = pool._slots[0]
        pool.idle_s = 1.0
        wait_until(lambda: pool.waiting() == 0, 30, "the idle pool emptying")
        started = pool.stats.started
        time.sleep(3)
        assert pool.waiting() == 0 and pool.stats.started == started
        assert slot_gone(waiting, backend) and not waiting.workspace.root.exists()

        # The next submission finds none (it is graded cold) and the pool fills again.
        pool.idle_s = 600.0
        misses = pool.stats.misses
        assert pool.take() is None and pool.stats.misses == misses + 1
        wait_until(lambda: pool.ready_count() == 1, WARM_TIMEOUT_S, "the refill after a miss")
    finally:
        pool.stop()
    assert pool.waiting() == 0
