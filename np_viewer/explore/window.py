"""ExploreWindow: blend two shapes in feature space with a slider (parts update live), and slide a
plane through the implicit functions to see which primitive owns each point and where the
inside/outside boundary runs."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget
from pyvistaqt import QtInteractor

from trainer.inference import Predictor, ShapeRef
from trainer.palette import part_colour

from ..render import polydata, set_view
from ..jobs import JobContext, JobService
from ..widgets.plotter_view import close_interactor
from ..widgets.shell import ShellWindow
from .interpolate import lerp_features, meshes_for
from .slice import PlaneSlice, slice_meshes, slice_plane

SLIDER_STEPS = 100
PARTS_OPACITY_WITH_SLICE = 0.25
VIEW_BOUNDS = (-0.6, 0.6, -0.6, 0.6, -0.6, 0.6)


class ExploreWindow(ShellWindow):
    """``set_shapes(entries)``, ``set_pair(a, b)``, ``set_t(t)``, ``set_slice(origin, normal)``.
    Signals: ``parts_updated()`` when the part actors show a new blend, ``slice_updated()``."""

    parts_updated = Signal()
    slice_updated = Signal()
    error = Signal(str)

    def __init__(self, predictor: Predictor, shapes: list[ShapeRef] | None = None, resolution: int = 3,
                 slice_resolution: int = 160, auto_update: bool = False, synchronous: bool = False,
                 parent: QWidget | None = None, jobs: JobService | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Neural Parts Studio – inside the model")
        self.predictor = predictor
        self.resolution = int(resolution)
        self.slice_resolution = int(slice_resolution)
        self.synchronous = synchronous
        self.entries: list[ShapeRef] = []
        self.features: dict[str, torch.Tensor] = {}     # shape path -> F (1, M, 2f)
        self.t = 0.0
        self.slice: PlaneSlice | None = None
        self._plane = (np.zeros(3), np.array([0.0, 0.0, 1.0]))
        self._busy = {"parts": False, "slice": False}
        self._again = {"parts": False, "slice": False}
        self.jobs = jobs if jobs is not None else JobService(synchronous, self)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        controls = QHBoxLayout()
        self.combo_a, self.combo_b = QComboBox(), QComboBox()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setToolTip("Blend of the two shapes' features: 0 = first, 1 = second")
        self.t_label = QLabel("t = 0.00")
        self.slice_box = QCheckBox("Slice plane")
        self.slice_box.setToolTip("A plane through the implicit functions: colour = owning primitive "
                                  "(lighter outside the shape), black line = the boundary (min phi = 0)")
        for w in (QLabel(" A: "), self.combo_a, QLabel(" B: "), self.combo_b):
            controls.addWidget(w)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.t_label)
        controls.addWidget(self.slice_box)
        layout.addLayout(controls)
        self.plotter = QtInteractor(central, auto_update=auto_update, multi_samples=0)
        layout.addWidget(self.plotter, 1)
        self.setCentralWidget(central)
        self.status = QLabel("")
        self.statusBar().addWidget(self.status, 1)
        self.plotter.set_background("#f4f5f7", top="#c9d3df")

        self.combo_a.currentIndexChanged.connect(lambda _i: self._pair_changed())
        self.combo_b.currentIndexChanged.connect(lambda _i: self._pair_changed())
        self.slider.valueChanged.connect(lambda v: self.set_t(v / SLIDER_STEPS))
        self.slice_box.toggled.connect(self._toggle_slice)
        self.error.connect(self.status.setText)
        if shapes:
            self.set_shapes(shapes)

    # --- public API ---------------------------------------------------------------------------
    def set_shapes(self, entries: list[ShapeRef]) -> None:
        self.entries = list(entries)
        for combo in (self.combo_a, self.combo_b):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([e.name for e in self.entries])
            combo.blockSignals(False)
        if len(self.entries) > 1:
            self.combo_b.blockSignals(True)
            self.combo_b.setCurrentIndex(1)
            self.combo_b.blockSignals(False)
        self._pair_changed()

    def set_pair(self, a: int, b: int) -> None:
        self.combo_a.setCurrentIndex(a)
        self.combo_b.setCurrentIndex(b)

    def set_t(self, t: float) -> None:
        t = min(max(float(t), 0.0), 1.0)
        self.t = t
        self.t_label.setText(f"t = {t:.2f}")
        if round(t * SLIDER_STEPS) != self.slider.value():
            self.slider.blockSignals(True)
            self.slider.setValue(round(t * SLIDER_STEPS))
            self.slider.blockSignals(False)
        self._request("parts")
        if self.slice_box.isChecked():
            self._request("slice")

    def set_slice(self, origin, normal) -> None:  # noqa: ANN001
        """Move the plane (and show it)."""
        self._plane = (np.asarray(origin, float), np.asarray(normal, float))
        if not self.slice_box.isChecked():
            self.slice_box.setChecked(True)     # shows the widget and requests the slice
        else:
            self._request("slice")

    def current_features(self) -> torch.Tensor | None:
        a, b = self._pair_entries()
        if a is None or b is None or a.path not in self.features or b.path not in self.features:
            return None
        return lerp_features(self.features[a.path], self.features[b.path], self.t)

    def part_actor(self, k: int):  # noqa: ANN201
        return self.plotter.actors.get(f"part-{k}")

    def wait(self, timeout_ms: int = 60000) -> bool:
        return self.jobs.wait(timeout_ms)

    @property
    def busy(self) -> bool:
        return any(self._busy.values()) or any(self._again.values())

    # --- work ---------------------------------------------------------------------------------
    def _pair_entries(self) -> tuple[ShapeRef | None, ShapeRef | None]:
        ia, ib = self.combo_a.currentIndex(), self.combo_b.currentIndex()
        pick = lambda i: self.entries[i] if 0 <= i < len(self.entries) else None  # noqa: E731
        return pick(ia), pick(ib)

    def _pair_changed(self) -> None:
        a, b = self._pair_entries()
        missing = [e for e in (a, b) if e is not None and e.path not in self.features]
        if not missing:
            self._request("parts")
            if self.slice_box.isChecked():
                self._request("slice")
            return
        predictor = self.predictor
        self.status.setText(f"Encoding {', '.join(e.name for e in missing)}…")

        resolution = self.resolution

        def job(ctx: JobContext) -> dict[str, torch.Tensor]:   # the service caches the predictions
            return {e.path: self.jobs.prediction(predictor, e.path, resolution, e.category)[0].features
                    for e in missing}

        def done(features: dict[str, torch.Tensor]) -> None:
            self.features.update(features)
            self.status.setText("")
            self._pair_changed()

        self._run(job, done, lambda exc, tb: self.error.emit(f"Cannot encode: {exc}"))

    def _request(self, what: str) -> None:
        """Latest wins: while a job of this kind runs, remember to run once more with the newest state."""
        if self._busy[what]:
            self._again[what] = True
            return
        F = self.current_features()
        if F is None:
            return
        self._busy[what] = True
        predictor, resolution = self.predictor, self.resolution
        if what == "parts":
            job = lambda ctx: meshes_for(predictor, F, resolution)  # noqa: E731
            show = self._show_parts
        else:
            origin, normal = self._plane
            n = self.slice_resolution
            job = lambda ctx: slice_plane(predictor, F, origin, normal, resolution=n)  # noqa: E731
            show = self._show_slice

        def done(result) -> None:  # noqa: ANN001
            self._busy[what] = False
            if not self.closed:
                show(result)
            if self._again[what]:
                self._again[what] = False
                self._request(what)

        def failed(exc: BaseException, tb: str) -> None:
            self._busy[what] = False
            self._again[what] = False
            self.error.emit(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)

        self._run(job, done, failed)

    def _run(self, fn: Callable, on_done: Callable, on_error: Callable) -> None:
        self.jobs.submit(fn, on_done, on_error, owner=self)

    # --- display ------------------------------------------------------------------------------
    def _show_parts(self, meshes: list) -> None:  # noqa: ANN001
        first = not any(n.startswith("part-") for n in self.plotter.actors)
        opacity = PARTS_OPACITY_WITH_SLICE if self.slice_box.isChecked() else 1.0
        for k, (v, f) in enumerate(meshes):
            actor = self.part_actor(k)
            if actor is None:
                self.plotter.add_mesh(polydata(v, f), color=part_colour(k), smooth_shading=True, name=f"part-{k}",
                                      opacity=opacity, reset_camera=False, render=False, specular=0.25)
            else:
                actor.mapper.dataset = polydata(v, f)
        if first:   # frame the normalised box the shapes (and the slice plane) live in
            set_view(self.plotter, "iso")
            self.plotter.reset_camera(bounds=VIEW_BOUNDS)
        self.plotter.render()
        self.parts_updated.emit()

    def _toggle_slice(self, on: bool) -> None:
        for name in [n for n in self.plotter.actors if n.startswith("part-")]:
            self.plotter.actors[name].prop.opacity = PARTS_OPACITY_WITH_SLICE if on else 1.0
        if on:
            origin, normal = self._plane
            self.plotter.add_plane_widget(self._on_plane_moved, normal=tuple(normal), origin=tuple(origin),
                                          bounds=VIEW_BOUNDS, normal_rotation=True,
                                          outline_translation=False, implicit=True, color="#555555")
            self._request("slice")
        else:
            self.plotter.clear_plane_widgets()
            for name in ("slice", "slice-boundary"):
                self.plotter.remove_actor(name, render=False)
            self.slice = None
            self.plotter.render()

    def _on_plane_moved(self, normal, origin) -> None:  # noqa: ANN001 - pyvista callback
        self._plane = (np.asarray(origin, float), np.asarray(normal, float))
        QTimer.singleShot(0, lambda: self._request("slice"))

    def _show_slice(self, sl: PlaneSlice) -> None:
        if not self.slice_box.isChecked():
            return
        self.slice = sl
        plane, lines = slice_meshes(sl, part_colour)
        self.plotter.add_mesh(plane, scalars="colour", rgb=True, name="slice", lighting=False,
                              show_scalar_bar=False, reset_camera=False, render=False, pickable=False)
        self.plotter.remove_actor("slice-boundary", render=False)
        if lines.n_points:
            self.plotter.add_mesh(lines, color="black", line_width=3.0, name="slice-boundary",
                                  reset_camera=False, render=False, pickable=False, lighting=False)
        self.plotter.render()
        self.slice_updated.emit()

    # --- shutdown -----------------------------------------------------------------------------
    def _release(self) -> None:
        self.jobs.cancel(owner=self)
        self.jobs.wait(30000)
        self.plotter.clear_plane_widgets()
        close_interactor(self.plotter)
