"""Editing part assemblies in the viewer (issue 6): click to select, gizmo and numeric transforms,
recolour/rename/hide/delete/duplicate/swap, undo/redo with a visible history, and the Export menu.

One entry point: ``install_editing(window)`` on the main window."""
from __future__ import annotations

from ..widgets import MainWindow
from .controller import EditingController


def install_editing(window: MainWindow) -> EditingController:
    """Add the Edit and Export menus, shortcuts, the Transform and History docks, viewport picking
    and the gizmo to ``window``, as its extension ``"editing"``. Idempotent: a second call returns
    the same controller."""
    return window.extension("editing", lambda: EditingController(window))


__all__ = ["EditingController", "install_editing"]
