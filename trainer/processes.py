"""Starting and stopping worker processes safely.

Never "fork": torch, manifold3d and VTK run threads, and a forked child inherits every lock
those threads held at that instant, with no thread left to release it (a CI run hung 24
minutes in a forked np-prepare worker inside ``Manifold.batch_boolean``). The forkserver
forks from a fresh single-threaded server process; spawn starts a new interpreter.
"""
from __future__ import annotations

import multiprocessing as mp
from multiprocessing.context import BaseContext
from typing import Iterable


def safe_context() -> BaseContext:
    """The multiprocessing context for every pool in this project: forkserver, else spawn."""
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    return mp.get_context(method)


def stop_processes(processes: Iterable, grace: float = 2.0) -> None:
    """Terminate ``processes`` (multiprocessing.Process), then kill the ones still alive after ``grace`` s."""
    procs = [p for p in processes if p is not None]
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(grace)
    for p in procs:
        if p.is_alive():
            p.kill()
            p.join(1.0)


def kill_processes(processes: Iterable) -> None:
    """SIGKILL without waiting (the last resort when a user interrupts the clean-up)."""
    for p in processes:
        try:
            p.kill()
        except (OSError, ValueError, AttributeError):
            pass


__all__ = ["kill_processes", "safe_context", "stop_processes"]
