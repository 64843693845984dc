"""The viewer's one job service: all model work (loading, predictions, thumbnails, gallery pages,
part swaps, fits) and all file writing runs through it, off the GUI thread.

- Lanes: each lane is a one-thread pool, so work of one kind runs in order while other kinds go on
  (a long fit does not hold up thumbnails).
- A job's function gets a :class:`JobContext`: ``report(message, fraction)`` for progress,
  ``partial(value)`` for intermediate results (a fit's current parts), ``cancelled`` to poll.
- ``Job.cancel()`` asks a job to stop; what it returns is still delivered (a cancelled fit keeps
  its best state). A job in a ``group`` supersedes the older jobs of that group: they are asked to
  stop and their results are dropped (never delivered), as are the jobs of an owner that closes.
- Callbacks (``on_done``, ``on_error``, ``on_progress``, ``on_partial``) run on the GUI thread.
  Results travel through this one long-lived QObject (queued signals keyed by job id); no per-job
  Qt object is shared between threads, and nothing Qt/VTK is created or destroyed on a pool thread
  (np_viewer/collection.py has the garbage-collection side of that rule).
- The service owns the caches of loaded shapes, predictions, segmentation labels and fits, keyed
  by (model weights, shape, mesh level), shared by every window that uses the service.
"""
from __future__ import annotations

import functools
import itertools
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Iterator, Sequence

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from trainer.inference import Prediction, Predictor, ShapeInput, load_shape

from .cache import LRUCache
from .collection import collect_on_gui_thread, no_collection_while_working


class JobCancelled(Exception):
    """Raised inside a job (``JobContext.check``) to stop it; it ends without a result."""


@dataclass(eq=False)
class Job:
    id: int
    lane: str
    title: str = ""
    owner: int | None = None
    group: Hashable | None = None
    cancellable: bool = False         # shown with a Cancel button (exports, fits)
    message: str = ""
    fraction: float | None = None     # 0..1 when known
    state: str = "queued"             # queued | running | done | failed | cancelled | dropped
    _stop: threading.Event = field(default_factory=threading.Event)
    dropped: bool = False

    def cancel(self) -> None:
        """Ask the job to stop (its function sees ``ctx.cancelled``)."""
        self._stop.set()

    @property
    def cancel_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled", "dropped")


class JobContext:
    """What a job's function is given: progress, intermediate results, cancellation."""

    def __init__(self, job: Job, report: Callable[[str, float | None], None],
                 partial: Callable[[Any], None]) -> None:
        self.job = job
        self._report, self._partial = report, partial

    def report(self, message: str = "", fraction: float | None = None) -> None:
        self._report(message, fraction)

    def partial(self, value: Any) -> None:
        self._partial(value)

    @property
    def cancelled(self) -> bool:
        return self.job.cancel_requested

    def check(self) -> None:
        if self.job.cancel_requested:
            raise JobCancelled()


@dataclass
class _Callbacks:
    on_done: Callable[[Any], None] | None
    on_error: Callable[[BaseException, str], None] | None
    on_progress: Callable[[str, float | None], None] | None
    on_partial: Callable[[Any], None] | None


