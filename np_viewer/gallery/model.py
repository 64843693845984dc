"""The gallery's state in plain Python (psygnal events, no Qt, no pyvista).

What is shown is a function of: the shapes (``ShapeRef`` list), the grid size, the page, the part
meshes of the instances on the page, and one shared style per primitive. The style lives in a viewer
``Document`` (one style ``Part`` per primitive, with an empty mesh), so the viewer's parts panel,
solo and show-all work on it unchanged and a change to primitive k reaches every instance at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from psygnal import Signal

from trainer.inference import ShapeRef
from trainer.palette import part_colour

from ..document import Document, Part
from ..document.edits import FieldEdit, solo_edit

MIN_SIDE, MAX_SIDE = 1, 8
PartMesh = tuple[np.ndarray, np.ndarray]


@dataclass
class Instance:
    """One cell of the grid: which shape, and its part meshes once predicted."""

    entry: ShapeRef
    index: int                                  # position in the full list of entries
    meshes: list[PartMesh] | None = None        # None while inference is pending
    error: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.meshes is not None


class GalleryModel:
    """Signals: ``layout_changed`` (entries, grid or page changed: every cell is new),
    ``instance_changed(cell)`` (one cell's meshes or error arrived), ``highlight_changed(cell)``
    (-1 for none). Styles: ``styles.assembly`` parts, one per primitive (``style(k)``)."""

    layout_changed = Signal()
    instance_changed = Signal(int)
    highlight_changed = Signal(int)

    def __init__(self, rows: int = 4, cols: int = 4) -> None:
        self.styles = Document()
        self._entries: list[ShapeRef] = []
        self._rows, self._cols = _check_side(rows, "rows"), _check_side(cols, "cols")
        self._page = 0
        self._cells: list[Instance] = []
        self._highlight = -1

    # --- shapes and layout --------------------------------------------------------------------
    @property
    def entries(self) -> list[ShapeRef]:
        return list(self._entries)

    @property
    def rows(self) -> int:
        return self._rows

    @property
    def cols(self) -> int:
        return self._cols

    @property
    def per_page(self) -> int:
        return self._rows * self._cols

    @property
    def page(self) -> int:
        return self._page

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self._entries) // self.per_page))

    @property
    def cells(self) -> list[Instance]:
        return list(self._cells)

    def set_entries(self, entries: Sequence[ShapeRef]) -> None:
        self._entries = list(entries)
        self._page = 0
        self._relayout()

    def set_grid(self, rows: int, cols: int) -> None:
        """Change N = rows x cols, keeping the first instance of the current page in view."""
        rows, cols = _check_side(rows, "rows"), _check_side(cols, "cols")
        if (rows, cols) == (self._rows, self._cols):
            return
        first = self._page * self.per_page
        self._rows, self._cols = rows, cols
        self._page = first // self.per_page
        self._relayout()

    def set_page(self, page: int) -> None:
        page = min(max(int(page), 0), self.page_count - 1)
        if page != self._page:
            self._page = page
            self._relayout()

    def step_page(self, delta: int) -> None:
        self.set_page(self._page + delta)

    def page_of(self, index: int) -> int:
        return int(index) // self.per_page

    def cell_of(self, index: int) -> int:
        """Cell of entry ``index`` on the current page, or -1 when it is on another page."""
        first = self._page * self.per_page
        return index - first if first <= index < first + len(self._cells) else -1

    def show_entry(self, index: int) -> int:
        """Go to the page holding entry ``index``, highlight it, return its cell."""
        if not 0 <= index < len(self._entries):
            raise IndexError(f"instance {index} out of range 0..{len(self._entries) - 1}")
        self.set_page(self.page_of(index))
        cell = self.cell_of(index)
        self.set_highlight(cell)
        return cell

    def _relayout(self) -> None:
        first = self._page * self.per_page
        self._cells = [Instance(e, first + i) for i, e in enumerate(self._entries[first:first + self.per_page])]
        self._highlight = -1
        self.layout_changed.emit()

    # --- instance results ---------------------------------------------------------------------
    def set_result(self, index: int, meshes: list[PartMesh] | None, error: str = "") -> None:
        """Meshes (or an error) for entry ``index``; ignored when it is no longer on the page."""
        cell = self.cell_of(index)
        if cell < 0:
            return
        inst = self._cells[cell]
        inst.meshes, inst.error = (list(meshes) if meshes is not None else None), error
        if meshes is not None:
            self.ensure_primitives(len(meshes))
        self.instance_changed.emit(cell)

    def clear_results(self) -> None:
        """Forget every cell's meshes (a new model or mesh level): cells show as pending."""
        for cell, inst in enumerate(self._cells):
            if inst.meshes is not None or inst.error:
                inst.meshes, inst.error = None, ""
                self.instance_changed.emit(cell)

    # --- shared styles ------------------------------------------------------------------------
    @property
    def n_primitives(self) -> int:
        return len(self.styles.assembly)

    def ensure_primitives(self, m: int) -> None:
        """One style part per primitive, in the shared palette colours (kept if already there)."""
        if len(self.styles.assembly) == m:
            return
        empty_v, empty_f = np.zeros((0, 3), np.float32), np.zeros((0, 3), np.int64)
        parts = [Part(k, empty_v, empty_f, part_colour(k), name=f"primitive {k}") for k in range(m)]
        self.styles.assembly.set_scene(parts, None, keep_display=True)

    def style(self, k: int) -> Part:
        return self.styles.assembly.by_index(k)

    # every style change is an undoable command on ``styles.history``, as in the main window
    def set_visible(self, k: int, visible: bool) -> None:
        self.styles.history.push(FieldEdit.set([self.style(k)], "visible", bool(visible)))

    def solo(self, k: int) -> None:
        """Show only primitive k in every instance; again to restore."""
        self.styles.history.push(solo_edit(self.styles.assembly, self.style(k)))

    def set_colour(self, k: int, colour: tuple[float, float, float]) -> None:
        self.set_colours([self.style(k)], colour)

    def set_colours(self, parts: Sequence[Part], colour: tuple[float, float, float]) -> None:
        self.styles.history.push(FieldEdit.set(parts, "colour", tuple(float(c) for c in colour)))

    # --- highlight ----------------------------------------------------------------------------
    @property
    def highlight(self) -> int:
        return self._highlight

    @property
    def highlighted(self) -> Instance | None:
        return self._cells[self._highlight] if 0 <= self._highlight < len(self._cells) else None

    def set_highlight(self, cell: int) -> None:
        cell = cell if 0 <= cell < len(self._cells) else -1
        if cell != self._highlight:
            self._highlight = cell
            self.highlight_changed.emit(cell)


def _check_side(n: int, what: str) -> int:
    n = int(n)
    if not MIN_SIDE <= n <= MAX_SIDE:
        raise ValueError(f"gallery {what} must be {MIN_SIDE}..{MAX_SIDE}, got {n}")
    return n


def parse_grid(text: str) -> tuple[int, int]:
    """'4x4' -> (4, 4); one clear error otherwise."""
    try:
        rows, cols = (int(v) for v in str(text).lower().replace("×", "x").split("x"))
    except ValueError:
        raise ValueError(f"grid must look like 4x4 (rows x columns), got {text!r}") from None
    return _check_side(rows, "rows"), _check_side(cols, "cols")
