"""The normalisation every prepared shape goes through (and how to undo it).

Convention (ShapeNet / occupancy networks, also the Neural Parts authors'): the centre of the
axis-aligned bounding box goes to the origin and its longest side becomes 1, so the shape
fits in [-0.5, 0.5]^3.  normalised = original * scale + translation.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Normalization:
    scale: float
    translation: np.ndarray = field(default_factory=lambda: np.zeros(3))

    def apply(self, points: np.ndarray) -> np.ndarray:
        """Original coordinates -> normalised coordinates."""
        return np.asarray(points, dtype=np.float64) * self.scale + np.asarray(self.translation)

    def invert(self, points: np.ndarray) -> np.ndarray:
        """Normalised coordinates -> original coordinates."""
        return (np.asarray(points, dtype=np.float64) - np.asarray(self.translation)) / self.scale


def compute_normalization(vertices: np.ndarray) -> Normalization:
    """Bounding-box centre to the origin, longest side to 1."""
    v = np.asarray(vertices, dtype=np.float64).reshape(-1, 3)
    if len(v) == 0 or not np.isfinite(v).all():
        raise ValueError("cannot normalise an empty set of vertices or one with NaN/inf values")
    lo, hi = v.min(axis=0), v.max(axis=0)
    longest = float((hi - lo).max())
    if not longest > 0.0:
        raise ValueError("cannot normalise a shape whose bounding box has zero size")
    scale = 1.0 / longest
    centre = (lo + hi) / 2.0
    return Normalization(scale=scale, translation=-centre * scale)
