"""One primitive of an assembly: its mesh and how it is shown."""
from __future__ import annotations

import itertools

import numpy as np
from psygnal import Signal

_ids = itertools.count(1)

Colour = tuple[float, float, float]


class Part:
    """A part mesh (in the shape's normalised frame) plus colour, visibility, opacity and a 4x4
    transform applied on top of the predicted pose (identity = as predicted).

    Every write goes through a property that emits ``changed(field)``, so undo commands (issue 6)
    can be plain "set field, remember old value" records.
    """

    changed = Signal(str)

    def __init__(self, index: int, vertices: np.ndarray, faces: np.ndarray, colour: Colour,
                 name: str | None = None, visible: bool = True, opacity: float = 1.0,
                 transform: np.ndarray | None = None) -> None:
        self.id: int = next(_ids)          # unique per part object, stable while it lives
        self.index: int = int(index)       # primitive k of the model
        self._name = name if name is not None else f"part {index}"
        self._vertices = np.ascontiguousarray(vertices, dtype=np.float32)
        self._faces = np.ascontiguousarray(faces, dtype=np.int64)
        self._colour: Colour = tuple(float(c) for c in colour)  # type: ignore[assignment]
        self._visible = bool(visible)
        self._opacity = float(opacity)
        self._transform = np.eye(4) if transform is None else _check_matrix(transform)

    def __repr__(self) -> str:
        return f"Part(id={self.id}, index={self.index}, name={self._name!r}, visible={self._visible})"

    # --- fields -------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        if value != self._name:
            self._name = str(value)
            self.changed.emit("name")

    @property
    def vertices(self) -> np.ndarray:
        return self._vertices

    @property
    def faces(self) -> np.ndarray:
        return self._faces

    def set_mesh(self, vertices: np.ndarray, faces: np.ndarray) -> None:
        self._vertices = np.ascontiguousarray(vertices, dtype=np.float32)
        self._faces = np.ascontiguousarray(faces, dtype=np.int64)
        self.changed.emit("mesh")

    @property
    def colour(self) -> Colour:
        return self._colour

    @colour.setter
    def colour(self, value: Colour) -> None:
        value = tuple(float(c) for c in value)  # type: ignore[assignment]
        if len(value) != 3 or not all(0.0 <= c <= 1.0 for c in value):
            raise ValueError(f"colour must be three floats in [0, 1], got {value}")
        if value != self._colour:
            self._colour = value
            self.changed.emit("colour")

    @property
    def visible(self) -> bool:
        return self._visible

    @visible.setter
    def visible(self, value: bool) -> None:
        if bool(value) != self._visible:
            self._visible = bool(value)
            self.changed.emit("visible")

    @property
    def opacity(self) -> float:
        return self._opacity

    @opacity.setter
    def opacity(self, value: float) -> None:
        value = float(min(1.0, max(0.0, value)))
        if value != self._opacity:
            self._opacity = value
            self.changed.emit("opacity")

    @property
    def transform(self) -> np.ndarray:
        """4x4 matrix (column-vector convention: x' = T @ [x, 1]); a copy, so edits must assign."""
        return self._transform.copy()

    @transform.setter
    def transform(self, value: np.ndarray) -> None:
        value = _check_matrix(value)
        if not np.array_equal(value, self._transform):
            self._transform = value
            self.changed.emit("transform")

    def reset_transform(self) -> None:
        self.transform = np.eye(4)

    # --- derived ------------------------------------------------------------------------------
    def world_vertices(self) -> np.ndarray:
        """Vertices with the transform applied."""
        v = self._vertices.astype(np.float64)
        return (v @ self._transform[:3, :3].T + self._transform[:3, 3]).astype(np.float32)


def _check_matrix(m: np.ndarray) -> np.ndarray:
    m = np.array(m, dtype=np.float64)
    if m.shape != (4, 4) or not np.all(np.isfinite(m)):
        raise ValueError("transform must be a finite 4x4 matrix")
    return m
