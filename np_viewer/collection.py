"""When Python's cyclic garbage collector may run in the viewer.

An automatic collection pass can start at any allocation, on any thread, even inside a Qt
object's destructor. Two failures were seen in CI:

- A pass on a pool thread destroyed Qt/VTK objects there (segfault).
- A pass started during ``QObject::~QObject``, through shiboken's override lookup, destroyed
  another QObject while Qt still held the first one's mutex (a deadlock that pytest's timeout
  cannot break).

So, once a GUI runs, automatic collection is off and a GUI-thread timer collects instead,
generation by generation on the usual thresholds, always from a plain event-loop turn. While
pool jobs run, collection is paused in any case (``no_collection_while_working``), for code
that uses the job service (np_viewer/jobs.py) without the timer.
"""
from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QCoreApplication, QObject, QTimer

INTERVAL_MS = 250


class _NoCollectionWhileWorking:
    """Automatic collection is off while any pool job runs (re-enabled after, unless the
    GUI-thread collector owns it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._resume = False

    def __enter__(self) -> None:
        with self._lock:
            if self._active == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._active += 1

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0 and self._resume and _collector is None:
                gc.enable()


no_collection_while_working = _NoCollectionWhileWorking()


class _GuiThreadCollector(QObject):
    def __init__(self, app: QCoreApplication) -> None:
        super().__init__(app)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.collect_due)
        self.timer.start(INTERVAL_MS)
        self.destroyed.connect(_released)

    def collect_due(self) -> None:
        """What the automatic collector would have done by now: generation g when its count
        is over its threshold (and the younger ones were collected)."""
        counts = gc.get_count()
        for generation in range(3):
            if counts[generation] <= self.thresholds[generation]:
                break
            gc.collect(generation)


_collector: _GuiThreadCollector | None = None


def _released() -> None:
    """The application (and the timer with it) is gone: automatic collection again."""
    global _collector
    _collector = None
    gc.enable()


def collect_on_gui_thread() -> None:
    """Idempotent; call on the GUI thread once a QApplication exists."""
    global _collector
    app = QCoreApplication.instance()
    if app is None or (_collector is not None and _collector.parent() is app):
        return
    _collector = _GuiThreadCollector(app)
