"""The session: owns the Predictor, loads shapes and runs inference on worker threads, and writes
the results into the Document on the GUI thread. It reacts to the document (current shape,
resolution, segmentation) so that widgets only ever talk to the document."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from trainer.inference import (Prediction, Predictor, ShapeInput, ShapeLoadError, ShapeRef,
                               list_shapes, load_shape)
from trainer.palette import part_colour

from .cache import LRUCache
from .document import AssemblyInfo, Document, InputGeometry, Part, ShapeEntry
from .render.thumbnails import render_thumbnail
from .workers import JobRunner

THUMBNAIL_SIZE = 72
METRICS_DELAY_MS = 300
SEGMENT_EDGE = 0.02          # normalised units (the shape's longest side is 1)
SEGMENT_MAX_FACES = 200_000


class _Stale(Exception):
    """A request that a newer one superseded; dropped silently."""


@dataclass
class _Result:
    entry: ShapeEntry
    shape: ShapeInput
    prediction: Prediction | None
    labels: tuple   # (owner per input face/point, refined mesh, owner per refined face), or Nones
    seconds: float
    cached: bool


def segmentation_mesh(shape: ShapeInput, max_edge: float = SEGMENT_EDGE,
                      max_faces: int = SEGMENT_MAX_FACES) -> tuple[np.ndarray, np.ndarray] | None:
    """The input mesh with long edges split (up to ``max_faces``), so that colouring each face by
    its owning primitive draws part borders at the resolution of the parts, not of the input's
    triangles. None for point clouds."""
    if shape.vertices is None or shape.faces is None or not len(shape.faces):
        return None
    v, f = shape.vertices, shape.faces
    if len(f) < max_faces:
        import trimesh.remesh
        rv, rf = trimesh.remesh.subdivide_to_size(v, f, max_edge=max_edge, max_iter=8)
        if len(rf) <= max_faces:
            v, f = rv, rf
    return np.asarray(v, np.float32), np.asarray(f, np.int64)


def user_message(exc: BaseException) -> str:
    """One readable sentence for an exception a user can cause."""
    if isinstance(exc, MemoryError) or "out of memory" in str(exc).lower():
        return "Out of memory while running the model; try a lower mesh resolution or the CPU device."
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


class Session(QObject):
    """Signals: ``error(title, message)`` for dialogs; ``config_needed(path)`` when a published
    state dict has no YAML beside it; ``scene_ready()`` after a prediction lands in the document;
    ``idle()`` when no inference work is pending."""

    error = Signal(str, str)
    config_needed = Signal(str)
    scene_ready = Signal()
    model_loaded = Signal()
    idle = Signal()

    def __init__(self, document: Document, device: str = "auto", synchronous: bool = False,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = document
        self.device = device
        self.synchronous = synchronous     # --screenshot and benchmarks: run jobs inline
        self.predictor: Predictor | None = None
        self._jobs = JobRunner(1, self)          # model work, one at a time, in order
        self._thumbs = JobRunner(1, self)        # thumbnails, on their own thread
        self._extras = JobRunner(1, self)        # evaluation metrics of the shape on screen
        self._shapes = LRUCache(64)
        self._predictions = LRUCache(256)
        self._labels = LRUCache(32)         # holds refined meshes: keep it small
        self._generation = 0
        self._thumb_generation = 0
        self._pending = 0
        self._last_result: _Result | None = None
        document.library.current_changed.connect(self._on_current_changed)
        document.view.changed.connect(self._on_view_changed)

    # --- public actions -----------------------------------------------------------------------
    def open_checkpoint(self, path: str | Path, config: str | Path | None = None) -> None:
        path = str(path)
        self._set_busy(f"Loading model {Path(path).name}…")

        def job(report: Callable[[str], None]) -> Predictor:
            return Predictor(path, config=config, device=self.device)

        def done(predictor: Predictor) -> None:
            self.predictor = predictor
            self.doc.status.update(model_summary=predictor.summary(), device=str(predictor.device),
                                   device_note=predictor.device_note)
            self.model_loaded.emit()
            self._done_one(f"Model {predictor.name} on {predictor.device}")
            if predictor.device_note:
                self.doc.status.message = predictor.device_note
            self.refresh()

        def failed(exc: BaseException, tb: str) -> None:
            msg = user_message(exc)
            if config is None and "needs its YAML config" in msg:
                self._done_one("")
                self.config_needed.emit(path)
                return
            self._fail("Cannot open model", msg)

        self._submit(job, done, failed)

    def open_paths(self, paths: Sequence[str | Path]) -> None:
        """Replace the library with the shapes behind ``paths``; nothing changes if none can be read."""
        paths = [str(p) for p in paths]
        self._set_busy(f"Opening {', '.join(Path(p).name for p in paths)}…")

        def job(report: Callable[[str], None]) -> tuple[list[ShapeRef], ShapeInput]:
            refs: list[ShapeRef] = []
            for p in paths:
                refs.extend(list_shapes(p))
            first = load_shape(refs[0].path, category=refs[0].category)   # validates before we commit
            return refs, first

        def done(result: tuple[list[ShapeRef], ShapeInput]) -> None:
            refs, first = result
            self._shapes.put(refs[0].path, first)
            self._done_one(f"{len(refs)} shape{'s' if len(refs) != 1 else ''}")
            entries = [ShapeEntry(r.path, r.name, r.category) for r in refs]
            self.doc.library.set_entries(entries, 0)
            self.request_thumbnails()

        self._submit(job, done, lambda e, tb: self._fail("Cannot open shapes", user_message(e)))

    def refresh(self) -> None:
        """Predict (or fetch from the cache) the current shape at the current resolution."""
        entry = self.doc.library.current_entry
        if entry is not None:
            self._request_shape(entry)

    def wait(self, timeout_ms: int = 60000) -> bool:
        """Block until queued work is done (tests, screenshots). Results are delivered through
        queued signals, so callers also need to process events (``qtbot.waitUntil``)."""
        return self._jobs.wait(timeout_ms)

    def wait_thumbnails(self, timeout_ms: int = 60000) -> bool:
        return self._thumbs.wait(timeout_ms)

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def shutdown(self) -> None:
        self._generation += 1
        self._thumb_generation += 1
        for runner in (self._thumbs, self._extras, self._jobs):
            runner.cancel_pending()
        for runner in (self._thumbs, self._extras, self._jobs):
            runner.wait(30000)

    # --- shape requests -----------------------------------------------------------------------
    def _on_current_changed(self, index: int) -> None:
        self.refresh()

    def _on_view_changed(self, field: str, value: Any) -> None:
        if field == "resolution":
            self.refresh()
        elif field == "segmentation" and value and self._last_result is not None:
            if self.doc.assembly.input is not None and self.doc.assembly.input.labels is None:
                self._request_labels()

    def _request_labels(self) -> None:
        """Owning primitive per input face/point for the scene on screen (parts stay as they are)."""
        r, predictor, generation = self._last_result, self.predictor, self._generation
        if r is None or r.prediction is None or predictor is None:
            return
        self._set_busy(f"Segmenting {r.entry.name}…")
        key = (predictor.key, r.entry.path, r.prediction.resolution)

        def job(report: Callable[[str], None]) -> tuple:
            return self._labels_for(predictor, r.prediction, r.shape, key)

        def done(result: tuple) -> None:
            if generation == self._generation:
                self.doc.assembly.set_labels(*result)
            self._done_one(f"{r.entry.name}: segmented by owning primitive")

        self._submit(job, done, lambda e, tb: self._fail("Cannot segment", user_message(e)))

    def _request_shape(self, entry: ShapeEntry) -> None:
        self._generation += 1
        generation = self._generation
        predictor = self.predictor
        resolution = int(self.doc.view.resolution)
        want_labels = bool(self.doc.view.segmentation)
        self._set_busy(f"Predicting {entry.name}…" if predictor else f"Loading {entry.name}…")

        def job(report: Callable[[str], None]) -> _Result:
            if generation != self._generation:
                raise _Stale()
            t0 = time.perf_counter()
            shape = self._shapes.get(entry.path)
            if shape is None:
                report(f"Loading {entry.name}…")
                shape = load_shape(entry.path, category=entry.category)
                self._shapes.put(entry.path, shape)
            prediction, labels, cached = None, (None, None, None), True
            if predictor is not None:
                key = (predictor.key, entry.path, resolution)
                prediction = self._predictions.get(key)
                if prediction is None:
                    cached = False
                    report(f"Running the model on {entry.name} ({predictor.device})…")
                    prediction = predictor.predict(shape, resolution)
                    self._predictions.put(key, prediction)
                if want_labels:
                    labels = self._labels_for(predictor, prediction, shape, key)
            return _Result(entry, shape, prediction, labels, time.perf_counter() - t0, cached)

        def done(result: _Result) -> None:
            if generation != self._generation:
                self._done_one("")
                return
            self._commit(result)
            self._done_one(self._result_message(result))
            self.scene_ready.emit()
            if result.prediction is not None and result.shape.ground_truth is not None:
                if self.synchronous:
                    self._request_metrics(result, generation)
                else:   # only for a shape the user stays on: stepping through shapes stays fast
                    QTimer.singleShot(METRICS_DELAY_MS, lambda: self._request_metrics(result, generation))

        def failed(exc: BaseException, tb: str) -> None:
            if isinstance(exc, _Stale):
                self._done_one("")
                return
            self._fail(f"Cannot show {entry.name}", user_message(exc))

        self._submit(job, done, failed, on_progress=self._progress)

    def _labels_for(self, predictor: Predictor, prediction: Prediction, shape: ShapeInput,
                    key: tuple) -> tuple:
        """(owner per input face, or per point for point clouds; the refined input mesh; owner per
        refined face). Owners are the argmin of phi at face centroids."""
        cached = self._labels.get(key)
        if cached is None:
            mesh = segmentation_mesh(shape)
            if mesh is None:
                cached = (predictor.owners(prediction, shape.points), None, None)
            else:
                own = predictor.owners(prediction, shape.vertices[shape.faces].mean(axis=1))
                cached = (own, mesh, predictor.owners(prediction, mesh[0][mesh[1]].mean(axis=1)))
            self._labels.put(key, cached)
        return cached

    def _commit(self, r: _Result) -> None:
        parts = []
        if r.prediction is not None:
            parts = [Part(k, v, f, part_colour(k), name=f"part {k}")
                     for k, (v, f) in enumerate(r.prediction.meshes)]
        geo = InputGeometry(points=r.shape.points, vertices=r.shape.vertices, faces=r.shape.faces,
                            labels=r.labels[0], segment_mesh=r.labels[1], segment_labels=r.labels[2])
        info = AssemblyInfo(shape_name=r.shape.name, category=r.shape.category, shape_path=r.entry.path,
                            model_name=self.predictor.name if self.predictor else "",
                            resolution=r.prediction.resolution if r.prediction else 0,
                            extra={"model_key": self.predictor.key} if self.predictor else {})
        self._last_result = r
        self.doc.assembly.set_scene(parts, geo, info)
        if r.prediction is not None:
            self.doc.status.update(inference_ms=None if r.cached else 1000.0 * r.prediction.timing["total"],
                                   metrics={})
        else:
            self.doc.status.update(inference_ms=None, metrics={})

    def _result_message(self, r: _Result) -> str:
        if r.prediction is None:
            return f"{r.entry.name}: no model loaded (File > Open model…)"
        how = "cached" if r.cached else f"{1000 * r.prediction.timing['total']:.0f} ms on {r.prediction.device}"
        return f"{r.entry.name}: {len(r.prediction.meshes)} parts ({how})"

    def _request_metrics(self, r: _Result, generation: int) -> None:
        if generation != self._generation:
            return
        predictor, prediction, shape = self.predictor, r.prediction, r.shape

        def job(report: Callable[[str], None]) -> dict:
            if generation != self._generation or predictor is None or prediction is None:
                raise _Stale()
            from .metrics import shape_metrics
            return shape_metrics(predictor, prediction, shape)

        def done(metrics: dict) -> None:
            if generation == self._generation:
                self.doc.status.metrics = metrics

        def failed(exc: BaseException, tb: str) -> None:
            if not isinstance(exc, _Stale):
                self.doc.status.metrics = {"unavailable": user_message(exc)}

        # metrics are extra information: their own thread, not pending work, never a dialog
        self._run(job, done, failed, self._extras)

    # --- thumbnails ---------------------------------------------------------------------------
    def request_thumbnails(self) -> None:
        self._thumb_generation += 1
        generation = self._thumb_generation
        self._thumbs.cancel_pending()
        for entry in self.doc.library.entries:
            def job(report: Callable[[str], None], entry: ShapeEntry = entry) -> tuple[str, np.ndarray]:
                if generation != self._thumb_generation:
                    raise _Stale()
                shape = self._shapes.get(entry.path)
                if shape is None:
                    shape = load_shape(entry.path, category=entry.category)
                    self._shapes.put(entry.path, shape)
                return entry.path, render_thumbnail(shape.points, shape.normals, THUMBNAIL_SIZE)

            def done(result: tuple[str, np.ndarray]) -> None:
                if generation == self._thumb_generation:
                    self.doc.library.set_thumbnail(*result)

            self._run(job, done, lambda e, tb: None, self._thumbs, synchronous=False)

    # --- plumbing -----------------------------------------------------------------------------
    def _submit(self, fn: Callable, on_done: Callable, on_error: Callable,
                on_progress: Callable[[str], None] | None = None) -> None:
        self._pending += 1
        self._run(fn, on_done, on_error, self._jobs, on_progress=on_progress)

    def _run(self, fn: Callable, on_done: Callable, on_error: Callable, runner: JobRunner,
             on_progress: Callable[[str], None] | None = None, synchronous: bool | None = None) -> None:
        inline = self.synchronous if synchronous is None else synchronous
        runner.run(fn, on_done, on_error, on_progress, inline=inline)

    def _set_busy(self, message: str) -> None:
        self.doc.status.update(busy=True, message=message)

    def _progress(self, message: str) -> None:
        self.doc.status.message = message

    def _done_one(self, message: str) -> None:
        self._pending = max(0, self._pending - 1)
        if self._pending == 0:
            self.doc.status.busy = False
        if message:
            self.doc.status.message = message
        if self._pending == 0:
            self.idle.emit()

    def _fail(self, title: str, message: str) -> None:
        self.doc.status.error = message
        self._done_one(f"{title}: {message}")
        self.error.emit(title, message)
