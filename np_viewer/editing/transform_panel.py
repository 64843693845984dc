"""Numeric transform panel: translation, rotation (degrees), per-axis or uniform scale, about the
selection's centroid or the origin; and reset to the predicted pose.

The fields describe a change to apply (Apply), not an absolute pose: parts keep their own
transforms and several parts move together. The matrix of a single selected part is shown below.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout,
                               QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget)

from ..document.edits import compose

if TYPE_CHECKING:
    from .controller import EditingController

PIVOTS = {"Selection centroid": "centroid", "Origin": "origin"}


def _spin(lo: float, hi: float, value: float, step: float, decimals: int) -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setRange(lo, hi)
    s.setDecimals(decimals)
    s.setSingleStep(step)
    s.setValue(value)
    s.setKeyboardTracking(False)
    return s


class TransformPanel(QWidget):
    def __init__(self, controller: "EditingController", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.doc = controller.doc
        self.translation = [_spin(-1000, 1000, 0.0, 0.05, 4) for _ in range(3)]
        self.rotation = [_spin(-360, 360, 0.0, 5.0, 2) for _ in range(3)]
        self.scale = [_spin(0.001, 1000, 1.0, 0.1, 4) for _ in range(3)]
        self.uniform = QCheckBox("Uniform scale")
        self.uniform.setChecked(True)
        self.uniform.toggled.connect(self._on_uniform)
        self.scale[0].valueChanged.connect(self._follow_uniform)
        self.pivot = QComboBox()
        self.pivot.addItems(list(PIVOTS))
        self.pivot.setToolTip("Rotate and scale about the selection's centroid or the origin")
        grid = QGridLayout()
        for col, axis in enumerate("xyz"):
            grid.addWidget(QLabel(axis), 0, col + 1)
        for row, (label, spins) in enumerate((("Move", self.translation), ("Rotate °", self.rotation),
                                              ("Scale", self.scale)), start=1):
            grid.addWidget(QLabel(label), row, 0)
            for col, s in enumerate(spins):
                grid.addWidget(s, row, col + 1)
        form = QFormLayout()
        form.addRow("About", self.pivot)
        form.addRow("", self.uniform)
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("Apply this move/rotation/scale to the selected parts (undoable)")
        self.apply_button.clicked.connect(self.apply)
        self.clear_button = QPushButton("Clear fields")
        self.clear_button.clicked.connect(self.clear_fields)
        self.reset_button = QPushButton("Reset pose")
        self.reset_button.setToolTip("Put the selected parts back where the model predicted them")
        self.reset_button.clicked.connect(controller.reset_pose)
        buttons = QHBoxLayout()
        for b in (self.apply_button, self.clear_button, self.reset_button):
            buttons.addWidget(b)
        self.info = QLabel("")
        self.matrix = QLabel("")
        self.matrix.setFont(QFont("monospace", 8))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.info)
        layout.addLayout(grid)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.matrix)
        layout.addStretch(1)
        self._on_uniform(True)
        self.doc.selection.changed.connect(self.refresh)
        self.doc.assembly.part_changed.connect(self._on_part_changed)
        self.doc.assembly.reset.connect(self.refresh)
        self.refresh()

    # --- values -------------------------------------------------------------------------------
    def set_values(self, translation=(0, 0, 0), rotation=(0, 0, 0), scale=(1, 1, 1),  # noqa: ANN001
                   pivot: str = "centroid") -> None:
        """Fill the fields (as a user would type them)."""
        s = np.broadcast_to(np.asarray(scale, float), (3,))
        self.uniform.setChecked(bool(s[0] == s[1] == s[2]))
        for spins, values in ((self.translation, translation), (self.rotation, rotation), (self.scale, s)):
            for spin, v in zip(spins, values):
                spin.setValue(float(v))
        self.pivot.setCurrentIndex(list(PIVOTS.values()).index(pivot))

    def matrix_value(self) -> np.ndarray:
        return compose([s.value() for s in self.translation], [s.value() for s in self.rotation],
                       [s.value() for s in self.scale])

    def pivot_mode(self) -> str:
        return PIVOTS[self.pivot.currentText()]

    def apply(self) -> None:
        self.controller.transform_selection(self.matrix_value(), self.pivot_mode())

    def clear_fields(self) -> None:
        self.set_values(pivot=self.pivot_mode())

    # --- reactions ----------------------------------------------------------------------------
    def _on_uniform(self, on: bool) -> None:
        for s in self.scale[1:]:
            s.setEnabled(not on)
        self._follow_uniform()

    def _follow_uniform(self, *_: object) -> None:
        if self.uniform.isChecked():
            for s in self.scale[1:]:
                s.setValue(self.scale[0].value())

    def _on_part_changed(self, part, field: str) -> None:  # noqa: ANN001
        if field == "transform" and part.id in self.doc.selection:
            self.refresh()

    def refresh(self) -> None:
        parts = self.controller.selected_parts()
        has = bool(parts)
        for w in (self.apply_button, self.reset_button):
            w.setEnabled(has)
        if not parts:
            self.info.setText("Select parts (click them; Ctrl/Shift adds)")
            self.matrix.setText("")
            return
        self.info.setText(parts[0].name if len(parts) == 1 else f"{len(parts)} parts selected")
        if len(parts) == 1:
            m = parts[0].transform
            self.matrix.setText("\n".join(" ".join(f"{v:8.4f}" for v in row) for row in m[:3]))
        else:
            self.matrix.setText("")
