"""Grading latency against bare pytest, and a burst over HTTP; figures to bench/RESULTS.md.

    .venv/bin/python bench/grading_latency.py [--runs 10] [--burst 40] [--workers 2] [--pool-size 2]

Side by side, for each seed code problem's reference solution, `--runs` rounds, the three modes
interleaved within each round (their order rotated from round to round, so that a change in the
machine's load hits all of them alike):

1. bare: the problem's checks under plain `python -m pytest` on the host, a fresh process, no
   sandbox (bench/bare_plugin.py calls the probes in-process; one torch thread, as in the judge);
2. cold: `judge grade SLUG solution.py --sandbox docker --json`, a fresh CLI process (no pool);
3. warm: HTTP end to end against `judge serve` (docker, embedded queue, warm pool): POST the
   submission, then a long-poll GET until the result is there. Before each submission the bench
   waits until the pool has a slot ready (that wait is not timed; hits and misses are reported).

Then a burst: `--burst` submissions (the seed problems in turn) POSTed at once, while two clients
poll GET /submissions/{id}. Throughput comes from the server's own created/finished timestamps.
The CPU-bound limit is cores x 60 / CPU-seconds of one grading, where those CPU-seconds are the
judge's own (the `judge serve` process tree, reaped children included, plus every container it
started, from their cgroups), summed over the warm rounds (each grading plus the warm-up that
replaced its slot) and divided by their number: other work on the machine is not charged to it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx

from judge.problem import load_problem
from judge.sandbox import reaper

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
SEED_CODE_PROBLEMS = ["vae-mnist", "audio-vae", "dcgan-mnist", "lstm-text-generation"]
SEED_QUIZ = "aigc-concepts"
MODES = ["bare", "cold", "warm"]
READY_LINE = "sandbox .* ready in"
HANDED_LINE = "grading on warm"
CGROUP = Path("/sys/fs/cgroup")
CLK_TCK = os.sysconf("SC_CLK_TCK")
THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


# -- the machine -----------------------------------------------------------------------------------


def machine() -> list[str]:
    """Lines describing where the figures were taken."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    docker = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}, storage driver {{.Driver}}, cgroup v{{.CgroupVersion}}"],
        capture_output=True,
        text=True,
    )
    import torch

    return [
        f"- host: {socket.gethostname()}, {platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}), {memory_gib:.0f} GiB RAM",
        f"- Python {platform.python_version()}, torch {torch.__version__}; Docker engine {docker.stdout.strip() or 'unavailable'}",
        f"- running as {'root' if os.geteuid() == 0 else 'uid ' + str(os.geteuid())}",
    ]


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


# -- what the judge uses -------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def process_tree(root: int) -> list[int]:
    """A process and its living descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, pending = [root], [root]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def tree_cpu_s(root: int) -> float:
    """CPU seconds of a process tree: its living processes' own and those of the children they reaped."""
    total = 0
    for pid in process_tree(root):
        fields = _stat(pid)
        if fields is not None:
            # utime, stime, cutime, cstime (fields 14-17; index 11-14 after the command name)
            total += sum(int(x) for x in fields[11:15])
    return total / CLK_TCK


def status_kib(pid: int, key: str) -> int:
    """A kB field of /proc/PID/status (VmHWM, VmRSS); 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def judge_free_env() -> dict[str, str]:
    """This environment without the judge's settings, except the runner image under test (JUDGE_DOCKER_IMAGE)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("JUDGE_") or k == "JUDGE_DOCKER_IMAGE"}


