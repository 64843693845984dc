"""ShellWindow: what every top-level window of the viewer shares (the main window, the gallery,
compare and explore windows). Features attach to a window through these seams only:

- ``new_action(text, slot, shortcut, tip)``: an action whose shortcut works anywhere in the window;
- ``add_panel(key, title, widget, area)``: a dock named ``dock-<key>``, reachable as ``panel(key)``;
- ``add_extension(key, ext)`` / ``extension(key, create)``: an object with ``shutdown()`` (a
  controller, a child window) that the window shuts down with itself, newest first;
- ``shutdown()``: idempotent; closing the window calls it. Subclasses release their own
  resources (jobs, plotters) in ``_release()``, after their extensions are gone.
"""
from __future__ import annotations

from typing import Callable, Protocol, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QWidget


class Extension(Protocol):
    def shutdown(self) -> None: ...


E = TypeVar("E", bound=Extension)


class ShellWindow(QMainWindow):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._closed = False
        self._extensions: dict[str, Extension] = {}     # in registration order
        self._panels: dict[str, QDockWidget] = {}

    # --- actions ------------------------------------------------------------------------------
    def new_action(self, text: str, slot, shortcut: str | None = None, tip: str = "",  # noqa: ANN001
                   checkable: bool = False, checked: bool = False) -> QAction:
        """An action of this window: ``slot()`` on trigger (``slot(on)`` when checkable); its
        shortcut works wherever the action is shown, even with the menu bar hidden."""
        act = QAction(text, self)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        if tip:
            act.setToolTip(tip)
        if checkable:
            act.setCheckable(True)
            act.setChecked(checked)
            act.toggled.connect(slot)
        else:
            act.triggered.connect(lambda _=False: slot())
        self.addAction(act)
        return act

    # --- panels -------------------------------------------------------------------------------
    def add_panel(self, key: str, title: str, widget: QWidget,
                  area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea, closable: bool = False,
                  scroll: bool = False, beside: str | None = None) -> QDockWidget:
        """Dock ``widget`` in ``area`` (``beside``: as a tab next to that panel). ``scroll`` puts it
        in a scroll area, so that a tall panel cannot force a small window taller."""
        if key in self._panels:
            raise ValueError(f"a panel {key!r} is docked already")
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{key}")
        if scroll:
            holder = QScrollArea()
            holder.setWidget(widget)
            holder.setWidgetResizable(True)
            holder.setFrameShape(QFrame.Shape.NoFrame)
            widget = holder
        dock.setWidget(widget)
        features = QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        if closable:
            features |= QDockWidget.DockWidgetFeature.DockWidgetClosable
        dock.setFeatures(features)
        self.addDockWidget(area, dock)
        if beside is not None:
            self.tabifyDockWidget(self._panels[beside], dock)
        self._panels[key] = dock
        return dock

    def panel(self, key: str) -> QDockWidget | None:
        return self._panels.get(key)

    # --- extensions ---------------------------------------------------------------------------
    def add_extension(self, key: str, ext: E) -> E:
        """Register ``ext`` to be shut down with this window; one held under ``key`` already is
        shut down and replaced."""
        old = self._extensions.pop(key, None)
        if old is not None and old is not ext:
            _shut(old)
        self._extensions[key] = ext
        return ext

    def extension(self, key: str, create: Callable[[], E] | None = None) -> E | None:
        """The extension under ``key``; with ``create``, one is made and registered when there is
        none, or when the one there is a window that has been closed."""
        ext = self._extensions.get(key)
        if create is not None and (ext is None or (isinstance(ext, ShellWindow) and ext.closed)):
            ext = self.add_extension(key, create())
        return ext

    # --- shutdown -----------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Shut the extensions down (newest first), then release this window's own resources.
        Idempotent."""
        if self._closed:
            return
        self._closed = True
        for ext in reversed(list(self._extensions.values())):
            _shut(ext)
        self._release()

    def _release(self) -> None:
        """Stop this window's background work and close its plotters (subclasses)."""


def _shut(ext: Extension) -> None:
    ext.shutdown()
    if isinstance(ext, QWidget):      # a child window goes away with its parent
        ext.close()
