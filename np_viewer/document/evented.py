"""A minimal evented record: attribute writes emit ``changed(name, value)`` when the value changes."""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from psygnal import Signal


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape \
            and bool(np.array_equal(a, b))
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - exotic __eq__; treat as changed
        return False


class Evented:
    """Subclasses list their fields with defaults in ``_fields``; unknown attributes are refused."""

    _fields: ClassVar[dict[str, Any]] = {}
    changed = Signal(str, object)

    def __init__(self, **values: Any) -> None:
        for name, default in self._fields.items():
            object.__setattr__(self, name, values.pop(name, default))
        if values:
            raise TypeError(f"unknown fields for {type(self).__name__}: {sorted(values)}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._fields:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")
        old = getattr(self, name)
        if _same(old, value):
            return
        object.__setattr__(self, name, value)
        self.changed.emit(name, value)

    def update(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._fields}
