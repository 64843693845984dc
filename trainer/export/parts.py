"""The record of one exported part, and the geometry helpers shared by the writers."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

DEFAULT_COLOUR = (0.8, 0.8, 0.8)


def _identity() -> np.ndarray:
    return np.eye(4)


@dataclass(eq=False)
class ExportPart:
    """One part to export.

    ``vertices`` (V, 3) and ``faces`` (T, 3) are the part's own mesh (e.g. the predicted
    primitive); ``transform`` is a 4x4 matrix acting on column vectors,
    ``world = transform @ [x, y, z, 1]``, as in glTF and VTK. ``colour`` is RGB in [0, 1].
    """

    name: str
    vertices: np.ndarray
    faces: np.ndarray
    colour: tuple[float, float, float] = DEFAULT_COLOUR
    transform: np.ndarray = field(default_factory=_identity)
    opacity: float = 1.0

    def __post_init__(self) -> None:
        self.vertices = np.asarray(self.vertices)
        self.faces = np.asarray(self.faces)
        self.transform = np.asarray(self.transform, dtype=np.float64)
        if self.vertices.ndim != 2 or self.vertices.shape[1] != 3:
            raise ValueError(f"part {self.name!r}: vertices must be (V, 3), got {self.vertices.shape}")
        if self.faces.ndim != 2 or self.faces.shape[1] != 3:
            raise ValueError(f"part {self.name!r}: faces must be (T, 3), got {self.faces.shape}")
        if not np.issubdtype(self.faces.dtype, np.integer):
            raise ValueError(f"part {self.name!r}: faces must be integers")
        if self.faces.size and (self.faces.min() < 0 or self.faces.max() >= len(self.vertices)):
            raise ValueError(f"part {self.name!r}: a face refers to a vertex that does not exist")
        if self.transform.shape != (4, 4):
            raise ValueError(f"part {self.name!r}: transform must be 4x4, got {self.transform.shape}")
        if len(self.colour) != 3:
            raise ValueError(f"part {self.name!r}: colour must be (r, g, b)")
        self.colour = tuple(float(c) for c in self.colour)  # type: ignore[assignment]

    def world_vertices(self) -> np.ndarray:
        """Vertices with ``transform`` applied (float64)."""
        return apply_transform(self.vertices, self.transform)

    def world_faces(self) -> np.ndarray:
        """Faces to pair with :meth:`world_vertices`: flipped when the transform mirrors, so
        normals keep pointing outwards."""
        return oriented_faces(self.faces, self.transform)


def apply_transform(vertices: np.ndarray, transform: np.ndarray) -> np.ndarray:
    """Apply a column-vector 4x4 ``transform`` to (V, 3) row vertices; returns float64."""
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(transform, dtype=np.float64)
    return v @ t[:3, :3].T + t[:3, 3]


def oriented_faces(faces: np.ndarray, transform: np.ndarray) -> np.ndarray:
    """Faces as int64, with reversed winding if ``transform`` has a negative determinant."""
    f = np.asarray(faces, dtype=np.int64)
    if np.linalg.det(np.asarray(transform, dtype=np.float64)[:3, :3]) < 0:
        f = f[:, ::-1].copy()
    return f


def safe_name(name: str, fallback: str = "part") -> str:
    """A file- and OBJ-safe token: letters, digits, ``-``, ``_`` and ``.`` only."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", name.strip()).strip("._")
    return s or fallback


def unique_names(names: Sequence[str], transform=lambda s: s) -> list[str]:
    """Make names unique (after ``transform``) by appending ``_2``, ``_3``, ... to repeats."""
    seen: set[str] = set()
    out: list[str] = []
    for n in names:
        base = transform(n)
        cand, k = base, 2
        while cand in seen:
            cand, k = f"{base}_{k}", k + 1
        seen.add(cand)
        out.append(cand)
    return out


def concatenate(parts: Sequence[ExportPart]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All parts baked into one mesh: (vertices float64, faces int64, per-vertex part index)."""
    vs, fs, owner = [], [], []
    offset = 0
    for i, p in enumerate(parts):
        vs.append(p.world_vertices())
        fs.append(p.world_faces() + offset)
        owner.append(np.full(len(p.vertices), i, dtype=np.int64))
        offset += len(p.vertices)
    if not vs:
        return np.zeros((0, 3)), np.zeros((0, 3), np.int64), np.zeros(0, np.int64)
    return np.concatenate(vs), np.concatenate(fs), np.concatenate(owner)
