"""The viewport gizmo: pyvista's affine widget (translate along and rotate about x, y, z) on the
selection.

The widget only writes its actor's ``user_matrix``; on mouse release we turn the change into one
undoable transform of every selected part (``on_commit(delta)``; the widget's actor is the first
selected part, so ``delta = new @ inv(old)`` and the others follow it). The widget caches the
matrix it started from, so it is rebuilt after every change of the selection or its transforms.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtCore import QTimer

from ..document import Document, Part
from ..document.edits import centroid
from ..render import SceneRenderer


class Gizmo:
    def __init__(self, plotter, renderer: SceneRenderer, document: Document,  # noqa: ANN001
                 on_commit: Callable[[np.ndarray, list[Part]], None],
                 request_render: Callable[[], None]) -> None:
        self.plotter = plotter
        self.request_render = request_render
        self.renderer = renderer
        self.doc = document
        self.on_commit = on_commit
        self.widget = None
        self.part: Part | None = None
        self._start: np.ndarray | None = None
        self._enabled = True
        self._scheduled = False
        a = document.assembly
        self._connections = [(document.selection.changed, self.schedule), (a.reset, self.schedule),
                             (a.parts_removed, self._on_parts), (a.parts_added, self._on_parts),
                             (a.part_changed, self._on_part_changed)]
        for sig, slot in self._connections:
            sig.connect(slot)

    @property
    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, on: bool) -> None:
        self._enabled = bool(on)
        self.refresh()

    def detach(self) -> None:
        for sig, slot in self._connections:
            sig.disconnect(slot)
        self._connections = []
        self._remove()

    def _on_parts(self, _parts: list) -> None:
        self.schedule()

    def _on_part_changed(self, part: Part, field: str) -> None:
        if field in ("transform", "visible", "mesh") and part.id in self.doc.selection:
            self.schedule()

    def schedule(self) -> None:
        """Rebuild on the next event-loop turn (never inside the widget's own VTK callback)."""
        if not self._scheduled:
            self._scheduled = True
            QTimer.singleShot(0, self.refresh)

    def selected_parts(self) -> list[Part]:
        ids = self.doc.selection.ids
        return [p for p in self.doc.assembly if p.id in ids]

    def _remove(self) -> None:
        if self.widget is not None:
            try:
                self.widget.remove()
            finally:
                self.widget, self.part, self._start = None, None, None

    def refresh(self) -> None:
        self._scheduled = False
        if getattr(self.plotter, "_closed", False) or not self._connections:
            return
        self._remove()
        parts = [p for p in self.selected_parts() if p.visible]
        if not self._enabled or not parts:
            self.request_render()
            return
        actor = self.renderer.part_actor(parts[0])
        if actor is None:
            return
        self.part, self._start = parts[0], parts[0].transform
        self.widget = self.plotter.add_affine_transform_widget(
            actor, origin=tuple(centroid(parts)), release_callback=self._released,
            interact_callback=self._dragging, scale=0.2)
        self.request_render()

    def _dragging(self, matrix: np.ndarray) -> None:
        """The other selected parts follow the dragged one live (pyvista passes the matrix of the
        previous mouse move, so they trail by one event; the release puts everything exact)."""
        if self.part is None or self._start is None:
            return
        delta = np.asarray(matrix, dtype=np.float64) @ np.linalg.inv(self._start)
        for p in self.selected_parts():
            if p is not self.part and (actor := self.renderer.part_actor(p)) is not None:
                actor.user_matrix = delta @ p.transform

    def _released(self, matrix: np.ndarray) -> None:
        if self.part is None or self._start is None:
            return
        new = np.array(matrix, dtype=np.float64)
        if np.array_equal(new, self._start):
            return     # a click, not a drag
        delta = new @ np.linalg.inv(self._start)
        parts = [p for p in self.selected_parts() if p.visible]
        self.on_commit(delta, parts)
