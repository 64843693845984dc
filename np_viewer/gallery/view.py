"""The gallery's 3D view: one QtInteractor showing the grid, with gallery mouse controls.

Left-drag in any cell turns the linked camera (every instance follows); wheel zooms and right- or
middle-drag pans the whole grid; a click highlights an instance; a double-click asks to open it in
the main view.
"""
from __future__ import annotations

import vtk
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from ..widgets.plotter_view import PlotterView
from .model import GalleryModel
from .render import GalleryRenderer

CLICK_SLOP = 4           # pixels a press may move and still count as a click
DEGREES_PER_CELL = 120   # dragging across one cell turns the camera this much


class GalleryView(PlotterView):
    instance_clicked = Signal(int)       # entry index
    open_requested = Signal(int)         # entry index (double-click)

    def __init__(self, model: GalleryModel, parent: QWidget | None = None, auto_update: bool = False,
                 multi_samples: int = 0) -> None:
        # multi_samples=0: MSAA costs more than the whole scene under llvmpipe (benchmarks/)
        super().__init__(parent, multi_samples=multi_samples, auto_update=auto_update)
        self.model = model
        self.renderer = GalleryRenderer(self.plotter, model, request_render=self.request_render)
        self._drag: dict | None = None
        self._install_controls()

    @property
    def camera(self) -> vtk.vtkCamera:
        """The linked camera: change it and every instance follows."""
        return self.renderer.camera

    def render_now(self) -> None:
        self.renderer.prepare()         # the name strips follow the camera
        super().render_now()

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt API
        super().resizeEvent(event)
        self.renderer.fit()

    # --- mouse --------------------------------------------------------------------------------
    def _install_controls(self) -> None:
        iren = self.plotter.iren.interactor
        iren.SetInteractorStyle(vtk.vtkInteractorStyleUser())   # no default camera moves
        for event, slot in (("LeftButtonPressEvent", self._left_press), ("LeftButtonReleaseEvent", self._release),
                            ("MiddleButtonPressEvent", self._pan_press), ("RightButtonPressEvent", self._pan_press),
                            ("MiddleButtonReleaseEvent", self._release), ("RightButtonReleaseEvent", self._release),
                            ("MouseMoveEvent", self._move), ("MouseWheelForwardEvent", lambda *_: self.zoom(1.1)),
                            ("MouseWheelBackwardEvent", lambda *_: self.zoom(1 / 1.1))):
            iren.AddObserver(event, slot)

    def _pos(self) -> tuple[int, int]:
        return tuple(self.plotter.iren.interactor.GetEventPosition())  # type: ignore[return-value]

    def _left_press(self, *_: object) -> None:
        x, y = self._pos()
        if self.plotter.iren.interactor.GetRepeatCount():       # double-click
            self._drag = None
            cell = self.renderer.cell_at_display(x, y)
            if cell >= 0:
                self.model.set_highlight(cell)
                self.open_requested.emit(self.model.cells[cell].index)
            return
        self._drag = {"mode": "rotate", "start": (x, y), "last": (x, y), "moved": False}

    def _pan_press(self, *_: object) -> None:
        x, y = self._pos()
        self._drag = {"mode": "pan", "start": (x, y), "last": (x, y), "moved": False}

    def _move(self, *_: object) -> None:
        if self._drag is None:
            return
        x, y = self._pos()
        lx, ly = self._drag["last"]
        sx, sy = self._drag["start"]
        if abs(x - sx) + abs(y - sy) > CLICK_SLOP:
            self._drag["moved"] = True
        if not self._drag["moved"]:
            return
        self._drag["last"] = (x, y)
        if self._drag["mode"] == "rotate":
            self.rotate(x - lx, y - ly)
        else:
            self.pan(x - lx, y - ly)

    def _release(self, *_: object) -> None:
        drag, self._drag = self._drag, None
        if drag is None or drag["moved"] or drag["mode"] != "rotate":
            return
        cell = self.renderer.cell_at_display(*drag["start"])
        self.model.set_highlight(cell)
        if cell >= 0:
            self.instance_clicked.emit(self.model.cells[cell].index)

    # --- camera moves (also used by keyboard actions and tests) -------------------------------
    def cell_pixels(self) -> float:
        w, h = self.plotter.window_size
        return max(8.0, min(w / max(self.model.cols, 1), h / max(self.model.rows, 1)))

    def rotate(self, dx: float, dy: float) -> None:
        """Turn the linked camera as a trackball drag of (dx, dy) pixels would."""
        k = DEGREES_PER_CELL / self.cell_pixels()
        cam = self.camera
        cam.Azimuth(-dx * k)
        cam.Elevation(-dy * k)
        cam.OrthogonalizeViewUp()

    def pan(self, dx: float, dy: float) -> None:
        cam = self.plotter.renderer.camera
        _, h = self.plotter.window_size
        scale = 2.0 * cam.GetParallelScale() / max(h, 1)
        fx, fy, fz = cam.GetFocalPoint()
        px, py, pz = cam.GetPosition()
        cam.SetFocalPoint(fx - dx * scale, fy - dy * scale, fz)
        cam.SetPosition(px - dx * scale, py - dy * scale, pz)
        self.request_render()

    def zoom(self, factor: float) -> None:
        cam = self.plotter.renderer.camera
        cam.SetParallelScale(cam.GetParallelScale() / factor)
        self.renderer.zoomed()