class JobService(QObject):
    """Signals (GUI thread): ``started(job)``, ``progressed(job)``, ``finished(job)`` for every
    job; a window shows the cancellable ones with a progress bar and a Cancel button."""

    started = Signal(object)
    progressed = Signal(object)
    finished = Signal(object)

    _done = Signal(int, object)
    _failed = Signal(int, object, str)
    _progress = Signal(int, str, object)
    _partial_ready = Signal(int, object)
    _began = Signal(int)

    def __init__(self, synchronous: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        collect_on_gui_thread()          # services are made on the GUI thread
        self.synchronous = synchronous   # --screenshot and benchmarks: run jobs inline
        self._pools: dict[str, QThreadPool] = {}
        self._ids = itertools.count(1)
        self._jobs: dict[int, Job] = {}
        self._callbacks: dict[int, _Callbacks] = {}
        self.shapes = LRUCache(256)
        self.predictions = LRUCache(256)
        self.labels = LRUCache(32)       # holds refined meshes: keep it small
        self.fits = LRUCache(32)         # (model key, shape path) -> fitted model record
        self._done.connect(self._on_done)
        self._failed.connect(self._on_failed)
        self._progress.connect(self._on_progress)
        self._partial_ready.connect(self._on_partial)
        self._began.connect(self._on_began)

    # --- submitting ---------------------------------------------------------------------------
    def submit(self, fn: Callable[[JobContext], Any], on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException, str], None] | None = None,
               on_progress: Callable[[str, float | None], None] | None = None,
               on_partial: Callable[[Any], None] | None = None, lane: str = "model", title: str = "",
               owner: object | None = None, group: Hashable | None = None, supersede: bool = True,
               cancellable: bool = False, inline: bool | None = None) -> Job:
        """Run ``fn(ctx)`` on ``lane``'s thread. With ``group`` (and ``supersede``), the unfinished
        jobs of the same owner and group are dropped. ``inline`` (default: the service's
        ``synchronous``) runs it now on this thread with the same callback contract."""
        key = None if group is None else (id(owner) if owner is not None else None, group)
        if key is not None and supersede:
            self._drop(lambda j: j.group == key)
        job = Job(next(self._ids), lane, title, id(owner) if owner is not None else None, key, cancellable)
        self._jobs[job.id] = job
        self._callbacks[job.id] = _Callbacks(on_done, on_error, on_progress, on_partial)
        run_inline = self.synchronous if inline is None else inline
        if run_inline:
            self._run_inline(job, fn)
        else:
            self._pool(lane).start(functools.partial(self._run, job, fn))
        return job

    def steps(self, steps: Iterator[tuple[str, float | None]], on_done: Callable[[Any], None] | None = None,
              on_error: Callable[[BaseException, str], None] | None = None,
              on_progress: Callable[[str, float | None], None] | None = None, title: str = "",
              owner: object | None = None, cancellable: bool = True) -> Job:
        """A job that must run on the GUI thread (VTK rendering): ``steps`` is a generator that
        yields ``(message, fraction)`` after each short step and returns its result; one step runs
        per event-loop turn, so the window stays responsive, and cancel stops it between steps."""
        job = Job(next(self._ids), "gui", title, id(owner) if owner is not None else None, None, cancellable)
        self._jobs[job.id] = job
        self._callbacks[job.id] = _Callbacks(on_done, on_error, on_progress, None)
        self._on_began(job.id)
        self._step(job, steps)
        return job

    def _step(self, job: Job, steps: Iterator) -> None:
        if job.dropped or job.cancel_requested:
            steps.close()
            self._finish(job, "dropped" if job.dropped else "cancelled")
            return
        try:
            message, fraction = next(steps)
        except StopIteration as stop:
            self._on_done(job.id, stop.value)
            return
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the GUI as a message
            self._on_failed(job.id, exc, traceback.format_exc())
            return
        self._on_progress(job.id, message, fraction)
        if self.synchronous:
            self._step(job, steps)
        else:
            QTimer.singleShot(0, self, lambda: self._step(job, steps))

    # --- control ------------------------------------------------------------------------------
    def cancel(self, owner: object | None = None, group: Hashable | None = None) -> None:
        """Drop the unfinished jobs of ``owner`` (and of its ``group`` when given)."""
        oid = id(owner) if owner is not None else None
        key = None if group is None else (oid, group)
        self._drop(lambda j: (owner is None or j.owner == oid) and (key is None or j.group == key))

    def active(self, owner: object | None = None, lane: str | None = None,
               group: Hashable | None = None) -> list[Job]:
        oid = id(owner) if owner is not None else None
        key = None if group is None else (oid, group)
        return [j for j in self._jobs.values() if not j.finished and (owner is None or j.owner == oid)
                and (lane is None or j.lane == lane) and (key is None or j.group == key)]

    def wait(self, timeout_ms: int = 60000) -> bool:
        """Block until every lane's pool is idle (results still arrive through the event loop)."""
        return all(pool.waitForDone(timeout_ms) for pool in list(self._pools.values()))

    def shutdown(self, timeout_ms: int = 30000) -> None:
        self._drop(lambda j: True)
        self.wait(timeout_ms)

    def _drop(self, which: Callable[[Job], bool]) -> None:
        for job in list(self._jobs.values()):
            if not job.finished and which(job):
                job.dropped = True     # a queued one ends when its turn comes, unrun
                job.cancel()

    # --- model work with the shared caches (any thread) ---------------------------------------
    def shape(self, path: str, category: str = "") -> ShapeInput:
        shape = self.shapes.get(path)
        if shape is None:
            shape = load_shape(path, category=category)
            self.shapes.put(path, shape)
        return shape

    def prediction(self, predictor: Predictor, path: str, resolution: int, category: str = ""
                   ) -> tuple[Prediction, bool]:
        """(prediction, came from the cache) for the shape at ``path``."""
        key = (predictor.key, path, int(resolution))
        hit = self.predictions.get(key)
        if hit is not None:
            return hit, True
        prediction = predictor.predict(self.shape(path, category), int(resolution))
        self.predictions.put(key, prediction)
        return prediction, False

    def predictions_for(self, predictor: Predictor, shapes: Sequence[tuple[str, ShapeInput]], resolution: int,
                        predict_many: Callable[[Predictor, list[ShapeInput], int], list[Prediction]] | None = None
                        ) -> list[Prediction]:
        """Predictions for (path, shape) pairs, the missing ones in batches (``predict_many``,
        default ``Predictor.predict_many``), all cached."""
        keys = [(predictor.key, path, int(resolution)) for path, _ in shapes]
        out = [self.predictions.get(k) for k in keys]
        todo = [i for i, p in enumerate(out) if p is None]
        if todo:
            many = predict_many or (lambda p, s, r: p.predict_many(s, r))
            for i, p in zip(todo, many(predictor, [shapes[i][1] for i in todo], int(resolution))):
                self.predictions.put(keys[i], p)
                out[i] = p
        return out  # type: ignore[return-value]

    # --- plumbing -----------------------------------------------------------------------------
    def _pool(self, lane: str) -> QThreadPool:
        pool = self._pools.get(lane)
        if pool is None:
            pool = self._pools[lane] = QThreadPool(self)
            pool.setMaxThreadCount(1)
        return pool

    def _context(self, job: Job, inline: bool) -> JobContext:
        if inline:
            return JobContext(job, lambda m, f: self._on_progress(job.id, m, f),
                              lambda v: self._on_partial(job.id, v))
        return JobContext(job, lambda m, f: self._progress.emit(job.id, m, f),
                          lambda v: self._partial_ready.emit(job.id, v))

    def _run(self, job: Job, fn: Callable[[JobContext], Any]) -> None:   # pool thread
        if job.dropped:
            self._failed.emit(job.id, JobCancelled(), "")
            return
        self._began.emit(job.id)
        try:
            with no_collection_while_working:
                result = fn(self._context(job, inline=False))
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the GUI as a message
            self._failed.emit(job.id, exc, traceback.format_exc())
        else:
            self._done.emit(job.id, result)

    def _run_inline(self, job: Job, fn: Callable[[JobContext], Any]) -> None:
        self._on_began(job.id)
        try:
            result = fn(self._context(job, inline=True))
        except BaseException as exc:  # noqa: BLE001 - same contract as the threaded path
            self._on_failed(job.id, exc, traceback.format_exc())
        else:
            self._on_done(job.id, result)

    def _on_began(self, job_id: int) -> None:
        job = self._jobs.get(job_id)
        if job is not None and job.state == "queued":
            job.state = "running"
            self.started.emit(job)

    def _on_done(self, job_id: int, result: Any) -> None:
        job, cb = self._jobs.get(job_id), self._callbacks.get(job_id)
        if job is None or cb is None:
            return
        if job.dropped:
            self._finish(job, "dropped")
            return
        self._finish(job, "done", lambda: cb.on_done and cb.on_done(result))

    def _on_failed(self, job_id: int, exc: BaseException, tb: str) -> None:
        job, cb = self._jobs.get(job_id), self._callbacks.get(job_id)
        if job is None or cb is None:
            return
        if job.dropped or isinstance(exc, JobCancelled):
            self._finish(job, "dropped" if job.dropped else "cancelled")
            return
        self._finish(job, "failed", lambda: cb.on_error and cb.on_error(exc, tb))

    def _on_progress(self, job_id: int, message: str, fraction: float | None) -> None:
        job, cb = self._jobs.get(job_id), self._callbacks.get(job_id)
        if job is None or cb is None or job.dropped or job.finished:
            return
        job.message, job.fraction = message, fraction
        if cb.on_progress:
            cb.on_progress(message, fraction)
        self.progressed.emit(job)

    def _on_partial(self, job_id: int, value: Any) -> None:
        job, cb = self._jobs.get(job_id), self._callbacks.get(job_id)
        if job is None or cb is None or job.dropped or job.finished:
            return
        if cb.on_partial:
            cb.on_partial(value)

    def _finish(self, job: Job, state: str, deliver: Callable[[], Any] | None = None) -> None:
        """Deliver, then mark finished (so ``active()`` is empty only after the callback ran)."""
        try:
            if deliver is not None:
                deliver()
        finally:
            job.state = state
            self._jobs.pop(job.id, None)
            self._callbacks.pop(job.id, None)
            self.finished.emit(job)
