"""Processes that die with their parent, even when it is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.faults.servers import alive, kill9, wait_until

ROOT = str(Path(__file__).resolve().parents[2])

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux: /proc")


def start_parent(code: str) -> tuple[subprocess.Popen[str], list[int]]:
    """A Python process running ``code``, which prints the pids it started, one a line, then
    ``ready``."""
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": ROOT})
    pids = []
    for line in parent.stdout:
        if line.strip() == "ready":
            return parent, pids
        pids.append(int(line))
    raise AssertionError(f"the parent exited early with status {parent.wait()}")


SLEEPER = "import sys; from spiders.lifeline import die_with_parent; die_with_parent(int(sys.argv[1])); import time; time.sleep(300)"  # noqa: E501


def test_a_child_that_asks_dies_with_its_parent_killed_outright():
    parent, (child,) = start_parent(f"""
        import os, subprocess, sys, threading, time
        child = subprocess.Popen([sys.executable, "-c", {SLEEPER!r}, str(os.getpid())])
        time.sleep(1)  # past die_with_parent
        print(child.pid, flush=True)
        print("ready", flush=True)
        child.wait()
    """)
    assert alive(child)
    kill9(parent.pid)
    parent.wait()
    wait_until(lambda: not alive(child), timeout=5, what="the child to die with its parent")


def test_a_child_whose_parent_is_already_gone_ends_at_once():
    child = subprocess.run([sys.executable, "-c", SLEEPER, "1"], cwd=ROOT, timeout=60,
                           env={**os.environ, "PYTHONPATH": ROOT})
    assert child.returncode == -signal.SIGKILL


def test_the_reaper_kills_what_a_killed_process_started_even_in_another_session():
    # The grandchild has a session of its own and no wish to die: only the reaper ends it.
    parent, (reaper, grandchild, great) = start_parent("""
        import subprocess, time
        from spiders.lifeline import start_reaper
        reaper = start_reaper()
        shell = subprocess.Popen(["sh", "-c", "sleep 300 & echo $!; wait"],
                                 stdout=subprocess.PIPE, text=True, start_new_session=True)
        great = shell.stdout.readline().strip()
        time.sleep(1.5)  # the reaper has looked at least once
        print(reaper.pid, shell.pid, great, sep="\\n", flush=True)
        print("ready", flush=True)
        time.sleep(300)
    """)
    assert alive(reaper) and alive(grandchild) and alive(great)
    kill9(parent.pid)
    parent.wait()
    wait_until(lambda: not (alive(grandchild) or alive(great) or alive(reaper)), timeout=5,
               what="the reaper to end the orphans, then itself")


def test_the_reaper_ends_leftovers_when_its_process_exits_normally():
    parent, (reaper, straggler) = start_parent("""
        import subprocess, time
        from spiders.lifeline import start_reaper
        reaper = start_reaper()
        straggler = subprocess.Popen(["sleep", "300"], start_new_session=True)
        time.sleep(1.5)
        print(reaper.pid, straggler.pid, sep="\\n", flush=True)
        print("ready", flush=True)
    """)
    assert parent.wait(timeout=30) == 0
    wait_until(lambda: not (alive(straggler) or alive(reaper)), timeout=5,
               what="the reaper to end the straggler")
