"""Segmentation export: split an input mesh into one mesh per owning primitive.

The owner of a point is the primitive with the smallest implicit value
(``phi.argmin(-1)``); this module receives those labels and does no inference.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from ..palette import part_colour
from .parts import ExportPart


def owners_from_implicit(phi: np.ndarray) -> np.ndarray:
    """Owning primitive per point from implicit values ``phi`` (N, M): ``argmin`` over M."""
    phi = np.asarray(phi)
    if phi.ndim != 2 or phi.shape[1] == 0:
        raise ValueError(f"phi must be (N, M) with M >= 1, got {phi.shape}")
    return phi.argmin(axis=1)


def face_labels_from_vertex_labels(faces: np.ndarray, vertex_labels: np.ndarray) -> np.ndarray:
    """A face takes the label of the majority of its three vertices; with three different
    labels, the label of its first vertex."""
    lab = np.asarray(vertex_labels)[np.asarray(faces)]
    a, b, c = lab[:, 0], lab[:, 1], lab[:, 2]
    return np.where((b == c) & (a != b), b, a)


def split_by_labels(
    vertices: np.ndarray,
    faces: np.ndarray,
    labels: np.ndarray,
    *,
    per: Literal["face", "vertex"] | None = None,
    names: Sequence[str] | Callable[[int], str] | None = None,
    colours: Callable[[int], tuple[float, float, float]] = part_colour,
    keep_empty: bool = False,
) -> list[ExportPart]:
    """Split a mesh into one :class:`ExportPart` per label, in increasing label order.

    ``labels`` is per face (T,) or per vertex (V,); ``per`` says which when T == V.
    Each part keeps only the vertices its faces use, re-indexed, so the parts' face counts
    add up to the input's. Names default to ``"part <k>"`` and colours to the palette
    colour of primitive k. Labels without faces are dropped unless ``keep_empty``
    (then ``range(max label + 1)`` is covered).
    """
    vertices = np.asarray(vertices)
    faces = np.asarray(faces, dtype=np.int64)
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError("labels must be a 1-D integer array")
    if per is None:
        if len(labels) == len(faces) and len(labels) == len(vertices):
            raise ValueError("labels fit both faces and vertices; pass per='face' or per='vertex'")
        per = "face" if len(labels) == len(faces) else "vertex"
    expected = len(faces) if per == "face" else len(vertices)
    if len(labels) != expected:
        raise ValueError(f"{len(labels)} labels for {expected} {per}s")
    if labels.size and labels.min() < 0:
        raise ValueError("labels must be non-negative primitive indices")
    face_labels = labels if per == "face" else face_labels_from_vertex_labels(faces, labels)

    if keep_empty:
        ks = range(int(face_labels.max()) + 1 if face_labels.size else 0)
    else:
        ks = np.unique(face_labels).tolist()

    def name_of(k: int) -> str:
        if names is None:
            return f"part {k}"
        return names(k) if callable(names) else names[k]

    parts = []
    for k in ks:
        sel = faces[face_labels == k]
        used, inverse = np.unique(sel.reshape(-1), return_inverse=True)
        parts.append(ExportPart(
            name=name_of(int(k)),
            vertices=vertices[used],
            faces=inverse.reshape(-1, 3).astype(np.int64),
            colour=colours(int(k)),
        ))
    return parts
