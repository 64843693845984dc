"""Ctrl-C and ``kill`` for the batch commands (np-prepare, np-infer, np-eval).

SIGTERM is turned into the same ``KeyboardInterrupt`` as Ctrl-C, so one ``except`` clause
stops the work, keeps what is complete and says how to resume. While that clean-up runs,
a further Ctrl-C or SIGTERM must still end the process (a user pressing Ctrl-C twice):
``abort_on_repeat`` makes it run a last-resort hook (kill the workers) and exit at once.
"""
from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from typing import Callable, Iterator

EXIT_INTERRUPTED = 130
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _raise_interrupt(signum, frame) -> None:  # noqa: ANN001 - signal handler signature
    raise KeyboardInterrupt


def _install(handler) -> dict:  # noqa: ANN001
    previous = {}
    for sig in SIGNALS:
        try:
            previous[sig] = signal.signal(sig, handler)
        except ValueError:  # not the main thread: signals stay as they are
            break
    return previous


def _restore(previous: dict) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Inside the block, SIGTERM (and SIGINT) raise ``KeyboardInterrupt`` in the main thread."""
    previous = _install(_raise_interrupt)
    try:
        yield
    finally:
        _restore(previous)


def _aborter(prog: str, last_resort: Callable[[], None], note: str):
    def abort(signum, frame) -> None:  # noqa: ANN001
        try:
            last_resort()
        finally:
            print(f"{prog}: aborted (second interrupt){'; ' + note if note else ''}.", file=sys.stderr, flush=True)
            os._exit(EXIT_INTERRUPTED)
    return abort


@contextmanager
def abort_on_repeat(prog: str, last_resort: Callable[[], None] = lambda: None,
                    note: str = "") -> Iterator[None]:
    """During clean-up after a first interrupt: a second one runs ``last_resort`` and exits 130."""
    previous = _install(_aborter(prog, last_resort, note))
    try:
        yield
    finally:
        _restore(previous)


def exit_interrupted() -> None:
    """End an interrupted command now, exit status 130: its clean-up is done, and the
    interpreter's own shutdown (slow with big libraries loaded, and deaf to a further Ctrl-C
    once it resets the handlers) would be one more place for a second Ctrl-C to land."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(EXIT_INTERRUPTED)


__all__ = ["EXIT_INTERRUPTED", "exit_interrupted", "abort_on_repeat", "sigterm_as_interrupt"]
