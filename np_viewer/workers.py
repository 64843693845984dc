"""Run callables on a QThreadPool and get results back on the GUI thread.

Results travel through one long-lived QObject that lives on the GUI thread (queued signals), keyed
by a job id; no per-job Qt object is shared between threads, so no object's lifetime depends on
which thread finishes with it first.
"""
from __future__ import annotations

import functools
import itertools
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QThreadPool, Signal

from .collection import collect_on_gui_thread, no_collection_while_working

Report = Callable[[str], None]


class JobRunner(QObject):
    """``submit(fn, on_done, on_error, on_progress)``: ``fn(report)`` runs on a pool thread;
    the callbacks run on the GUI thread, in order of completion."""

    _done = Signal(int, object)
    _failed = Signal(int, object, str)
    _progress = Signal(int, str)

    def __init__(self, max_threads: int = 1, parent: QObject | None = None) -> None:
        super().__init__(parent)
        collect_on_gui_thread()          # runners are made on the GUI thread
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Callable, Callable, Callable | None]] = {}
        self._done.connect(self._on_done)
        self._failed.connect(self._on_failed)
        self._progress.connect(self._on_progress)

    def submit(self, fn: Callable[[Report], Any], on_done: Callable[[Any], None],
               on_error: Callable[[BaseException, str], None],
               on_progress: Callable[[str], None] | None = None) -> int:
        job = next(self._ids)
        self._callbacks[job] = (on_done, on_error, on_progress)
        self.pool.start(functools.partial(self._run, job, fn))
        return job

    def run(self, fn: Callable[[Report], Any], on_done: Callable[[Any], None],
            on_error: Callable[[BaseException, str], None],
            on_progress: Callable[[str], None] | None = None, inline: bool = False) -> None:
        """``submit``; or, with ``inline``, call ``fn`` now on this thread with the same callback
        contract (headless screenshots and benchmarks, where nothing may be left running)."""
        if not inline:
            self.submit(fn, on_done, on_error, on_progress)
            return
        try:
            result = fn(on_progress or (lambda message: None))
        except BaseException as exc:  # noqa: BLE001 - same contract as the threaded path
            on_error(exc, traceback.format_exc())
        else:
            on_done(result)

    def _run(self, job: int, fn: Callable[[Report], Any]) -> None:   # pool thread
        try:
            with no_collection_while_working:
                result = fn(lambda message: self._progress.emit(job, message))
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the GUI as a message
            self._failed.emit(job, exc, traceback.format_exc())
        else:
            self._done.emit(job, result)

    def _on_done(self, job: int, result: Any) -> None:
        callbacks = self._callbacks.pop(job, None)
        if callbacks:
            callbacks[0](result)

    def _on_failed(self, job: int, exc: BaseException, tb: str) -> None:
        callbacks = self._callbacks.pop(job, None)
        if callbacks:
            callbacks[1](exc, tb)

    def _on_progress(self, job: int, message: str) -> None:
        callbacks = self._callbacks.get(job)
        if callbacks and callbacks[2]:
            callbacks[2](message)

    def wait(self, timeout_ms: int = 60000) -> bool:
        return self.pool.waitForDone(timeout_ms)

    def cancel_pending(self) -> None:
        """Drop queued jobs that have not started (their callbacks never run)."""
        self.pool.clear()
