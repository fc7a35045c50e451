"""Processes that die with their parent: nothing a run started outlives it, even a ``kill -9``.

Two means, for two kinds of child:

- :func:`die_with_parent`, called by a child of ours first thing (the crawl child): the kernel
  sends it SIGKILL when its parent dies (Linux ``PR_SET_PDEATHSIG``), which works even while it
  is stuck in C code. The kernel fires it when the *thread* that started the child ends, so the
  parent starts such a child from a thread that waits for it (as ``crawl_site`` does).
- :func:`start_reaper`, called by a long-lived command (``newswatch run``, ``serve``, ``ui``):
  a small watcher process, ``python -m spiders.lifeline``, that notes every descendant of the
  command twice a second and, when the command is gone, kills those still alive with their own
  descendants. It covers the processes others start for us: Prefect's temporary server and its
  workers, the flow-run processes of ``serve``. It learns the command died when the pipe the
  command holds closes, or when it is adopted by another parent.

Both are no-ops where the platform lacks what they need (``prctl``, ``/proc``).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

__all__ = ["PARENT_ENV", "die_with_parent", "start_reaper"]

#: The environment variable a parent sets to its pid for :func:`die_with_parent` to check.
PARENT_ENV = "NEWSWATCH_PARENT_PID"

_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15
_WATCH_INTERVAL_S = 0.5


def die_with_parent(parent_pid: int | None = None) -> None:
    """Have the kernel kill this process when its parent dies; exit now if it already has.

    ``parent_pid`` defaults to ``$NEWSWATCH_PARENT_PID``: a parent that died between starting
    this process and this call has already left it with another parent.
    """
    if parent_pid is None:
        value = os.environ.get(PARENT_ENV, "")
        parent_pid = int(value) if value.isdigit() else None
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent_pid is not None and os.getppid() != parent_pid:
        os.kill(os.getpid(), signal.SIGKILL)


def start_reaper() -> subprocess.Popen[bytes] | None:
    """Start the watcher that kills this process's descendants once it is gone (see above).

    The watcher holds the read end of a pipe whose write end only this process has. Started
    once per process; later calls return the same watcher.
    """
    global _reaper
    if _reaper is None and Path("/proc/self/stat").exists():
        _reaper = subprocess.Popen(
            [sys.executable, "-I", "-S", str(Path(__file__).resolve()), str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return _reaper


# Held for the life of the process: were it collected, its pipe would close and the watcher
# would take this process for dead.
_reaper: subprocess.Popen[bytes] | None = None


# -- the watcher process (this file run as a script: no imports from the project) -----------


def _processes() -> dict[int, tuple[int, str]]:
    """Every process: pid -> (parent pid, start time in clock ticks since boot)."""
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the command name: state, ppid, …, starttime is the 20th field after it.
        found[int(name)] = (int(fields[1]), fields[19].decode())
    return found


def _descendants(root: int, processes: dict[int, tuple[int, str]]) -> dict[int, str]:
    """pid -> start time of every descendant of ``root``."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    found, frontier = {}, [root]
    while frontier:
        for child in children.get(frontier.pop(), ()):
            if child not in found:
                found[child] = processes[child][1]
                frontier.append(child)
    return found


def _watch(parent: int) -> None:
    # Ctrl-C reaches the whole foreground group: the watcher stays until the command has ended.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    me = os.getpid()
    known: dict[int, str] = {}
    while os.getppid() == parent:
        known = _descendants(parent, _processes())
        known.pop(me, None)
        readable, _, _ = select.select([sys.stdin], [], [], _WATCH_INTERVAL_S)
        if readable and not os.read(sys.stdin.fileno(), 1):
            break  # the command closed its end: it exited, or was killed
    # Forget pids that ended (and may have been reused since), then take the survivors' own
    # children, which they keep however their parents went.
    processes = _processes()
    alive = {pid for pid, start in known.items() if processes.get(pid, (0, ""))[1] == start}
    for pid in list(alive):
        alive.update(_descendants(pid, processes))
    alive.discard(me)
    for pid in alive:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


if __name__ == "__main__":
    _watch(int(sys.argv[1]))
