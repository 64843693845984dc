"""The shapes the user can browse and which one is current."""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from psygnal import Signal

if TYPE_CHECKING:  # the entries are trainer.inference.ShapeRef; the document stays free of torch
    from trainer.inference import ShapeRef


class ShapeLibrary:
    """Signals: ``entries_changed`` (a new list), ``current_changed(int)``."""

    entries_changed = Signal()
    current_changed = Signal(int)
    thumbnail_changed = Signal(str)     # path of the entry whose thumbnail arrived

    def __init__(self) -> None:
        self._entries: list[ShapeRef] = []
        self._current = -1
        self._thumbnails: dict[str, object] = {}

    @property
    def entries(self) -> list[ShapeRef]:
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def current(self) -> int:
        return self._current

    @property
    def current_entry(self) -> ShapeRef | None:
        return self._entries[self._current] if 0 <= self._current < len(self._entries) else None

    def set_entries(self, entries: Sequence[ShapeRef], current: int = 0) -> None:
        self._entries = list(entries)
        self._current = -1
        self._thumbnails = {}
        self.entries_changed.emit()
        if self._entries:
            self.set_current(min(max(current, 0), len(self._entries) - 1))

    def set_current(self, index: int) -> None:
        if not 0 <= index < len(self._entries):
            raise IndexError(f"shape index {index} out of range 0..{len(self._entries) - 1}")
        if index != self._current:
            self._current = index
            self.current_changed.emit(index)

    def step(self, delta: int) -> None:
        if self._entries:
            self.set_current(min(max(self._current + delta, 0), len(self._entries) - 1))

    def categories(self) -> list[str]:
        return sorted({e.category for e in self._entries if e.category})

    def set_thumbnail(self, path: str, image: object) -> None:
        """An (H, W, 3) uint8 picture of the shape at ``path``."""
        self._thumbnails[path] = image
        self.thumbnail_changed.emit(path)

    def thumbnail(self, path: str) -> object | None:
        return self._thumbnails.get(path)

    def index_of(self, path: str) -> int:
        return next((i for i, e in enumerate(self._entries) if e.path == path), -1)
