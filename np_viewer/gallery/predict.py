"""Part meshes for a page of shapes: one batched model call per group of same-sized inputs, run on
a worker thread, cached per (model, shape, resolution)."""
from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np
import torch
from PySide6.QtCore import QObject, Signal

from trainer.inference import Prediction, Predictor, ShapeInput, load_shape

from ..cache import LRUCache
from ..document import ShapeEntry
from ..workers import JobRunner


# On the CPU the flow is fastest when one pass holds about this many sphere vertices (all batch
# items together): more spills the activations out of cache (benchmarks/results_gallery.md).
CPU_VERTICES_PER_PASS = 2600


def vertices_per_mesh(resolution: int) -> int:
    """Vertices of the icosphere at subdivision ``resolution`` (642 at 3)."""
    return 10 * 4 ** int(resolution) + 2


@torch.no_grad()
def predict_batch(predictor: Predictor, shapes: Sequence[ShapeInput], resolution: int = 3) -> list[Prediction]:
    """``predictor.predict`` for many shapes (it takes one at a time): shapes whose inputs have the
    same size go through the model together, as many at once as pay off (all of them on CUDA; about
    CPU_VERTICES_PER_PASS sphere vertices per pass on the CPU). Same results as the loop."""
    if not 0 <= int(resolution) <= 6:
        raise ValueError(f"resolution must be 0..6, got {resolution}")
    model = predictor.model
    out: list[Prediction | None] = [None] * len(shapes)
    groups: dict[tuple, list[tuple[int, torch.Tensor]]] = {}
    for i, shape in enumerate(shapes):
        x = predictor.encoder_input(shape)
        groups.setdefault(tuple(x.shape), []).append((i, x))
    per_pass = max(1, len(shapes)) if predictor.device.type == "cuda" else \
        max(1, CPU_VERTICES_PER_PASS // vertices_per_mesh(resolution))
    for items in groups.values():
        for start in range(0, len(items), per_pass):
            part = items[start:start + per_pass]
            t0 = time.perf_counter()
            F = model.primitive_features(model.encode(torch.cat([x for _, x in part])))
            meshes = model.primitive_meshes(F, int(resolution))
            seconds = (time.perf_counter() - t0) / len(part)
            for b, (i, _) in enumerate(part):
                out[i] = Prediction(meshes=[(np.asarray(v, np.float32), np.asarray(f, np.int64)) for v, f in meshes[b]],
                                    features=F[b:b + 1].clone(), resolution=int(resolution),
                                    device=str(predictor.device), timing={"total": seconds})
    return out  # type: ignore[return-value]


class PageLoader(QObject):
    """Loads shapes and predicts them in the background. ``loaded(index, prediction_or_None, error)``
    arrives on the GUI thread per entry; a newer request makes older ones stale (dropped)."""

    loaded = Signal(int, object, str)
    finished = Signal()

    def __init__(self, parent: QObject | None = None, synchronous: bool = False, batch_size: int = 16) -> None:
        super().__init__(parent)
        self.synchronous = synchronous
        self.batch_size = batch_size
        self._jobs = JobRunner(1, self)
        self._shapes = LRUCache(256)
        self._predictions = LRUCache(256)
        self._generation = 0
        self.pending = 0

    def shape(self, entry: ShapeEntry) -> ShapeInput:
        shape = self._shapes.get(entry.path)
        if shape is None:
            shape = load_shape(entry.path, category=entry.category)
            self._shapes.put(entry.path, shape)
        return shape

    def cached(self, predictor: Predictor, entry: ShapeEntry, resolution: int) -> Prediction | None:
        return self._predictions.get((predictor.key, entry.path, int(resolution)))

    def request(self, predictor: Predictor | None, items: Sequence[tuple[int, ShapeEntry]], resolution: int) -> None:
        """Predict ``items`` ((entry index, entry) pairs) in batches of ``batch_size``."""
        self._generation += 1
        generation = self._generation
        self._jobs.cancel_pending()
        self.pending = 0
        items = list(items)
        if predictor is None or not items:
            self.finished.emit()
            return
        for start in range(0, len(items), self.batch_size):
            chunk = items[start:start + self.batch_size]
            self._submit(self._job(predictor, chunk, resolution, generation), [i for i, _ in chunk],
                         generation)

    def _job(self, predictor: Predictor, chunk: list[tuple[int, ShapeEntry]], resolution: int,
             generation: int) -> Callable:
        def job(report: Callable[[str], None]) -> list[tuple[int, Prediction | None, str]]:
            if generation != self._generation:
                return []
            results: dict[int, tuple[Prediction | None, str]] = {}
            todo: list[tuple[int, ShapeEntry, ShapeInput]] = []
            for index, entry in chunk:
                hit = self.cached(predictor, entry, resolution)
                if hit is not None:
                    results[index] = (hit, "")
                    continue
                try:
                    todo.append((index, entry, self.shape(entry)))
                except Exception as exc:  # noqa: BLE001 - one bad shape must not blank the page
                    results[index] = (None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            if todo:
                predictions = predict_batch(predictor, [s for _, _, s in todo], resolution)
                for (index, entry, _), p in zip(todo, predictions):
                    self._predictions.put((predictor.key, entry.path, int(resolution)), p)
                    results[index] = (p, "")
            return [(i, *results[i]) for i, _ in chunk]
        return job

    def _submit(self, job: Callable, indices: list[int], generation: int) -> None:
        self.pending += 1

        def done(results: list) -> None:
            if generation != self._generation:
                return
            self.pending -= 1
            for index, prediction, error in results:
                self.loaded.emit(index, prediction, error)
            if self.pending == 0:
                self.finished.emit()

        def failed(exc: BaseException, tb: str) -> None:
            if generation != self._generation:
                return
            self.pending -= 1
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            for index in indices:
                self.loaded.emit(index, None, msg)
            if self.pending == 0:
                self.finished.emit()

        self._jobs.run(job, done, failed, inline=self.synchronous)

    def wait(self, timeout_ms: int = 60000) -> bool:
        return self._jobs.wait(timeout_ms)

    def shutdown(self) -> None:
        self._generation += 1
        self.pending = 0
        self._jobs.cancel_pending()
        self._jobs.wait(30000)
