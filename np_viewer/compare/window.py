"""CompareWindow: one shape under 1 to 4 models side by side (checkpoints and fitted results), one
linked camera, each pane captioned with its IoU, Chamfer-L1, primitive count and time. All model
work (loading, predicting, fitting) runs as jobs of the viewer's job service."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLabel, QSpinBox, QToolBar, QVBoxLayout, QWidget
from pyvistaqt import QtInteractor

from trainer.fitting import FitShape, prepare_shape
from trainer.inference import Predictor, ShapeInput
from trainer.palette import part_colour

from ..jobs import JobContext, JobService
from ..render import polydata, set_view
from ..session import user_message
from ..widgets.plotter_view import close_interactor
from ..widgets.shell import ShellWindow
from trainer.fitting.arms import ARMS, arm_options
from .panes import PaneResult, check_pane_count, pane_metrics

VIEW_BOUNDS = (-0.6, 0.6, -0.6, 0.6, -0.6, 0.6)   # the normalised box every shape lives in
BACKGROUND = ("#f4f5f7", "#c9d3df")
BUDGET_UNITS = ("s each", "steps each")   # Fit all: the same time, or the same number of steps, for every type


class CompareWindow(ShellWindow):
    """``set_shape(path)``, then ``compare(sources)`` (checkpoint paths and ready ``PaneResult``s)
    or ``fit_all(predictor, seconds, steps)``. ``results[i]`` is pane i's result (None while it
    runs). Signals: ``pane_ready(i)``, ``all_ready()``, ``error(title, message)``."""

    pane_ready = Signal(int)
    all_ready = Signal()
    error = Signal(str, str)

    def __init__(self, jobs: JobService | None = None, device: str = "auto", resolution: int = 3,
                 auto_update: bool = False, synchronous: bool = False, fit_seconds: int = 30,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Neural Parts Studio – compare models")
        self.jobs = jobs if jobs is not None else JobService(synchronous, self)
        self.device, self.resolution, self.auto_update = device, int(resolution), auto_update
        self.shape_path: str | None = None
        self.shape: ShapeInput | None = None
        self.results: list[PaneResult | None] = []
        self._central = QWidget()
        self._layout = QVBoxLayout(self._central)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.setCentralWidget(self._central)
        self.plotter: QtInteractor | None = None
        self._toolbar(fit_seconds)
        self.status = QLabel("")
        self.statusBar().addWidget(self.status, 1)
        self.error.connect(lambda title, message: self.status.setText(f"{title}: {message}"))
        self._make_panes(1)

    def _toolbar(self, fit_seconds: int) -> None:
        bar = QToolBar("compare")
        bar.setObjectName("compare-toolbar")
        self.addToolBar(bar)
        self.budget_box = QSpinBox()
        self.budget_box.setRange(1, 100000)
        self.budget_box.setValue(int(fit_seconds))
        self.budget_box.setToolTip("Budget of each primitive type's fit")
        self.budget_unit = QComboBox()
        self.budget_unit.addItems(BUDGET_UNITS)
        self.budget_unit.setToolTip("The same time for every type (a Neural Parts step costs several analytic "
                                    "steps), or the same number of optimizer steps")
        self.fit_all_action = bar.addAction("Fit all primitive types", lambda: self.fit_all())
        self.fit_all_action.setToolTip("Fit Neural Parts, ellipsoids, superquadrics and cuboids to this shape "
                                       "from scratch with the same budget and show them side by side")
        bar.addWidget(self.budget_box)
        bar.addWidget(self.budget_unit)
        bar.addAction("Reset camera", self.reset_camera)
        self.fit_predictor: Predictor | None = None    # the model whose config the fit-all arms take

    # --- public API ---------------------------------------------------------------------------
    def set_shape(self, path: str, shape: ShapeInput | None = None) -> None:
        """Compare on the shape at ``path`` (``shape``: already loaded, e.g. by the main window)."""
        self.shape_path, self.shape = str(path), shape
        if shape is not None:
            self.jobs.shapes.put(self.shape_path, shape)
        self.setWindowTitle(f"Neural Parts Studio – compare models on {Path(path).name}")

    def compare(self, sources: Sequence[str | Path | PaneResult]) -> None:
        """One pane per source: a checkpoint path (loaded and predicted as a job) or a result."""
        check_pane_count(len(sources))
        self._make_panes(len(sources))
        for i, source in enumerate(sources):
            if isinstance(source, PaneResult):
                self._show(i, source)
            else:
                self._predict(i, Path(source))

    def fit_all(self, predictor: Predictor | None = None, seconds: float | None = None,
                steps: int | None = None) -> None:
        """One pane per primitive type, each fitted from scratch with the same budget (one after
        the other on the fit lane, so they do not share the CPU)."""
        predictor = predictor or self.fit_predictor
        if predictor is None or self.shape_path is None:
            self.error.emit("Fit all", "Open a model and a shape first.")
            return
        if seconds is None and steps is None:
            seconds, steps = self._budget_on_screen()
        else:                                                     # the budget on screen is the one used
            self.budget_unit.setCurrentIndex(0 if seconds is not None else 1)
            self.budget_box.setValue(max(1, round(seconds if seconds is not None else steps)))
        try:
            options = [arm_options(arm, predictor.config, seconds, steps, self.device) for arm in ARMS]
        except (ValueError, OSError) as exc:
            self.error.emit("Fit all", user_message(exc))
            return
        self._make_panes(len(ARMS))
        for i, (arm, opts) in enumerate(zip(ARMS, options)):
            self._fit(i, arm.label, predictor, opts)

    def _budget_on_screen(self) -> tuple[float | None, int | None]:
        """(seconds, steps) of the toolbar's budget: one of them is set."""
        value = self.budget_box.value()
        return (float(value), None) if self.budget_unit.currentIndex() == 0 else (None, int(value))

    @property
    def camera(self):  # noqa: ANN201 - vtkCamera
        """The linked camera (every pane's renderer holds this one)."""
        return self.plotter.renderers[0].camera

    def pane_camera(self, i: int):  # noqa: ANN201 - vtkCamera
        return self.plotter.renderers[i].camera

    def reset_camera(self) -> None:
        self.plotter.subplot(0, 0)
        set_view(self.plotter, "iso")
        self.plotter.reset_camera(bounds=VIEW_BOUNDS)
        self.plotter.render()

    def part_actor(self, pane: int, k: int):  # noqa: ANN201
        return self.plotter.renderers[pane].actors.get(f"pane{pane}-part-{k}")

    def screenshot(self) -> np.ndarray:
        self.plotter.render()
        return np.ascontiguousarray(np.asarray(self.plotter.screenshot(return_img=True))[..., :3])

    def pane_columns(self, width: int) -> list[tuple[int, int]]:
        """[x0, x1) pixel columns of each pane in a picture ``width`` wide."""
        n = len(self.results)
        return [(round(i * width / n), round((i + 1) * width / n)) for i in range(n)]

    @property
    def ready(self) -> bool:
        return bool(self.results) and all(r is not None for r in self.results)

    def wait(self, timeout_ms: int = 60000) -> bool:
        return self.jobs.wait(timeout_ms)

    # --- jobs ---------------------------------------------------------------------------------
    def _predict(self, i: int, path: Path) -> None:
        shape_path, resolution, device = self.shape_path, self.resolution, self.device

        def job(ctx: JobContext) -> PaneResult:
            ctx.report(f"Compare: loading {path.name}…", None)
            predictor = Predictor(path, device=device)
            shape = self.jobs.shape(shape_path)
            prediction, _ = self.jobs.prediction(predictor, shape_path, resolution)
            metrics = pane_metrics(predictor, prediction, shape, self._samples(shape))
            return PaneResult(path.stem, predictor, prediction, metrics,
                              float(prediction.timing.get("total", 0.0)))

        self._submit(i, job, "model", f"Compare: {path.name}")

    def _fit(self, i: int, label: str, predictor: Predictor, options) -> None:  # noqa: ANN001 - FitOptions
        shape_path, resolution, device = self.shape_path, self.resolution, self.device

        def job(ctx: JobContext) -> PaneResult:
            shape = self.jobs.shape(shape_path)
            if shape.vertices is None and shape.ground_truth is None:
                raise ValueError(f"{shape.name} is a point cloud: a fit needs a mesh (to tell inside from outside)")

            def progress(p) -> None:  # noqa: ANN001 - FitProgress
                ctx.report(f"Fit all: {label}, step {p.step}", None)

            ctx.report(f"Fit all: {label}…", None)
            samples = self._samples(shape)
            result = predictor.fit(samples, options, on_progress=progress, should_stop=lambda: ctx.cancelled)
            ctx.check()
            fitted = Predictor(result.model, device=device)
            prediction = fitted.predict(shape, resolution)
            return PaneResult(f"{label} (fit)", fitted, prediction, pane_metrics(fitted, prediction, shape, samples),
                              result.elapsed, "fit", steps=result.steps)

        self._submit(i, job, "fit", f"Fit all: {label}", cancellable=True)

    def _samples(self, shape: ShapeInput) -> FitShape | None:
        """The shape's inside/outside samples (prepared once per shape, in the service's shape
        cache): what every pane's IoU and every fit use. None for point clouds."""
        if shape.vertices is None:
            return None
        key = f"{self.shape_path}#fit-samples"
        samples = self.jobs.shapes.get(key)
        if samples is None:
            samples = prepare_shape(shape)
            self.jobs.shapes.put(key, samples)
        return samples

    def _submit(self, i: int, job, lane: str, title: str, cancellable: bool = False) -> None:  # noqa: ANN001
        def failed(exc: BaseException, tb: str) -> None:
            self._show_failure(i, title, user_message(exc))
            self.error.emit(title, user_message(exc))

        self.jobs.submit(job, lambda r: self._show(i, r), failed, on_progress=lambda m, f: self.status.setText(m),
                         lane=lane, title=title, owner=self, group=("pane", i), cancellable=cancellable)

    # --- display ------------------------------------------------------------------------------
    def _make_panes(self, n: int) -> None:
        """A fresh plotter with ``n`` side-by-side renderers sharing one camera."""
        self.jobs.cancel(owner=self)          # results for the old panes are not wanted
        if self.plotter is not None and len(self.results) == n:
            self.plotter.clear_actors()       # every pane's
            self.results = [None] * n
            return
        if self.plotter is not None:
            self._layout.removeWidget(self.plotter)
            close_interactor(self.plotter)
            self.plotter.deleteLater()
        self.plotter = QtInteractor(self._central, shape=(1, n), auto_update=self.auto_update, multi_samples=0,
                                    border=True, border_color="#9aa4b0")
        self._layout.addWidget(self.plotter, 1)
        for i in range(n):
            self.plotter.subplot(0, i)
            self.plotter.set_background(BACKGROUND[0], top=BACKGROUND[1])
        self.plotter.link_views()
        self.results = [None] * n
        self.reset_camera()

    def _show(self, i: int, result: PaneResult) -> None:
        if self.closed or i >= len(self.results):
            return
        self.results[i] = result
        self.plotter.subplot(0, i)
        self.plotter.renderer.clear_actors()      # this pane's only
        for k, (v, f) in enumerate(result.prediction.meshes):
            self.plotter.add_mesh(polydata(v, f), color=part_colour(k), smooth_shading=True, specular=0.25,
                                  name=f"pane{i}-part-{k}", reset_camera=False, render=False)
        self.plotter.add_text(result.caption(), position="upper_left", font_size=8, color="#20242a",
                              name=f"pane{i}-caption")
        self.plotter.render()
        self.pane_ready.emit(i)
        if self.ready:
            self.status.setText(f"{len(self.results)} models on {Path(self.shape_path or '').name}")
            self.all_ready.emit()

    def _show_failure(self, i: int, title: str, message: str) -> None:
        """The pane says what went wrong (the other panes go on)."""
        if self.closed or i >= len(self.results):
            return
        self.plotter.subplot(0, i)
        self.plotter.renderer.clear_actors()
        self.plotter.add_text(f"{title}\nfailed: {message[:80]}", position="upper_left", font_size=8,
                              color="#a01818", name=f"pane{i}-caption")
        self.plotter.render()

    # --- shutdown -----------------------------------------------------------------------------
    def _release(self) -> None:
        self.jobs.cancel(owner=self)
        self.jobs.wait(30000)
        if self.plotter is not None:
            close_interactor(self.plotter)
