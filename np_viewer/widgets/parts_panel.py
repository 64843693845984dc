"""Parts panel: one row per primitive with colour swatch, visibility, solo and opacity. Every
change is an edit command pushed onto the document's history (undoable like any other edit)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QHBoxLayout, QHeaderView, QPushButton,
                               QSlider, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ..document import Document, Part
from ..document.edits import FieldEdit, opacity_edit, show_all_edit, solo_edit

COL_SWATCH, COL_VISIBLE, COL_NAME, COL_SOLO, COL_OPACITY = range(5)


def swatch_icon(colour: tuple[float, float, float], size: int = 14) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(QColor.fromRgbF(*colour))
    return QIcon(pix)


class PartsPanel(QWidget):
    """Talks to the document only: edits parts and the selection, and mirrors their changes."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = document
        self.table = QTableWidget(0, 5, self)
        self.table.setHorizontalHeaderLabels(["", "Show", "Part", "Solo", "Opacity"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        for col, mode in ((COL_SWATCH, QHeaderView.ResizeMode.ResizeToContents),
                          (COL_VISIBLE, QHeaderView.ResizeMode.ResizeToContents),
                          (COL_NAME, QHeaderView.ResizeMode.Stretch),
                          (COL_SOLO, QHeaderView.ResizeMode.ResizeToContents),
                          (COL_OPACITY, QHeaderView.ResizeMode.Interactive)):
            header.setSectionResizeMode(col, mode)
        self.table.setColumnWidth(COL_OPACITY, 64)
        self.show_all = QPushButton("Show all", self)
        self.show_all.clicked.connect(lambda _=False: self.doc.history.push(show_all_edit(self.doc.assembly)))
        buttons = QHBoxLayout()
        buttons.addWidget(self.show_all)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self._rows: dict[int, int] = {}     # part id -> row
        self._syncing = False
        a = document.assembly
        a.reset.connect(self._rebuild)
        a.parts_added.connect(lambda _: self._rebuild())
        a.parts_removed.connect(lambda _: self._rebuild())
        a.part_changed.connect(self._on_part_changed)
        document.selection.changed.connect(self._on_selection_changed)
        self.table.itemSelectionChanged.connect(self._on_table_selection)
        self._rebuild()

    # --- widgets for a row --------------------------------------------------------------------
    def visibility_box(self, part: Part) -> QCheckBox:
        return self._cell(part, COL_VISIBLE, QCheckBox)

    def solo_button(self, part: Part) -> QPushButton:
        return self._cell(part, COL_SOLO, QPushButton)

    def opacity_slider(self, part: Part) -> QSlider:
        return self._cell(part, COL_OPACITY, QSlider)

    def _cell(self, part: Part, col: int, kind: type):
        w = self.table.cellWidget(self._rows[part.id], col)
        return w if isinstance(w, kind) else w.findChild(kind)

    def _part_at(self, row: int) -> Part | None:
        parts = self.doc.assembly.parts
        return parts[row] if 0 <= row < len(parts) else None

    def _set_visible(self, row: int, on: bool) -> None:
        if (part := self._part_at(row)) is not None:
            self.doc.history.push(FieldEdit.set([part], "visible", bool(on)))

    def _solo(self, row: int) -> None:
        if (part := self._part_at(row)) is not None:
            self.doc.history.push(solo_edit(self.doc.assembly, part))

    def _set_opacity(self, row: int, value: int) -> None:
        if (part := self._part_at(row)) is not None:
            self.doc.history.push(opacity_edit(part, value / 100.0))

    def _rebuild(self) -> None:
        """Rows are bound to positions, not to part objects, so stepping to a shape with as many
        parts only refreshes the rows (creating cell widgets is the slow part)."""
        self._syncing = True
        try:
            parts = self.doc.assembly.parts
            for row in range(self.table.rowCount(), len(parts)):
                self._add_row(row)
            self.table.setRowCount(len(parts))
            self._rows = {part.id: row for row, part in enumerate(parts)}
            for part in parts:
                self._refresh_row(part)
        finally:
            self._syncing = False
        self._on_selection_changed()

    def _add_row(self, row: int) -> None:
        self.table.insertRow(row)
        swatch = QTableWidgetItem("")
        self.table.setItem(row, COL_SWATCH, swatch)
        self.table.setItem(row, COL_NAME, QTableWidgetItem(""))
        box = QCheckBox()
        box.setToolTip("Show or hide this part")
        box.toggled.connect(lambda on, r=row: self._set_visible(r, on))
        self.table.setCellWidget(row, COL_VISIBLE, _centred(box))
        solo = QPushButton("S")
        solo.setCheckable(True)
        solo.setMaximumWidth(28)
        solo.setToolTip("Show only this part; click again to restore")
        solo.clicked.connect(lambda _=False, r=row: self._solo(r))
        self.table.setCellWidget(row, COL_SOLO, solo)
        slider = QSlider(Qt.Orientation.Horizontal)
        slider.setRange(0, 100)
        slider.setToolTip("Opacity")
        slider.valueChanged.connect(lambda v, r=row: self._set_opacity(r, v))
        self.table.setCellWidget(row, COL_OPACITY, slider)

    def _refresh_row(self, part: Part) -> None:
        row = self._rows.get(part.id)
        if row is None:
            return
        box, solo, slider = self.visibility_box(part), self.solo_button(part), self.opacity_slider(part)
        for w in (box, solo, slider):
            w.blockSignals(True)
        box.setChecked(part.visible)
        solo.setChecked(self.doc.assembly.soloed is part)
        slider.setValue(round(part.opacity * 100))
        for w in (box, solo, slider):
            w.blockSignals(False)
        swatch = self.table.item(row, COL_SWATCH)
        swatch.setIcon(swatch_icon(part.colour))
        swatch.setToolTip(f"primitive {part.index}")
        self.table.item(row, COL_NAME).setText(part.name)
        for col in (COL_SWATCH, COL_NAME):
            self.table.item(row, col).setForeground(QColor("black" if part.visible else "gray"))

    def _on_part_changed(self, part: Part, field: str) -> None:
        if field == "visible":
            for p in self.doc.assembly:     # solo state shows on every row's solo button
                self._refresh_row(p)
        else:
            self._refresh_row(part)

    # --- selection ----------------------------------------------------------------------------
    def _on_table_selection(self) -> None:
        if self._syncing:
            return
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        parts = self.doc.assembly.parts
        self.doc.selection.set(parts[r].id for r in rows if r < len(parts))

    def _on_selection_changed(self) -> None:
        self._syncing = True
        try:
            self.table.clearSelection()
            for pid in self.doc.selection.ids:
                if pid in self._rows:
                    self.table.setRangeSelected(_range(self._rows[pid], self.table.columnCount()), True)
        finally:
            self._syncing = False


def _range(row: int, ncols: int):
    from PySide6.QtWidgets import QTableWidgetSelectionRange
    return QTableWidgetSelectionRange(row, 0, row, ncols - 1)


def _centred(w: QWidget) -> QWidget:
    holder = QWidget()
    lay = QHBoxLayout(holder)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setAlignment(Qt.AlignmentFlag.AlignCenter)
    lay.addWidget(w)
    return holder
