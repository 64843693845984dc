"""The session: owns the Predictor, loads shapes and runs inference as jobs of the job service
(np_viewer/jobs.py, which owns the caches), and writes the results into the Document on the GUI
thread. It reacts to the document (current shape,
resolution, segmentation) so that widgets only ever talk to the document."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from trainer.inference import (ConfigNeeded, Prediction, Predictor, ShapeInput, ShapeLoadError, ShapeRef,
                               list_shapes, load_shape)
from trainer.palette import part_colour

from .document import AssemblyInfo, Document, InputGeometry, Part
from .jobs import Job, JobContext, JobService
from .render.thumbnails import render_thumbnail

THUMBNAIL_SIZE = 72
METRICS_DELAY_MS = 300
SEGMENT_EDGE = 0.02          # normalised units (the shape's longest side is 1)
SEGMENT_MAX_FACES = 200_000


@dataclass
class _Result:
    entry: ShapeRef
    shape: ShapeInput
    prediction: Prediction | None
    labels: tuple   # (owner per input face/point, refined mesh, owner per refined face), or Nones
    seconds: float
    cached: bool
    predictor: Predictor | None = None   # the model that predicted it
    choice: Any = None                   # the bundled.Choice that picked that model (no checkpoint given)


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


# Chamfer-L1 between the predicted union's surface and the input's surface samples above which a
# shape counts as far from what the model knows (calibrated in benchmarks/far_from_model.py: the
# bundled default model on its own sample shapes vs on the third-party meshes in ../shared/data).
FAR_FROM_MODEL = 0.05
DISTANCE_KEY = "Distance to input (Chamfer-L1)"
FLAT_KEY, FLAT_NOTE = "volume metrics", "unavailable: the shape is flat (no inside)"


def input_distance(predictor: Predictor, prediction: Prediction, shape: ShapeInput) -> float | None:
    """Chamfer-L1 between the union of the predicted parts and the input's surface samples; None
    when the parts have no surface to sample."""
    try:
        return predictor.union_distance(prediction, shape.points)
    except ValueError:
        return None


def user_message(exc: BaseException) -> str:
    """One readable sentence for an exception a user can cause."""
    if isinstance(exc, MemoryError) or "out of memory" in str(exc).lower():
        return "Out of memory while running the model; try a lower mesh resolution or the CPU device."
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


class Session(QObject):
    """Signals: ``error(title, message)`` for dialogs; ``config_needed(path)`` when a published
    state dict has no YAML beside it; ``model_loaded()`` when ``predictor`` changes (a model opened,
    or the bundled models picked another one for the shape); ``scene_ready()`` after a prediction
    lands in the document; ``idle()`` when no inference work is pending; ``distance_ready(value)`` with the Chamfer-L1
    between the parts on screen and the input (``far_from_model`` tells whether it is too far)."""

    error = Signal(str, str)
    config_needed = Signal(str)
    scene_ready = Signal()
    model_loaded = Signal()
    idle = Signal()
    distance_ready = Signal(float)

    def __init__(self, document: Document, device: str = "auto", synchronous: bool = False,
                 parent: QObject | None = None, jobs: JobService | None = None) -> None:
        super().__init__(parent)
        self.doc = document
        self.device = device
        self.synchronous = synchronous     # --screenshot and benchmarks: run jobs inline
        self.predictor: Predictor | None = None
        self.jobs = jobs if jobs is not None else JobService(synchronous, self)
        self._last_result: _Result | None = None
        self._scene_model: tuple[Predictor, Prediction] | None = None   # a fit replaced the parts
        self._bundled: Any = None          # bundled.BundledModels: each shape picks its model
        self._closed = False
        self.jobs.finished.connect(self._on_job_finished)
        document.library.current_changed.connect(self._on_current_changed)
        document.view.changed.connect(self._on_view_changed)

    # --- public actions -----------------------------------------------------------------------
    def open_checkpoint(self, path: str | Path, config: str | Path | None = None) -> None:
        path = str(path)
        self._set_busy(f"Loading model {Path(path).name}…")

        def job(ctx: JobContext) -> Predictor:
            return Predictor(path, config=config, device=self.device)

        def done(predictor: Predictor) -> None:
            self._bundled = None           # a model the user chose overrides the bundled ones
            self._use_predictor(predictor)
            self.doc.status.message = f"Model {predictor.name} on {predictor.device}"
            if predictor.device_note:
                self.doc.status.message = predictor.device_note
            self.refresh()

        def failed(exc: BaseException, tb: str) -> None:
            if config is None and isinstance(exc, ConfigNeeded):
                self.config_needed.emit(path)
                return
            self._fail("Cannot open model", user_message(exc))

        self._submit(job, done, failed)

    def open_bundled_models(self, folder: str | Path | None = None) -> None:
        """No checkpoint: show each shape under the bundled model of its category, or the bundled
        model whose prediction is closest to it (``trainer.inference.bundled``)."""
        from trainer.inference.bundled import BundledModels, NoBundledModels
        try:
            self._bundled = BundledModels(folder, device=self.device)
        except NoBundledModels as exc:
            self._fail("No bundled models", str(exc))
            return
        self.refresh()

    def _use_predictor(self, predictor: Predictor, choice: Any = None) -> None:
        """``predictor`` is the session's model now (``choice``: why, when the bundled models chose it)."""
        changed, self.predictor = predictor is not self.predictor, predictor
        summary = predictor.summary()
        if choice is not None:
            summary["chosen"] = choice.describe()
        self.doc.status.update(model_summary=summary, device=str(predictor.device),
                               device_note=predictor.device_note)
        if changed:
            self.model_loaded.emit()

    def open_paths(self, paths: Sequence[str | Path]) -> None:
        """Replace the library with the shapes behind ``paths``; nothing changes if none can be read."""
        paths = [str(p) for p in paths]
        self._set_busy(f"Opening {', '.join(Path(p).name for p in paths)}…")

        def job(ctx: JobContext) -> tuple[list[ShapeRef], ShapeInput]:
            refs: list[ShapeRef] = []
            for p in paths:
                refs.extend(list_shapes(p))
            first = load_shape(refs[0].path, category=refs[0].category)   # validates before we commit
            return refs, first

        def done(result: tuple[list[ShapeRef], ShapeInput]) -> None:
            refs, first = result
            self.jobs.shapes.put(refs[0].path, first)
            self.doc.status.message = f"{len(refs)} shape{'s' if len(refs) != 1 else ''}"
            entries = list(refs)
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
        return self.jobs.wait(timeout_ms)

    def wait_thumbnails(self, timeout_ms: int = 60000) -> bool:
        return self.jobs.wait(timeout_ms)

    @property
    def busy(self) -> bool:
        return bool(self.jobs.active(owner=self, lane="model"))

    @property
    def current_shape(self) -> ShapeInput | None:
        """The input of the scene on screen (None before the first scene)."""
        return self._last_result.shape if self._last_result is not None else None

    @property
    def current_entry(self) -> ShapeRef | None:
        return self._last_result.entry if self._last_result is not None else None

    @property
    def current_prediction(self) -> Prediction | None:
        return self._last_result.prediction if self._last_result is not None else None

    @property
    def scene_model(self) -> tuple[Predictor, Prediction] | None:
        """(predictor, prediction) of the parts on screen when they come from a fit, else None."""
        return self._scene_model

    def shutdown(self) -> None:
        self._closed = True         # nothing new starts (a delayed metrics request, ...)
        self.jobs.cancel(owner=self)
        self.jobs.wait(30000)

    def use_scene_model(self, predictor: Predictor | None, prediction: Prediction | None,
                        metrics: dict | None = None) -> None:
        """The parts on screen now come from ``predictor``'s ``prediction`` (a fit), or again from
        the session's model (None): segmentation and metrics follow them."""
        self._scene_model = (predictor, prediction) if predictor is not None and prediction is not None else None
        if metrics:
            self.doc.status.metrics = metrics
        elif self._scene_model is None and self._last_result is not None:
            self._request_metrics(self._last_result)      # the prediction's own numbers again
        if self.doc.assembly.input is not None:
            self.doc.assembly.set_labels(None)
            if self.doc.view.segmentation:
                self._request_labels()

    # --- shape requests -----------------------------------------------------------------------
    def _on_current_changed(self, index: int) -> None:
        self.refresh()

    def _on_view_changed(self, field: str, value: Any) -> None:
        if field == "resolution":
            self.refresh()
        elif field == "segmentation" and value and self._last_result is not None:
            if self.doc.assembly.input is not None and self.doc.assembly.input.labels is None:
                self._request_labels()

    def _scene_source(self) -> tuple[Predictor | None, Prediction | None, str]:
        """(predictor, prediction, cache key prefix) of the parts on screen."""
        if self._scene_model is not None:
            predictor, prediction = self._scene_model
            return predictor, prediction, f"fit-{id(prediction)}"
        r = self._last_result
        return self.predictor, (r.prediction if r else None), (self.predictor.key if self.predictor else "")

    def _request_labels(self) -> None:
        """Owning primitive per input face/point for the scene on screen (parts stay as they are)."""
        r = self._last_result
        predictor, prediction, prefix = self._scene_source()
        if r is None or prediction is None or predictor is None:
            return
        self._set_busy(f"Segmenting {r.entry.name}…")
        key = (prefix, r.entry.path, prediction.resolution)

        def job(ctx: JobContext) -> tuple:
            return self._labels_for(predictor, prediction, r.shape, key)

        def done(result: tuple) -> None:
            self.doc.assembly.set_labels(*result)
            self.doc.status.message = f"{r.entry.name}: segmented by owning primitive"

        self._submit(job, done, lambda e, tb: self._fail("Cannot segment", user_message(e)), group="labels")

    def _request_shape(self, entry: ShapeRef) -> None:
        predictor, bundled = self.predictor, self._bundled
        resolution = int(self.doc.view.resolution)
        want_labels = bool(self.doc.view.segmentation)
        self._set_busy(f"Predicting {entry.name}…" if predictor or bundled else f"Loading {entry.name}…")
        self.jobs.cancel(owner=self, group="labels")
        self.jobs.cancel(owner=self, group="metrics")

        def job(ctx: JobContext) -> _Result:
            ctx.check()
            t0 = time.perf_counter()
            if self.jobs.shapes.get(entry.path) is None:
                ctx.report(f"Loading {entry.name}…")
            shape = self.jobs.shape(entry.path, entry.category)
            ctx.check()
            prediction, labels, cached, choice = None, (None, None, None), True, None
            model = predictor
            if bundled is not None:
                ctx.report(f"Choosing a bundled model for {entry.name}…")
                model, choice = bundled.for_shape(shape)
            if model is not None:
                ctx.report(f"Running the model on {entry.name} ({model.device})…")
                prediction, cached = self.jobs.prediction(model, entry.path, resolution, entry.category)
                if want_labels:
                    labels = self._labels_for(model, prediction, shape, (model.key, entry.path, resolution))
            return _Result(entry, shape, prediction, labels, time.perf_counter() - t0, cached, model, choice)

        def done(result: _Result) -> None:
            if result.choice is not None:
                self._use_predictor(result.predictor, result.choice)
            self._commit(result)
            self.doc.status.message = self._result_message(result)
            self.scene_ready.emit()
            if result.prediction is not None:
                if self.synchronous:
                    self._request_metrics(result)
                else:   # only for a shape the user stays on: stepping through shapes stays fast
                    QTimer.singleShot(METRICS_DELAY_MS, lambda: self._request_metrics(result))

        self._submit(job, done, lambda exc, tb: self._fail(f"Cannot show {entry.name}", user_message(exc)),
                     on_progress=self._progress, group="scene")

    def _labels_for(self, predictor: Predictor, prediction: Prediction, shape: ShapeInput,
                    key: tuple) -> tuple:
        """(owner per input face, or per point for point clouds; the refined input mesh; owner per
        refined face). Owners are the argmin of phi at face centroids."""
        cached = self.jobs.labels.get(key)
        if cached is None:
            mesh = segmentation_mesh(shape)
            if mesh is None:
                cached = (predictor.owners(prediction, shape.points), None, None)
            else:
                own = predictor.owners(prediction, shape.vertices[shape.faces].mean(axis=1))
                cached = (own, mesh, predictor.owners(prediction, mesh[0][mesh[1]].mean(axis=1)))
            self.jobs.labels.put(key, cached)
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
        self._scene_model = None
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
        chosen = f" · {r.choice.describe()}" if r.choice is not None else ""
        return f"{r.entry.name}: {len(r.prediction.meshes)} parts ({how}){chosen}"

    def _request_metrics(self, r: _Result) -> None:
        """Evaluation scores (shapes with ground truth) and the distance of the parts to the input
        (every shape: it tells when a shape is far from what the model knows)."""
        if self._closed or r is not self._last_result or r.prediction is None or self.predictor is None:
            return
        predictor, prediction, shape = self.predictor, r.prediction, r.shape

        def job(ctx: JobContext) -> tuple[dict, float | None]:
            from .metrics import shape_metrics
            metrics = shape_metrics(predictor, prediction, shape) if shape.ground_truth is not None else {}
            if shape.flat:   # decomposed from its surface points; it has no inside to score
                metrics = {FLAT_KEY: FLAT_NOTE}
            ctx.check()
            return metrics, input_distance(predictor, prediction, shape)

        def done(result: tuple[dict, float | None]) -> None:
            metrics, distance = result
            if self._scene_model is not None:
                return       # a fit already replaced the parts (it shows its own numbers)
            if distance is not None:
                metrics = {**metrics, DISTANCE_KEY: distance}
            self.doc.status.metrics = metrics
            if distance is not None:
                self.distance_ready.emit(distance)

        def failed(exc: BaseException, tb: str) -> None:
            self.doc.status.metrics = {"unavailable": user_message(exc)}

        # metrics are extra information: their own lane, not pending work, never a dialog
        self.jobs.submit(job, done, failed, lane="extras", owner=self, group="metrics")

    # --- thumbnails ---------------------------------------------------------------------------
    def request_thumbnails(self) -> None:
        self.jobs.cancel(owner=self, group="thumbnails")
        if self._closed:
            return
        for entry in self.doc.library.entries:
            def job(ctx: JobContext, entry: ShapeRef = entry) -> tuple[str, np.ndarray]:
                shape = self.jobs.shape(entry.path, entry.category)
                return entry.path, render_thumbnail(shape.points, shape.normals, THUMBNAIL_SIZE)

            self.jobs.submit(job, lambda result: self.doc.library.set_thumbnail(*result), lambda e, tb: None,
                             lane="thumbnails", owner=self, group="thumbnails", supersede=False, inline=False)

    # --- plumbing -----------------------------------------------------------------------------
    def _submit(self, fn: Callable, on_done: Callable, on_error: Callable,
                on_progress: Callable[[str, float | None], None] | None = None, group: str | None = None) -> Job | None:
        if self._closed:
            return None
        return self.jobs.submit(fn, on_done, on_error, on_progress, lane="model", owner=self, group=group)

    def _on_job_finished(self, job: Job) -> None:
        if job.owner == id(self) and job.lane == "model" and not self.busy:
            self.doc.status.busy = False
            self.idle.emit()

    def _set_busy(self, message: str) -> None:
        self.doc.status.update(busy=True, message=message)

    def _progress(self, message: str, fraction: float | None = None) -> None:
        if message:
            self.doc.status.message = message

    def _fail(self, title: str, message: str) -> None:
        self.doc.status.error = message
        self.doc.status.message = f"{title}: {message}"
        self.error.emit(title, message)
