"""The 3D viewport: pyvistaqt's QtInteractor embedded in a widget, with coalesced renders."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget
from pyvistaqt import QtInteractor

from ..document import Document
from ..render import SceneRenderer


class Viewport(QWidget):
    rendered = Signal()      # after every frame the app renders (tests and benchmarks wait on it)
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # auto_update=False: we render on demand (after document changes), never on a timer.
        # multi_samples=1: MSAA costs ~4x per frame under a software renderer (llvmpipe); on a real
        # GPU FXAA is switched on after the first frame instead (see _first_frame).
        self.plotter = QtInteractor(self, auto_update=False, multi_samples=1)
        layout.addWidget(self.plotter)
        self.doc = document
        self.plotter.installEventFilter(self)   # up/down step through shapes, as in the browser
        self._pending = False
        self.renderer = SceneRenderer(self.plotter, document, request_render=self.request_render)
        self.frames = 0   # renders done, for tests and benchmarks
        self.software_renderer: bool | None = None

    def set_high_quality(self) -> None:
        """Supersampled anti-aliasing, for screenshots where time does not matter."""
        self.plotter.enable_anti_aliasing("ssaa")

    def _first_frame(self) -> None:
        caps = self.plotter.render_window.ReportCapabilities() or ""
        self.software_renderer = any(s in caps.lower() for s in ("llvmpipe", "softpipe", "swrast"))
        if not self.software_renderer:
            self.plotter.enable_anti_aliasing("fxaa")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.KeyPress:
            if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down) and not event.modifiers():
                self.doc.library.step(1 if event.key() == Qt.Key.Key_Down else -1)
                return True
            if event.text() and event.text().isprintable():
                # VTK's own letter keys would bypass the document ('w'/'s' restyle every actor,
                # '3' turns on stereo) or close the render window ('q', 'e'); the app's keys are
                # window shortcuts, which Qt handles before this event is sent
                return True
        return super().eventFilter(watched, event)

    def request_render(self) -> None:
        """Coalesce a burst of document changes into one frame on the next event-loop turn."""
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self._render)

    def _render(self) -> None:
        self._pending = False
        if self.plotter is not None and not getattr(self.plotter, "_closed", False):
            self.render_now()

    def render_now(self) -> None:
        self.plotter.render()
        if self.software_renderer is None:
            self._first_frame()
        self.frames += 1
        self.rendered.emit()

    def screenshot(self) -> np.ndarray:
        """The viewport as an (H, W, 3) uint8 image (renders first)."""
        self.render_now()
        return np.asarray(self.plotter.screenshot(return_img=True))[..., :3]

    def close_plotter(self) -> None:
        if self.plotter is not None:
            self.renderer.detach()
            self.plotter.close()
