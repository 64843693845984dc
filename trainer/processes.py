"""Starting and stopping worker processes safely.

Never "fork": torch, manifold3d and VTK run threads, and a forked child inherits every lock
those threads held at that instant, with no thread left to release it (a CI run hung 24
minutes in a forked np-prepare worker inside ``Manifold.batch_boolean``). The forkserver
forks from a fresh single-threaded server process; spawn starts a new interpreter.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Iterable


def safe_context() -> BaseContext:
    """The multiprocessing context for every pool in this project: forkserver, else spawn."""
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    return mp.get_context(method)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie, dead but not reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def stop_processes(processes: Iterable, grace: float = 2.0) -> None:
    """Terminate ``processes`` (multiprocessing.Process) and return once none of them runs:
    SIGKILL for any still running after ``grace`` s. Checked by pid, not only through
    multiprocessing: a forkserver child's exit is reported by the server, which may itself have
    been killed (``kill`` of the whole process group) before the child has died."""
    procs = [p for p in processes if p is not None and p.pid is not None]
    for p in procs:
        try:
            p.terminate()
        except (OSError, ValueError):
            pass
    deadline = time.monotonic() + grace
    while any(pid_alive(p.pid) for p in procs) and time.monotonic() < deadline:
        time.sleep(0.02)
    kill_processes(p for p in procs if pid_alive(p.pid))
    deadline = time.monotonic() + 1.0
    while any(pid_alive(p.pid) for p in procs) and time.monotonic() < deadline:
        time.sleep(0.02)
    for p in procs:
        try:
            p.join(0.1)  # reap what multiprocessing can
        except (OSError, ValueError, AssertionError):
            pass


def kill_processes(processes: Iterable) -> None:
    """SIGKILL without waiting (the last resort when a user interrupts the clean-up)."""
    for p in processes:
        try:
            os.kill(p.pid, signal.SIGKILL)
        except (OSError, TypeError, AttributeError):
            pass


__all__ = ["kill_processes", "pid_alive", "safe_context", "stop_processes"]
