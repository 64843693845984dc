"""Part meshes for a page of shapes: batched model calls (``Predictor.predict_many``) as jobs of the
viewer's job service, cached there per (model, shape, resolution)."""
from __future__ import annotations

from typing import Callable, Sequence

from PySide6.QtCore import QObject, Signal

from trainer.inference import Prediction, Predictor, ShapeInput, ShapeRef
from trainer.inference.predictor import CPU_VERTICES_PER_PASS as _DEFAULT_PER_PASS

from ..jobs import JobContext, JobService

# On the CPU the flow is fastest when one pass holds about this many sphere vertices (all batch
# items together): more spills the activations out of cache (benchmarks/results_gallery.md).
CPU_VERTICES_PER_PASS = _DEFAULT_PER_PASS


def vertices_per_mesh(resolution: int) -> int:
    """Vertices of the icosphere at subdivision ``resolution`` (642 at 3)."""
    return 10 * 4 ** int(resolution) + 2


def predict_batch(predictor: Predictor, shapes: Sequence[ShapeInput], resolution: int = 3) -> list[Prediction]:
    """``Predictor.predict_many`` with the gallery's CPU pass size."""
    return predictor.predict_many(list(shapes), resolution, vertices_per_pass=CPU_VERTICES_PER_PASS)


class PageLoader(QObject):
    """Loads shapes and predicts them in the background. ``loaded(index, prediction_or_None, error)``
    arrives on the GUI thread per entry; a newer request drops the older ones' results."""

    loaded = Signal(int, object, str)
    finished = Signal()

    def __init__(self, parent: QObject | None = None, synchronous: bool = False, batch_size: int = 16,
                 jobs: JobService | None = None) -> None:
        super().__init__(parent)
        self.synchronous = synchronous
        self.batch_size = batch_size
        self.jobs = jobs if jobs is not None else JobService(synchronous, self)
        self.pending = 0

    def shape(self, entry: ShapeRef) -> ShapeInput:
        return self.jobs.shape(entry.path, entry.category)

    def cached(self, predictor: Predictor, entry: ShapeRef, resolution: int) -> Prediction | None:
        return self.jobs.predictions.get((predictor.key, entry.path, int(resolution)))

    def request(self, predictor: Predictor | None, items: Sequence[tuple[int, ShapeRef]], resolution: int) -> None:
        """Predict ``items`` ((entry index, entry) pairs) in batches of ``batch_size``."""
        self.jobs.cancel(owner=self, group="page")
        self.pending = 0
        items = list(items)
        if predictor is None or not items:
            self.finished.emit()
            return
        for start in range(0, len(items), self.batch_size):
            chunk = items[start:start + self.batch_size]
            self._submit(self._job(predictor, chunk, resolution), [i for i, _ in chunk])

    def _job(self, predictor: Predictor, chunk: list[tuple[int, ShapeRef]], resolution: int) -> Callable:
        def job(ctx: JobContext) -> list[tuple[int, Prediction | None, str]]:
            ctx.check()
            results: dict[int, tuple[Prediction | None, str]] = {}
            todo: list[tuple[int, ShapeRef, ShapeInput]] = []
            for index, entry in chunk:
                try:
                    todo.append((index, entry, self.shape(entry)))
                except Exception as exc:  # noqa: BLE001 - one bad shape must not blank the page
                    results[index] = (None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            ctx.check()
            if todo:
                predictions = self.jobs.predictions_for(
                    predictor, [(e.path, s) for _, e, s in todo], resolution,
                    lambda p, shapes, r: predict_batch(p, shapes, r))
                for (index, _, _), p in zip(todo, predictions):
                    results[index] = (p, "")
            return [(i, *results[i]) for i, _ in chunk]
        return job

    def _submit(self, job: Callable, indices: list[int]) -> None:
        self.pending += 1

        def done(results: list) -> None:
            self.pending -= 1
            for index, prediction, error in results:
                self.loaded.emit(index, prediction, error)
            if self.pending == 0:
                self.finished.emit()

        def failed(exc: BaseException, tb: str) -> None:
            self.pending -= 1
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            for index in indices:
                self.loaded.emit(index, None, msg)
            if self.pending == 0:
                self.finished.emit()

        self.jobs.submit(job, done, failed, owner=self, group="page", supersede=False)

    def wait(self, timeout_ms: int = 60000) -> bool:
        return self.jobs.wait(timeout_ms)

    def shutdown(self) -> None:
        self.pending = 0
        self.jobs.cancel(owner=self)
        self.jobs.wait(30000)
