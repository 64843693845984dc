"""The 3D viewport of the main window: the document's scene, with coalesced renders."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QWidget

from ..document import Document
from ..render import SceneRenderer
from .plotter_view import PlotterView


class Viewport(PlotterView):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        # multi_samples=1: MSAA costs ~4x per frame under a software renderer (llvmpipe); on a real
        # GPU FXAA is switched on after the first frame instead (see _first_frame).
        super().__init__(parent, multi_samples=1)
        self.doc = document
        self.plotter.installEventFilter(self)   # up/down step through shapes, as in the browser
        self.renderer = SceneRenderer(self.plotter, document, request_render=self.request_render)
        self.software_renderer: bool | None = None
        self.rendered.connect(self._first_frame)     # first, before anyone waiting on a frame

    def set_high_quality(self) -> None:
        """Supersampled anti-aliasing, for screenshots where time does not matter."""
        self.plotter.enable_anti_aliasing("ssaa")

    def _first_frame(self) -> None:
        if self.software_renderer is not None:
            return
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
