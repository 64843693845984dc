"""Click-to-select in the viewport.

A Qt event filter on the interactor widget sees every mouse press/release before VTK does (and
lets VTK have it too, so left-drag still orbits the camera). A left press and release within a
few pixels is a click: a VTK cell picker finds the actor under it, and the render adapter maps
it to a part. Ctrl or Shift toggles the part in the selection; a plain click selects only it;
a plain click on the background clears the selection; a click on anything else (the gizmo's
handles) leaves the selection alone.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtWidgets import QWidget
from vtkmodules.vtkRenderingCore import vtkCellPicker, vtkCoordinate

from ..document import Document, Part
from ..render import SceneRenderer

CLICK_SLOP_PX = 4      # a press and release further apart than this is a drag (orbit), not a click


def _ratio(widget: QWidget) -> float:
    return float(widget.devicePixelRatioF() or 1.0)


def widget_to_display(widget: QWidget, pos: QPoint) -> tuple[int, int]:
    """Qt widget coordinates (top-left origin, logical px) -> VTK display coordinates (bottom-left,
    device px), the way QVTKRenderWindowInteractor converts its events."""
    s = _ratio(widget)
    return int(round(pos.x() * s)), int(round((widget.height() - pos.y() - 1) * s))


def world_to_widget(plotter, point: np.ndarray) -> QPoint:  # noqa: ANN001 - a QtInteractor
    """Where a world point appears in the interactor widget (for tests and tooltips)."""
    coord = vtkCoordinate()
    coord.SetCoordinateSystemToWorld()
    coord.SetValue(*map(float, point))
    dx, dy = coord.GetComputedDoubleDisplayValue(plotter.renderer)
    s = _ratio(plotter)
    return QPoint(int(round(dx / s)), int(round(plotter.height() - 1 - dy / s)))


class ClickPicker(QObject):
    """Turns clicks on ``plotter`` into selection changes of ``document``."""

    def __init__(self, plotter, renderer: SceneRenderer, document: Document,  # noqa: ANN001
                 on_picked: Callable[[Part | None], None] | None = None) -> None:
        super().__init__(plotter)
        self.plotter = plotter
        self.renderer = renderer
        self.doc = document
        self.on_picked = on_picked
        self.enabled = True
        self._press: QPoint | None = None
        self._picker = vtkCellPicker()
        self._picker.SetTolerance(0.0005)
        plotter.installEventFilter(self)

    def detach(self) -> None:
        self.plotter.removeEventFilter(self)

    def pick(self, pos: QPoint) -> tuple[bool, Part | None]:
        """(hit anything, the part hit) at widget position ``pos``."""
        x, y = widget_to_display(self.plotter, pos)
        self._picker.Pick(x, y, 0, self.plotter.renderer)
        actor = self._picker.GetActor()
        if actor is None:
            return False, None
        return True, self.renderer.part_at(actor)

    def click(self, pos: QPoint, additive: bool) -> Part | None:
        hit, part = self.pick(pos)
        sel = self.doc.selection
        if part is not None:
            if additive:
                sel.toggle(part.id)
            else:
                sel.set([part.id])
        elif not hit and not additive:
            sel.clear()
        if self.on_picked is not None:
            self.on_picked(part)
        return part

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if not self.enabled or watched is not self.plotter:
            return False
        t = event.type()
        if t == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        elif t == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            start, self._press = self._press, None
            pos = event.position().toPoint()
            if start is not None and (pos - start).manhattanLength() <= CLICK_SLOP_PX:
                mods = event.modifiers()
                additive = bool(mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier))
                self.click(pos, additive)
        return False     # VTK gets every event too
