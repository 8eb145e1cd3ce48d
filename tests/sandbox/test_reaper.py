"""Leftover containers: whose owner is dead, and which are too old."""

from __future__ import annotations

import os
import socket
import subprocess
from datetime import datetime, timezone

from judge.sandbox import reaper


def test_own_token_is_alive():
    assert reaper.owner_alive(reaper.owner_token()) is True


def test_a_finished_process_is_dead():
    child = subprocess.Popen(["true"])
    token = reaper.owner_token(child.pid)
    child.wait()
    assert reaper.owner_alive(token) is False


def test_a_reused_pid_is_not_the_owner():
    host, boot, pid, ticks = reaper.owner_token().split("/")
    assert reaper.owner_alive(f"{host}/{boot}/{pid}/{int(ticks) + 1}") is False


def test_other_hosts_are_judged_by_age_only():
    _, boot, pid, ticks = reaper.owner_token().split("/")
    assert reaper.owner_alive(f"not-{socket.gethostname()}/{boot}/{pid}/{ticks}") is None


def test_a_reboot_ends_every_owner():
    host, _, pid, ticks = reaper.owner_token().split("/")
    assert reaper.owner_alive(f"{host}/another-boot/{pid}/{ticks}") is False


def test_garbage_labels_have_no_owner():
    assert reaper.owner_alive("") is False and reaper.owner_alive("a/b/c") is False


def test_created_at_parses_docker_ps_times():
    expected = datetime(2026, 11, 29, 14, 20, 1, tzinfo=timezone.utc).timestamp()
    assert reaper._created_at("2026-11-29 14:20:01 +0000 UTC") == expected
    assert reaper._created_at("2026-11-29 15:20:01 +0100 CET") == expected
    assert reaper._created_at("yesterday") is None


def test_leftovers_picks_dead_and_stale_containers(monkeypatch):
    me = reaper.owner_token()
    host, boot, _, _ = me.split("/")
    listing = "\n".join([
        f"alive\t{me}\t2099-01-01 00:00:00 +0000 UTC",
        f"dead\t{host}/{boot}/999999999/1\t2099-01-01 00:00:00 +0000 UTC",
        f"stale\t{me}\t2000-01-01 00:00:00 +0000 UTC",
        "elsewhere\tother-host/b/1/1\t2099-01-01 00:00:00 +0000 UTC",
    ])
    monkeypatch.setattr(reaper, "docker_call", lambda *a: subprocess.CompletedProcess(a, 0, listing, ""))
    assert reaper.leftovers(["docker"], stale_after_s=3600) == ["dead", "stale"]
    assert os.getpid() == int(me.split("/")[2])