class JudgeMeter(threading.Thread):
    """Samples the server's containers (CPU and peak memory from their cgroups) and its runners' peak memory."""

    def __init__(self, server_pid: int, interval_s: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.server_pid = server_pid
        self.owner = reaper.owner_token(server_pid)
        self.interval_s = interval_s
        self.container_cpu_ns: dict[str, int] = {}
        self.container_peak_bytes: dict[str, int] = {}
        self.runner_peak_kib: dict[int, int] = {}
        self._owners: dict[str, bool] = {}
        self._lock = threading.Lock()
        self.stopped = threading.Event()

    def _ours(self, container: str) -> bool:
        if container not in self._owners:
            out = subprocess.run(
                ["docker", "inspect", "--format", f'{{{{index .Config.Labels "{reaper.OWNER_LABEL}"}}}}', container],
                capture_output=True,
                text=True,
            )
            self._owners[container] = out.returncode == 0 and out.stdout.strip() == self.owner
        return self._owners[container]

    def run(self) -> None:
        """Sample until stopped."""
        cpu_root, memory_root = CGROUP / "cpuacct" / "docker", CGROUP / "memory" / "docker"
        while not self.stopped.wait(self.interval_s):
            try:
                ids = [p.name for p in cpu_root.iterdir() if p.is_dir()]
            except OSError:
                ids = []
            for container in ids:
                if not self._ours(container):
                    continue
                try:
                    usage = int((cpu_root / container / "cpuacct.usage").read_text())
                    peak = int((memory_root / container / "memory.max_usage_in_bytes").read_text())
                except (OSError, ValueError):
                    continue
                with self._lock:
                    self.container_cpu_ns[container] = max(usage, self.container_cpu_ns.get(container, 0))
                    self.container_peak_bytes[container] = max(peak, self.container_peak_bytes.get(container, 0))
            for pid in process_tree(self.server_pid)[1:]:
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if b"judge.harness.runner" in cmdline:
                    self.runner_peak_kib[pid] = max(status_kib(pid, "VmHWM"), self.runner_peak_kib.get(pid, 0))

    def cpu_s(self) -> float:
        """The judge's CPU seconds so far: its process tree plus its containers."""
        with self._lock:
            containers = sum(self.container_cpu_ns.values()) / 1e9
        return tree_cpu_s(self.server_pid) + containers


# -- the three modes ---------------------------------------------------------------------------


def run_bare(slug: str, work: Path) -> float:
    """Seconds for plain pytest of the problem's checks in a fresh process (checks copied as the judge does)."""
    problem = load_problem(REPO / "problems" / slug)
    folder = Path(tempfile.mkdtemp(prefix=f"bare-{slug}-", dir=work))
    checks = folder / "checks"
    checks.mkdir()
    for source in (problem.hidden_checks_dir, problem.public_checks_dir):
        if source.is_dir():
            for path in sorted(source.glob("*.py")):
                shutil.copyfile(path, checks / path.name)
    (folder / "pytest.ini").write_text("[pytest]\naddopts =\n")
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "checks",
        "-c",
        "pytest.ini",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "bare_plugin",
        "--bare-solution",
        str(problem.solution_path),
        "--bare-probes",
        str(problem.probes_path),
        "--bare-checks",
        ",".join(c.id for c in problem.check_specs),
    ]
    env = dict(os.environ, **THREAD_ENV, PYTHONPATH=str(BENCH), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    shutil.rmtree(folder, ignore_errors=True)
    if done.returncode != 0:
        raise RuntimeError(f"bare pytest of {slug} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return elapsed


def run_cold(slug: str, env: dict[str, str]) -> float:
    """Seconds for `judge grade --sandbox docker` of the reference, a fresh CLI process."""
    problem = load_problem(REPO / "problems" / slug)
    argv = [
        sys.executable,
        "-c",
        "from judge.cli import app; app()",
        "grade",
        slug,
        str(problem.solution_path),
        "--sandbox",
        "docker",
        "--json",
    ]
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=REPO)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"judge grade {slug} failed ({done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    if result["score"] != result["max_score"]:
        raise RuntimeError(f"judge grade {slug}: {result['score']}/{result['max_score']}")
    return elapsed


class Server:
    """`judge serve` with the docker backend and a warm pool, and a client holding its admin key."""

    def __init__(
        self, work: Path, workers: int, pool_size: int, poll_interval_s: float, database_url: str | None = None
    ) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.env = judge_free_env()
        self.env.update(
            JUDGE_DATA_DIR=str(work / "data"),
            JUDGE_SANDBOX="docker",
            JUDGE_PORT=str(self.port),
            JUDGE_WORKERS=str(workers),
            JUDGE_POOL_SIZE=str(pool_size),
            JUDGE_POLL_INTERVAL_S=str(poll_interval_s),
            JUDGE_RATE_LIMIT_PER_MINUTE="1000000",
            JUDGE_RATE_LIMIT_BURST="100000",
            JUDGE_QUEUE_LIMIT="10000",
            PYTHONUNBUFFERED="1",
        )
        if database_url:
            self.env["JUDGE_DATABASE_URL"] = database_url
        self.lock = threading.Lock()
        self.server_errors = 0
        self.log_path = work / "serve.log"
        self.log_file = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from judge.cli import app; app()", "serve"],
            env=self.env,
            cwd=REPO,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        # Not a terminal, so `judge serve` writes its first admin key to the data dir (mode 0600), not the log.
        key_file = work / "data" / "first-admin-key"
        self._wait(lambda: key_file.is_file() and key_file.read_text().strip(), 180, "the admin key")
        key = key_file.read_text().strip()
        self.headers = {"Authorization": f"Bearer {key}"}
        self.client = httpx.Client(base_url=self.base, headers=self.headers, timeout=120)
        self._wait(lambda: self._ready(), 180, "/readyz")

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.base}/readyz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace")

    def _wait(self, condition: Callable, timeout_s: float, what: str):
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"judge serve exited while waiting for {what}:\n{self.log()[-3000:]}")
            if value := condition():
                return value
            if time.monotonic() > deadline:
                raise RuntimeError(f"no {what} within {timeout_s:g} s:\n{self.log()[-3000:]}")
            time.sleep(0.1)

    def counts(self) -> tuple[int, int]:
        """(warm slots that got ready, slots handed to a grade) so far, from the server's log."""
        text = self.log()
        return len(re.findall(READY_LINE, text)), text.count(HANDED_LINE)

    def wait_pool(self, slots: int, timeout_s: float = 900.0) -> bool:
        """Wait until `slots` warm slots are ready; False if they are not in time."""
        try:
            self._wait(
                lambda: (lambda c: c[0] - c[1] >= slots)(self.counts()), timeout_s, f"{slots} ready warm slot(s)"
            )
            return True
        except RuntimeError:
            return False

    def submit(self, slug: str, source: str, client: httpx.Client | None = None) -> str:
        """POST one submission; its id. A 5xx answer is counted and retried (at most 3 times)."""
        for attempt in range(4):
            answer = (client or self.client).post("/api/v1/submissions", json={"problem": slug, "source": source})
            if answer.status_code == 202:
                return answer.json()["id"]
            if answer.status_code < 500 or attempt == 3:
                break
            with self.lock:
                self.server_errors += 1
            time.sleep(0.5)
        raise RuntimeError(f"POST /submissions: {answer.status_code} {answer.text[:300]}")

    def finished(self, submission_id: str) -> dict:
        """Long-poll until the submission is completed or failed."""
        while True:
            body = self.client.get(f"/api/v1/submissions/{submission_id}", params={"wait": 60}).json()
            if body["status"] in ("completed", "failed"):
                return body

    def stop(self) -> None:
        """SIGTERM the server (its pool destroys the waiting slots), SIGKILL if it hangs."""
        self.client.close()
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log_file.close()


