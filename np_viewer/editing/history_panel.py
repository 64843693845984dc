"""The visible history: every edit in order, the current state highlighted; click a row to go
back (or forward) to that state."""
from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from ..document.history import History

ORIGINAL = "Original (as predicted)"


class HistoryPanel(QWidget):
    def __init__(self, history: History, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.list = QListWidget(self)
        self.list.setToolTip("Click an entry to undo or redo up to it")
        self.list.itemClicked.connect(self._on_clicked)
        self.undo_button = QPushButton("Undo")
        self.redo_button = QPushButton("Redo")
        self.undo_button.clicked.connect(history.undo)
        self.redo_button.clicked.connect(history.redo)
        buttons = QHBoxLayout()
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.redo_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        history.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        h = self.history
        self.list.blockSignals(True)
        try:
            self.list.clear()
            for i, text in enumerate([ORIGINAL, *h.texts]):
                item = QListWidgetItem(text)
                if i > h.index:           # undone: can be redone
                    item.setForeground(QColor("gray"))
                self.list.addItem(item)
            self.list.setCurrentRow(h.index)
        finally:
            self.list.blockSignals(False)
        self.undo_button.setEnabled(h.can_undo())
        self.redo_button.setEnabled(h.can_redo())

    def _on_clicked(self, item: QListWidgetItem) -> None:
        self.history.goto(self.list.row(item))
