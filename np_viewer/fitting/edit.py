"""The fitted parts as an undoable state of the scene: one history entry that replaces the parts
the model predicted by the fitted ones (undo brings the prediction back)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..document import Assembly, Part, Selection
from ..document.edits import insert_parts


@dataclass(eq=False)
class FitEdit:
    assembly: Assembly
    selection: Selection
    before: list[Part]
    after: list[Part]
    applied: Callable[[bool], None] = field(default=lambda fitted: None)   # the session follows the parts
    text: str = "Fit to this shape"
    info: dict = field(default_factory=dict)      # what the info panel and saved assemblies show

    def _replace(self, old: list[Part], new: list[Part]) -> None:
        self.selection.clear()
        self.assembly.remove_parts(old)
        insert_parts(self.assembly, new, list(range(len(new))))

    def redo(self) -> None:
        self._replace(self.before, self.after)
        self.applied(True)

    def undo(self) -> None:
        self._replace(self.after, self.before)
        self.applied(False)
