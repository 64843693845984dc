"""Editing part assemblies in the viewer (issue 6): click to select, gizmo and numeric transforms,
recolour/rename/hide/delete/duplicate/swap, undo/redo with a visible history, and the Export menu.

One entry point: ``install_editing(window)`` on the main window."""
from __future__ import annotations

from PySide6.QtWidgets import QMainWindow

from .controller import EditingController


def install_editing(window: QMainWindow) -> EditingController:
    """Add the Edit and Export menus, shortcuts, the Transform and History docks, viewport picking
    and the gizmo to ``window`` (an ``np_viewer.widgets.MainWindow``: uses its ``doc``,
    ``viewport`` (``plotter``, ``renderer``, ``request_render``), ``session``, ``menuBar()`` and
    ``show_error``). Idempotent: a second call returns the same controller."""
    existing = getattr(window, "editing", None)
    if isinstance(existing, EditingController):
        return existing
    controller = EditingController(window)
    window.editing = controller
    return controller


__all__ = ["EditingController", "install_editing"]