def run_warm(server: Server, slug: str) -> tuple[float, bool]:
    """Seconds from POST to the result being available over HTTP; whether a warm slot graded it."""
    source = load_problem(REPO / "problems" / slug).solution_path.read_text()
    handed_before = server.counts()[1]
    started = time.perf_counter()
    submission_id = server.submit(slug, source)
    body = server.finished(submission_id)
    elapsed = time.perf_counter() - started
    if body["status"] != "completed" or body["score"] != body["max_score"]:
        raise RuntimeError(f"warm {slug}: {body}")
    return elapsed, server.counts()[1] > handed_before


# -- the burst -----------------------------------------------------------------------------------


def burst(
    server: Server, meter: JudgeMeter, count: int, problems: list[str], pollers: int = 2, poll_pause_s: float = 0.1
) -> dict:
    """POST `count` submissions at once; poll them while they grade; the figures."""
    sources = {slug: load_problem(REPO / "problems" / slug).solution_path.read_text() for slug in problems}
    busy0, total0 = cpu_times()
    judge0 = meter.cpu_s()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=count) as posting:
        clients = [httpx.Client(base_url=server.base, headers=server.headers, timeout=120) for _ in range(count)]
        ids = list(
            posting.map(
                lambda i: server.submit(problems[i % len(problems)], sources[problems[i % len(problems)]], clients[i]),
                range(count),
            )
        )
        for client in clients:
            client.close()
    latencies: list[float] = []
    bodies: dict[str, dict] = {}
    lock = threading.Lock()

    def poll(offset: int) -> None:
        client = httpx.Client(base_url=server.base, headers=server.headers, timeout=30)
        index = offset
        while True:
            with lock:
                pending = [i for i in ids if i not in bodies]
            if not pending:
                break
            submission_id = pending[index % len(pending)]
            index += 1
            begun = time.perf_counter()
            answer = client.get(f"/api/v1/submissions/{submission_id}")
            took = time.perf_counter() - begun
            body = answer.json()
            with lock:
                latencies.append(took)
                if body["status"] in ("completed", "failed"):
                    bodies[submission_id] = body
            time.sleep(poll_pause_s)
        client.close()

    threads = [threading.Thread(target=poll, args=(n,)) for n in range(pollers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    window_s = time.monotonic() - started
    busy1, total1 = cpu_times()
    judge_cpu_s = meter.cpu_s() - judge0
    failed = [b for b in bodies.values() if b["status"] != "completed" or b["score"] != b["max_score"]]
    if failed:
        raise RuntimeError(f"{len(failed)} burst submissions did not get full marks: {failed[0]}")
    created = min(datetime.fromisoformat(b["created_at"]) for b in bodies.values())
    finished = max(datetime.fromisoformat(b["finished_at"]) for b in bodies.values())
    span_s = (finished - created).total_seconds()
    latencies.sort()
    return {
        "count": count,
        "span_s": span_s,
        "per_minute": count / span_s * 60,
        "window_s": window_s,
        "machine_busy": (busy1 - busy0) / (total1 - total0),
        "judge_busy": judge_cpu_s / (window_s * (os.cpu_count() or 1)),
        "gets": len(latencies),
        "get_p50_ms": percentile(latencies, 50) * 1000,
        "get_p99_ms": percentile(latencies, 99) * 1000,
    }


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, min(len(values), round(p / 100 * len(values) + 0.5)))
    return values[rank - 1]


# -- the report ----------------------------------------------------------------------------------


def summary(values: list[float]) -> str:
    """Median and min–max as two table cells."""
    return f"{statistics.median(values):.2f} | {min(values):.2f}–{max(values):.2f}"


def main() -> int:
    """Run the benchmark and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="rounds per problem (default 10)")
    parser.add_argument("--burst", type=int, default=40, help="submissions in the burst (default 40)")
    parser.add_argument("--workers", type=int, default=2, help="grading threads of judge serve (default 2)")
    parser.add_argument("--pool-size", type=int, default=2, help="warm slots (default 2)")
    parser.add_argument(
        "--poll-interval", type=float, default=0.02, help="the server's long-poll interval, s (default 0.02)"
    )
    parser.add_argument(
        "--database-url", default=None, help="the server's database (default: its SQLite file in a temp data dir)"
    )
    parser.add_argument("--problems", nargs="+", default=SEED_CODE_PROBLEMS)
    parser.add_argument("--output", type=Path, default=BENCH / "RESULTS.md")
    args = parser.parse_args()

    taken = datetime.now(UTC)
    load_before = load_average()
    print(f"load average before: {load_before}", flush=True)
    times: dict[tuple[str, str], list[float]] = {(slug, mode): [] for slug in args.problems for mode in MODES}
    hits = misses = 0
    with tempfile.TemporaryDirectory(prefix="judge-bench-") as tmp:
        work = Path(tmp)
        server = Server(work, args.workers, args.pool_size, args.poll_interval, args.database_url)
        meter = JudgeMeter(server.process.pid)
        meter.start()
        cli_env = judge_free_env()
        cli_env["JUDGE_DATA_DIR"] = str(work / "cli-data")
        try:
            server.wait_pool(args.pool_size)
            cpu_start = meter.cpu_s()
            for round_number in range(args.runs):
                for index, slug in enumerate(args.problems):
                    shift = (round_number + index) % len(MODES)
                    for mode in MODES[shift:] + MODES[:shift]:
                        if mode == "bare":
                            times[slug, mode].append(run_bare(slug, work))
                        elif mode == "cold":
                            times[slug, mode].append(run_cold(slug, cli_env))
                        else:
                            server.wait_pool(1)
                            elapsed, hit = run_warm(server, slug)
                            times[slug, mode].append(elapsed)
                            hits, misses = hits + hit, misses + (not hit)
                        print(
                            f"round {round_number + 1} {slug} {mode}: {times[slug, mode][-1]:.2f} s (load {load_average()})",
                            flush=True,
                        )
            server.wait_pool(args.pool_size)
            cpu_per_grading = (meter.cpu_s() - cpu_start) / (args.runs * len(args.problems))
            load_mid = load_average()
            burst_figures = burst(server, meter, args.burst, args.problems)
            print(f"burst: {burst_figures}", flush=True)
            server.wait_pool(args.pool_size, timeout_s=300)
            judge_peak_mib = status_kib(server.process.pid, "VmHWM") / 1024
            runner_peak_mib = max(meter.runner_peak_kib.values(), default=0) / 1024
            container_peak_mib = max(meter.container_peak_bytes.values(), default=0) / 2**20
        finally:
            meter.stopped.set()
            server.stop()
            # Kept for a look after the run (the work dir is removed).
            shutil.copyfile(server.log_path, Path(tempfile.gettempdir()) / "judge-bench-serve.log")
    load_after = load_average()

    cores = os.cpu_count() or 1
    limit_per_minute = cores * 60 / cpu_per_grading
    ratio = burst_figures["per_minute"] / limit_per_minute
    # What other people's work left to the judge during the burst, and the limit on that.
    others_cores = max(0.0, burst_figures["machine_busy"] - burst_figures["judge_busy"]) * cores
    left_limit = max(cores - others_cores, 0.01) * 60 / cpu_per_grading
    lines = [
        "# Grading latency: bare pytest, cold docker, warm pool over HTTP; and a burst",
        "",
        f"Taken {taken:%Y-%m-%d %H:%M} UTC with `.venv/bin/python bench/grading_latency.py --runs {args.runs} --burst {args.burst} "
        f"--workers {args.workers} --pool-size {args.pool_size}` (see its docstring for exactly what each mode does).",
        "",
        *machine(),
        f"- load average (1/5/15 min): {load_before} before, {load_mid} before the burst, {load_after} after. "
        "Other engineers ran tests on this 2-core machine at the same time: every figure is slowed by that, and the three modes alike (interleaved).",
        "",
        "## Per submission (reference solutions, seconds)",
        "",
        "Bare: plain `python -m pytest` of the same checks in a fresh host process, no sandbox; the probes are called in-process "
        "(bench/bare_plugin.py) with the judge's thread settings (OMP_NUM_THREADS=1, MKL_NUM_THREADS=1, torch.set_num_threads(1)) and seeds. "
        "Cold: `judge grade SLUG solution.py --sandbox docker --json`, a fresh CLI process. "
        f"Warm: POST to `judge serve` (docker, {args.workers} grading threads, pool of {args.pool_size}, long-poll interval {args.poll_interval:g} s), "
        "then GET ?wait until the result is there.",
        "",
        "| problem | bare median | bare min–max | cold median | cold min–max | warm HTTP median | warm min–max | cold / bare | warm / bare |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    all_ratios = []
    for slug in args.problems:
        bare, cold, warm = (statistics.median(times[slug, m]) for m in MODES)
        all_ratios.append(warm / bare)
        lines.append(
            f"| {slug} | {summary(times[slug, 'bare'])} | {summary(times[slug, 'cold'])} | {summary(times[slug, 'warm'])} | "
            f"{cold / bare:.2f} | {warm / bare:.2f} |"
        )
    lines += [
        "",
        f"{SEED_QUIZ} is a quiz: its answers are graded as data against the key, with no sandbox and no pytest checks, so it has no bare mode to compare.",
        f"Warm runs graded by a warm slot: {hits} of {hits + misses}.",
        "",
        "## Burst",
        "",
        f"- {args.burst} submissions POSTed at once (the problems above in turn): all completed with full marks in {burst_figures['span_s']:.1f} s "
        f"(first created to last finished, server timestamps): **{burst_figures['per_minute']:.1f} submissions per minute**.",
        f"- CPU-seconds of one grading: {cpu_per_grading:.1f} s (the judge's own: `judge serve` process tree with reaped children, plus its "
        "containers' cgroup CPU, summed over the warm rounds, each grading with the warm-up that replaced its slot, divided by their number).",
        f"- CPU-bound limit: {cores} cores x 60 / {cpu_per_grading:.1f} s = {limit_per_minute:.1f} per minute; "
        f"**burst throughput = {ratio:.0%} of it** (target >= 85%).",
        f"- CPU utilisation during the burst ({burst_figures['window_s']:.0f} s): machine-wide {burst_figures['machine_busy']:.0%} (/proc/stat); "
        f"the judge's own (measured as above) {burst_figures['judge_busy']:.0%}; so other work took {others_cores:.2f} of the {cores} cores. "
        f"Against the CPU that left to the judge ({cores - others_cores:.2f} cores: limit {left_limit:.1f} per minute) the burst reached "
        f"{burst_figures['per_minute'] / left_limit:.0%} (the engine's own work for the judge's containers, in dockerd and containerd, "
        "is not in the judge's figure but in the other work's, which is how this can pass 100%).",
        f"- POST /submissions answered 5xx {server.server_errors} time(s) in the whole run (each retried after 0.5 s; see the serve log).",
        f"- GET /submissions/{{id}} during the burst ({burst_figures['gets']} requests from 2 clients): "
        f"**p50 {burst_figures['get_p50_ms']:.1f} ms, p99 {burst_figures['get_p99_ms']:.1f} ms** (target p99 < 50 ms).",
        "",
        "## Memory",
        "",
        f"- peak of the judge process (`judge serve`, VmHWM): {judge_peak_mib:.0f} MiB",
        f"- peak of one sandbox: runner {runner_peak_mib:.0f} MiB (largest VmHWM seen) + container {container_peak_mib:.0f} MiB "
        f"(largest cgroup max usage) = {runner_peak_mib + container_peak_mib:.0f} MiB at most",
        "",
        "## Targets",
        "",
        f"- warm HTTP median <= 1.0 x bare: {', '.join(f'{s} {r:.2f}' for s, r in zip(args.problems, all_ratios))} "
        f"({'met' if max(all_ratios) <= 1.0 else 'missed'})",
        f"- burst >= 85% of the CPU-bound limit: {ratio:.0%} ({'met' if ratio >= 0.85 else 'missed'})",
        f"- GET p99 < 50 ms: {burst_figures['get_p99_ms']:.1f} ms ({'met' if burst_figures['get_p99_ms'] < 50 else 'missed'})",
        "",
    ]
    args.output.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
