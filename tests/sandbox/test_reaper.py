"""Leftover containers: whose owner is dead, and which are too old."""

from __future__ import annotations

import os
import socket
import subprocess

from judge.sandbox import reaper
from judge.sandbox.engine import ContainerInfo


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


def test_dead_picks_dead_and_stale_containers():
    me = reaper.owner_token()
    host, boot, _, _ = me.split("/")
    now = 4_000_000_000.0
    listing = [
        ContainerInfo("alive", {reaper.OWNER_LABEL: me}, now - 60),
        ContainerInfo("dead", {reaper.OWNER_LABEL: f"{host}/{boot}/999999999/1"}, now - 60),
        ContainerInfo("stale", {reaper.OWNER_LABEL: me}, now - 7200),
        ContainerInfo("elsewhere", {reaper.OWNER_LABEL: "other-host/b/1/1"}, now - 60),
        ContainerInfo("unowned", {}, now - 60),
    ]
    assert reaper.dead(listing, stale_after_s=3600, now=now) == ["dead", "stale", "unowned"]
    assert os.getpid() == int(me.split("/")[2])
