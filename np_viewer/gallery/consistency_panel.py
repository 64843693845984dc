"""Part-consistency panel: np-eval's per-primitive table, and for the selected primitive the
instances where it strays most (a click shows that instance in the gallery)."""
from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ..widgets.parts_panel import swatch_icon
from .consistency import ConsistencyReport

TABLE_COLUMNS = ["", "Primitive", "True part", "Points", "Purity"]
STRAY_COLUMNS = ["Instance", "Stray pts", "%"]


class ConsistencyPanel(QWidget):
    instance_requested = Signal(str)     # prepared shape path: show it in the gallery
    open_requested = Signal(str)         # double-click: open it in the main view
    primitive_selected = Signal(int)
    order_requested = Signal(list)       # shape paths, worst first (empty list: dataset order)

    def __init__(self, colour_of=None, parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._colour_of = colour_of      # k -> (r, g, b); the gallery's shared colours
        self.report: ConsistencyReport | None = None
        self.summary = QLabel("Part consistency needs a model and a dataset with part labels.")
        self.summary.setWordWrap(True)
        self.table = _table(TABLE_COLUMNS)
        self.table.itemSelectionChanged.connect(self._on_primitive_selected)
        self.stray_title = QLabel("")
        self.strays = _table(STRAY_COLUMNS)
        self.strays.cellClicked.connect(lambda r, _c: self._emit_stray(r, self.instance_requested))
        self.strays.cellDoubleClicked.connect(lambda r, _c: self._emit_stray(r, self.open_requested))
        self.worst_first = QPushButton("Gallery: worst first")
        self.worst_first.setCheckable(True)
        self.worst_first.setToolTip("Order the gallery by this list, so the instances where the selected "
                                    "primitive strays most come first; click again for the dataset order")
        self.worst_first.toggled.connect(self._on_worst_first)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 3)
        layout.addWidget(self.stray_title)
        layout.addWidget(self.strays, 2)
        layout.addWidget(self.worst_first)

    # --- state --------------------------------------------------------------------------------
    def set_busy(self, message: str) -> None:
        self.summary.setText(message)

    def set_unavailable(self, message: str) -> None:
        self.report = None
        self.summary.setText(message)
        self.table.setRowCount(0)
        self.strays.setRowCount(0)
        self.stray_title.setText("")

    def set_report(self, report: ConsistencyReport, category: str | None = None) -> None:
        self.report = report
        if not report.has_labels:
            self.set_unavailable(f"The {report.n_shapes} shapes of split '{report.split}' have no part labels.")
            return
        scope = f"split '{report.split}'" + (f", category {category}" if category else "")
        text = (f"Part purity {report.purity:.3f} over {len(report.shapes)} labelled shapes ({scope}), "
                f"as np-eval computes it. Pick a primitive to list the instances where it strays most.")
        categories = {s.name.split("/")[0] for s in report.shapes}
        if len(categories) > 1:
            text += (f" Note: {len(categories)} categories are mixed and their part labels are compared by "
                     f"number; choose one category above for meaningful parts.")
        self.summary.setText(text)
        self.table.setRowCount(len(report.per_primitive))
        for row, r in enumerate(report.per_primitive):
            k = r["primitive"]
            swatch = QTableWidgetItem("")
            if self._colour_of is not None:
                swatch.setIcon(swatch_icon(self._colour_of(k)))
            cells = [swatch, QTableWidgetItem(str(k)), QTableWidgetItem(report.part_label(r["part"])),
                     _number(r["points"], str(r["points"])),
                     _number(r["purity"], "-" if not r["points"] else f"{r['purity']:.3f}")]
            for col, item in enumerate(cells):
                self.table.setItem(row, col, item)
        self.table.selectRow(0)
        self._on_primitive_selected()

    def refresh_colours(self) -> None:
        if self.report is None or self._colour_of is None:
            return
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None:
                item.setIcon(swatch_icon(self._colour_of(row)))

    # --- queries for tests --------------------------------------------------------------------
    def table_rows(self) -> list[dict]:
        """What the table shows, parsed back: primitive, part label, points, purity (or None)."""
        out = []
        for row in range(self.table.rowCount()):
            purity = self.table.item(row, 4).text()
            out.append({"primitive": int(self.table.item(row, 1).text()), "part": self.table.item(row, 2).text(),
                        "points": int(self.table.item(row, 3).text()),
                        "purity": None if purity == "-" else float(purity)})
        return out

    def stray_paths(self) -> list[str]:
        return [self.strays.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(self.strays.rowCount())]

    def select_primitive(self, k: int) -> None:
        self.table.selectRow(k)

    # --- slots --------------------------------------------------------------------------------
    def _on_primitive_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        if self.report is None or not rows:
            return
        k = rows[0]
        part = self.report.per_primitive[k]["part"]
        self.stray_title.setText(f"Primitive {k} (owns '{self.report.part_label(part)}'): "
                                 f"instances where it strays most")
        strays = self.report.strays(k)
        self.strays.setRowCount(len(strays))
        for row, (shape, points, frac) in enumerate(strays):
            name = QTableWidgetItem(shape.name)
            name.setData(Qt.ItemDataRole.UserRole, shape.path)
            name.setToolTip(f"{shape.path}\nclick: show in the gallery; double-click: open in the main view")
            self.strays.setItem(row, 0, name)
            self.strays.setItem(row, 1, _number(points, str(points)))
            self.strays.setItem(row, 2, _number(frac, "-" if math.isnan(frac) else f"{100 * frac:.1f}"))
        self.primitive_selected.emit(k)
        if self.worst_first.isChecked():
            self.order_requested.emit(self.stray_paths())

    def _on_worst_first(self, on: bool) -> None:
        self.order_requested.emit(self.stray_paths() if on else [])

    def _emit_stray(self, row: int, signal) -> None:  # noqa: ANN001
        item = self.strays.item(row, 0)
        if item is not None:
            signal.emit(item.data(Qt.ItemDataRole.UserRole))


def _table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    header = t.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return t


def _number(value: float, text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item
