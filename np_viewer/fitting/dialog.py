"""The "Fit to this shape" dialog: mode, primitive count, time budget (and an optional step limit)."""
from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QWidget)

from trainer.fitting import FitOptions

MODES = {"refine": "Refine the model's parts (each part keeps its role)",
         "scratch": "From scratch (a fresh set of parts)"}


class FitDialog(QDialog):
    def __init__(self, n_primitives: int, seconds: float = 60.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Fit to this shape")
        form = QFormLayout(self)
        form.addRow(QLabel("Optimise the parts for this one shape with the training objective.\n"
                           "The viewport follows the fit; Cancel keeps the best parts so far."))
        self.mode_box = QComboBox()
        for key, text in MODES.items():
            self.mode_box.addItem(text, key)
        self.primitives_box = QSpinBox()
        self.primitives_box.setRange(1, 64)
        self.primitives_box.setValue(int(n_primitives))
        self.seconds_box = QSpinBox()
        self.seconds_box.setRange(1, 3600)
        self.seconds_box.setSuffix(" s")
        self.seconds_box.setValue(int(seconds))
        self.steps_box = QSpinBox()
        self.steps_box.setRange(0, 1_000_000)
        self.steps_box.setSpecialValueText("no limit")
        form.addRow("Mode:", self.mode_box)
        form.addRow("Primitives (from scratch):", self.primitives_box)
        form.addRow("Time budget:", self.seconds_box)
        form.addRow("Step limit:", self.steps_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Fit")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.mode_box.currentIndexChanged.connect(self._sync)
        self._sync()

    def _sync(self) -> None:
        self.primitives_box.setEnabled(self.mode_box.currentData() == "scratch")

    def set_values(self, mode: str | None = None, primitives: int | None = None, seconds: float | None = None,
                   steps: int | None = None) -> None:
        if mode is not None:
            index = self.mode_box.findData(mode)
            if index < 0:
                raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
            self.mode_box.setCurrentIndex(index)
        if primitives is not None:
            self.primitives_box.setValue(int(primitives))
        if seconds is not None:
            self.seconds_box.setValue(int(seconds))
        if steps is not None:
            self.steps_box.setValue(int(steps))

    def options(self, device: str = "auto") -> FitOptions:
        steps = self.steps_box.value() or None
        return FitOptions(mode=self.mode_box.currentData(), primitives=self.primitives_box.value(),
                          seconds=float(self.seconds_box.value()), steps=steps, device=device)
