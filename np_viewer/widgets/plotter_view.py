"""PlotterView: a pyvistaqt QtInteractor filling a widget, rendered on demand. The main window's
viewport and the gallery's grid are both one."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget
from pyvistaqt import QtInteractor


class PlotterView(QWidget):
    """Subclasses set ``self.renderer`` (an adapter with ``detach()``) after ``__init__``."""

    rendered = Signal()      # after every frame (tests and benchmarks wait on it)

    def __init__(self, parent: QWidget | None = None, multi_samples: int = 0, auto_update: bool = False) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # auto_update=False: render on demand (after document changes), never on a timer
        self.plotter = QtInteractor(self, auto_update=auto_update, multi_samples=multi_samples)
        layout.addWidget(self.plotter)
        self.renderer = None
        self._pending = False
        self.frames = 0   # renders done, for tests and benchmarks

    def request_render(self) -> None:
        """Coalesce a burst of changes into one frame on the next event-loop turn."""
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self._render)

    def _render(self) -> None:
        self._pending = False
        if not self.plotter_closed:
            self.render_now()

    def render_now(self) -> None:
        self.plotter.render()
        self.frames += 1
        self.rendered.emit()

    def screenshot(self) -> np.ndarray:
        """The view as an (H, W, 3) uint8 image (renders first)."""
        self.render_now()
        return np.asarray(self.plotter.screenshot(return_img=True))[..., :3]

    @property
    def plotter_closed(self) -> bool:
        return self.plotter is None or getattr(self.plotter, "_closed", False)

    def close_plotter(self) -> None:
        if not self.plotter_closed:
            self.renderer.detach()
            close_interactor(self.plotter)


def close_interactor(plotter: QtInteractor) -> None:
    """Close ``plotter`` and drop its wrappers of the Qt GL context and surface.

    The surface (a QSurface, not a QObject) dies with the widget without Shiboken noticing; a
    wrapper left behind is handed out again for whatever Qt object next lands at that address (a
    QMenu came back as a QSurface once and broke the File menu)."""
    plotter.close()
    plotter._forget_context()      # pyvistaqt's own reset of _ctx, _surface and its fallback context
