"""Shape browser: the library's shapes with thumbnails, filter by name and category, up/down to step."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QModelIndex, QSize, QSortFilterProxyModel, Qt
from PySide6.QtGui import QIcon, QImage, QPixmap, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QLineEdit, QListView,
                               QVBoxLayout, QWidget)

from ..document import Document

PATH_ROLE = Qt.ItemDataRole.UserRole + 1
CATEGORY_ROLE = Qt.ItemDataRole.UserRole + 2
ALL_CATEGORIES = "All categories"


class _Filter(QSortFilterProxyModel):
    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.category = ""

    def set(self, text: str, category: str) -> None:
        self.beginFilterChange() if hasattr(self, "beginFilterChange") else None
        self.text, self.category = text.strip().lower(), category
        if hasattr(self, "endFilterChange"):
            self.endFilterChange()
        else:
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:  # noqa: N802 - Qt API
        idx = self.sourceModel().index(row, 0, parent)
        name = str(idx.data(Qt.ItemDataRole.DisplayRole) or "").lower()
        cat = str(idx.data(CATEGORY_ROLE) or "")
        return (not self.text or self.text in name or self.text in cat.lower()) and \
            (not self.category or cat == self.category)


def image_icon(img: np.ndarray) -> QIcon:
    img = np.ascontiguousarray(img[..., :3], dtype=np.uint8)
    h, w = img.shape[:2]
    qimg = QImage(img.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    return QIcon(QPixmap.fromImage(qimg))


class ShapeBrowser(QWidget):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = document
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter by name…")
        self.filter_edit.setClearButtonEnabled(True)
        self.category = QComboBox(self)
        self.model = QStandardItemModel(self)
        self.proxy = _Filter()
        self.proxy.setSourceModel(self.model)
        self.view = QListView(self)
        self.view.setModel(self.proxy)
        self.view.setIconSize(QSize(56, 56))
        self.view.setUniformItemSizes(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 2)
        top.addWidget(self.category, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.view)
        self._syncing = False
        self.filter_edit.textChanged.connect(self._apply_filter)
        self.category.currentIndexChanged.connect(self._apply_filter)
        self.view.selectionModel().currentChanged.connect(self._on_current)
        lib = document.library
        lib.entries_changed.connect(self._rebuild)
        lib.current_changed.connect(self._show_current)
        lib.thumbnail_changed.connect(self._on_thumbnail)
        self._rebuild()

    def _rebuild(self) -> None:
        self._syncing = True
        try:
            self.model.clear()
            for entry in self.doc.library.entries:
                item = QStandardItem(entry.name)
                item.setData(entry.path, PATH_ROLE)
                item.setData(entry.category, CATEGORY_ROLE)
                item.setToolTip(f"{entry.category + ' / ' if entry.category else ''}{entry.name}\n{entry.path}")
                self.model.appendRow(item)
            self.category.blockSignals(True)
            self.category.clear()
            self.category.addItem(ALL_CATEGORIES)
            self.category.addItems(self.doc.library.categories())
            self.category.setVisible(len(self.doc.library.categories()) > 0)
            self.category.blockSignals(False)
        finally:
            self._syncing = False
        self._apply_filter()
        self._show_current(self.doc.library.current)

    def _apply_filter(self) -> None:
        cat = self.category.currentText()
        self.proxy.set(self.filter_edit.text(), "" if cat == ALL_CATEGORIES else cat)

    def _on_current(self, current: QModelIndex, previous: QModelIndex) -> None:
        if self._syncing or not current.isValid():
            return
        row = self.proxy.mapToSource(current).row()
        self.doc.library.set_current(row)

    def _show_current(self, index: int) -> None:
        if not 0 <= index < self.model.rowCount():
            return
        proxy_index = self.proxy.mapFromSource(self.model.index(index, 0))
        if not proxy_index.isValid():
            return
        self._syncing = True
        try:
            self.view.setCurrentIndex(proxy_index)
            self.view.scrollTo(proxy_index)
        finally:
            self._syncing = False

    def _on_thumbnail(self, path: str) -> None:
        row = self.doc.library.index_of(path)
        img = self.doc.library.thumbnail(path)
        if row >= 0 and img is not None and row < self.model.rowCount():
            self.model.item(row).setIcon(image_icon(np.asarray(img)))
