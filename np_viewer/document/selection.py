"""Which parts are selected (by part id); the panels and the viewport highlight it (issue 6)."""
from __future__ import annotations

from typing import Iterable

from psygnal import Signal


class Selection:
    changed = Signal()

    def __init__(self) -> None:
        self._ids: list[int] = []

    @property
    def ids(self) -> list[int]:
        return list(self._ids)

    def __contains__(self, part_id: int) -> bool:
        return part_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def set(self, ids: Iterable[int]) -> None:
        ids = list(dict.fromkeys(ids))
        if ids != self._ids:
            self._ids = ids
            self.changed.emit()

    def toggle(self, part_id: int) -> None:
        self.set([i for i in self._ids if i != part_id] if part_id in self._ids
                 else self._ids + [part_id])

    def clear(self) -> None:
        self.set([])
