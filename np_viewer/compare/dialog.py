"""View > Compare models…: pick 1 to 4 checkpoints, optionally with the fitted result on screen."""
from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QLabel,
                               QListWidget, QPushButton, QVBoxLayout, QWidget)

from .panes import MAX_PANES

CHECKPOINT_FILTER = "Checkpoints (*.pt *.pth *.ckpt);;All files (*)"


class CompareDialog(QDialog):
    """``checkpoints`` (the list, editable), ``include_fit`` (a checkbox, enabled when a fit is on
    screen); OK is enabled for 1 to 4 models in all."""

    def __init__(self, checkpoints: list[str], fit_available: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare models")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"The shape on screen under up to {MAX_PANES} models, side by side.\n"
                                "The compare window can also fit every primitive type to it (Fit all)."))
        self.list = QListWidget()
        self.list.addItems(checkpoints)
        layout.addWidget(self.list)
        row = QHBoxLayout()
        add, remove = QPushButton("Add checkpoint…"), QPushButton("Remove")
        add.clicked.connect(self._browse)
        remove.clicked.connect(self._remove_selected)
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        layout.addLayout(row)
        self.include_fit = QCheckBox("Include the fitted result on screen")
        self.include_fit.setEnabled(fit_available)
        self.include_fit.setChecked(fit_available)
        if not fit_available:
            self.include_fit.setToolTip("No fit on screen: Shapes > Fit to this shape… makes one")
        layout.addWidget(self.include_fit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Compare")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.list.model().rowsInserted.connect(self._sync)
        self.list.model().rowsRemoved.connect(self._sync)
        self.include_fit.toggled.connect(self._sync)
        self._sync()

    @property
    def checkpoints(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def add_checkpoints(self, paths: list[str]) -> None:
        self.list.addItems([p for p in paths if p not in self.checkpoints])

    def count(self) -> int:
        return self.list.count() + int(self.include_fit.isChecked())

    def _browse(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add checkpoints", "", CHECKPOINT_FILTER)
        self.add_checkpoints(paths)

    def _remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))

    def _sync(self, *_args) -> None:
        n = self.count()
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(1 <= n <= MAX_PANES)
        ok.setToolTip("" if ok.isEnabled() else f"Choose 1 to {MAX_PANES} models (now {n})")
