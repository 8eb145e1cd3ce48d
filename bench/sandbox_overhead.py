"""Per-submission wall time of each sandbox backend against the process backend.

    python bench/sandbox_overhead.py [--runs N] [--problems slug ...] [--backends process bwrap docker]

Grades each problem's reference N times on every backend, the backends interleaved round by round
(so that a change in the machine's load hits all of them alike), checks that every run gets full
marks with the same per-check results as the process backend, and writes the medians, with the
machine and the date, to bench/RESULTS-sandbox.md. It also times a bare candidate start (the
process greeting the host) per backend: the part of the overhead paid again at every restart.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from judge.bank.loader import ProblemBank
from judge.errors import SandboxUnavailable
from judge.grading import grade_submission
from judge.problem import Kind
from judge.sandbox.doctor import smoke_test
from judge.sandbox.select import choose_sandbox
from judge.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SEED_PROBLEMS = ["vae-mnist", "lstm-text-generation", "dcgan-mnist", "audio-vae"]


def machine() -> list[str]:
    """Lines describing where the figures were taken."""
    cpu = "?"
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    docker = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}, storage driver {{.Driver}}, cgroup v{{.CgroupVersion}}"],
        capture_output=True,
        text=True,
    )
    bwrap = subprocess.run(["bwrap", "--version"], capture_output=True, text=True)
    return [
        f"- host: {socket.gethostname()}, {platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}), {memory_gib:.0f} GiB RAM",
        f"- Python {platform.python_version()}; Docker engine {docker.stdout.strip() or 'unavailable'}; {bwrap.stdout.strip() or 'bwrap unavailable'}",
        f"- running as {'root' if os.geteuid() == 0 else 'uid ' + str(os.geteuid())}",
    ]


def main() -> int:
    """Run the benchmark and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="gradings per problem and backend (default 5)")
    parser.add_argument(
        "--problems", nargs="+", default=None, help="problem slugs (default: the seed problems present)"
    )
    parser.add_argument("--backends", nargs="+", default=["process", "bwrap", "docker"])
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "RESULTS-sandbox.md")
    args = parser.parse_args()

    settings = Settings()
    bank = ProblemBank(settings)
    slugs = args.problems or [s for s in SEED_PROBLEMS if s in {p.slug for p in bank.problems()}]
    problems = [bank.get(s) for s in slugs]
    problems = [p for p in problems if p.spec.kind is Kind.CODE]
    sandboxes = {}
    for name in args.backends:
        try:
            sandboxes[name] = choose_sandbox(settings, name)
        except SandboxUnavailable as exc:
            print(f"skipping {name}: {exc}", file=sys.stderr)
    if "process" not in sandboxes:
        print("the process backend is the baseline; it must be among --backends", file=sys.stderr)
        return 2

    load_before = os.getloadavg()
    started = datetime.now(UTC)
    times: dict[tuple[str, str], list[float]] = {}
    starts: dict[str, list[float]] = {name: [] for name in sandboxes}
    mismatches: list[str] = []
    names = list(sandboxes)
    for round_number in range(args.runs):
        # Rotate the order each round: no backend always runs first (cold caches) or last.
        order = names[round_number % len(names) :] + names[: round_number % len(names)]
        for name in order:
            t = time.monotonic()
            ok, _ = smoke_test(sandboxes[name], settings)
            if ok:
                starts[name].append(time.monotonic() - t)
        for problem in problems:
            source = problem.solution_path.read_bytes()
            outcomes = {}
            for name in order:
                t = time.monotonic()
                result = grade_submission(problem, source, settings, sandboxes[name], bank.hidden_paths())
                elapsed = time.monotonic() - t
                times.setdefault((problem.slug, name), []).append(elapsed)
                outcomes[name] = [(c.id, c.outcome.value, c.points) for c in result.checks]
                if result.score != result.max_score:
                    mismatches.append(
                        f"{problem.slug} on {name}: {result.score:g}/{result.max_score:g} in round {round_number + 1}"
                    )
                print(
                    f"round {round_number + 1} {problem.slug:24} {name:8} {elapsed:6.1f} s  {result.score:g}/{result.max_score:g}",
                    flush=True,
                )
            for name, outcome in outcomes.items():
                if outcome != outcomes["process"]:
                    mismatches.append(f"{problem.slug}: {name} differs from process in round {round_number + 1}")
    load_after = os.getloadavg()

    lines = [
        "# Sandbox overhead: per-submission wall time",
        "",
        f"Taken {started:%Y-%m-%d %H:%M} UTC with `python bench/sandbox_overhead.py --runs {args.runs}`: each problem's",
        "reference graded on every backend, backends interleaved round by round (order rotated).",
        "Figures are medians over the runs; overhead is against the process backend in the same rounds.",
        "",
        *machine(),
        f"- load average (1 min) {load_before[0]:.1f} before, {load_after[0]:.1f} after (a shared machine: figures are indicative)",
        "",
        "| problem | backend | median wall (s) | min–max (s) | overhead vs process |",
        "|---|---|---:|---:|---:|",
    ]
    for problem in problems:
        base = statistics.median(times[(problem.slug, "process")])
        for name in names:
            runs = times[(problem.slug, name)]
            median = statistics.median(runs)
            overhead = "—" if name == "process" else f"{median - base:+.1f} s ({(median / base - 1) * 100:+.0f}%)"
            lines.append(f"| {problem.slug} | {name} | {median:.1f} | {min(runs):.1f}–{max(runs):.1f} | {overhead} |")
    lines += ["", "Starting one bare candidate process (until it greets the host), paid again at every restart:", ""]
    lines += ["| backend | median start (s) |", "|---|---:|"]
    for name in names:
        if starts[name]:
            lines.append(f"| {name} | {statistics.median(starts[name]):.2f} |")
    lines += [
        "",
        "Results: "
        + (
            "every run got full marks, per-check results identical to the process backend."
            if not mismatches
            else "MISMATCHES: " + "; ".join(mismatches)
        ),
    ]
    args.output.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
