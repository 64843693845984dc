"""The viewer's state in plain Python with psygnal events; no Qt, no pyvista.

Everything the app shows is a function of a :class:`Document`; widgets change its parts by pushing
edit commands (``document.edits``) onto its ``history``, the render adapter and the widgets observe
it.
"""
from __future__ import annotations

from .assembly import Assembly, AssemblyInfo, InputGeometry
from .evented import Evented
from .history import History
from .library import ShapeLibrary
from .part import Part
from .selection import Selection
from .status import Status
from .view import OVERLAY_MODES, ViewOptions


class Document:
    def __init__(self) -> None:
        self.assembly = Assembly()
        self.selection = Selection()
        self.view = ViewOptions()
        self.library = ShapeLibrary()
        self.status = Status()
        self.history = History()          # every edit of the parts, undoable; a new scene clears it
        self.assembly.reset.connect(self.history.clear)
        # a part that leaves the assembly leaves the selection
        self.assembly.reset.connect(self.selection.clear)
        self.assembly.parts_removed.connect(
            lambda parts: self.selection.set(i for i in self.selection.ids
                                             if i not in {p.id for p in parts}))


__all__ = ["Assembly", "AssemblyInfo", "Document", "Evented", "History", "InputGeometry", "OVERLAY_MODES",
           "Part", "Selection", "ShapeLibrary", "Status", "ViewOptions"]
