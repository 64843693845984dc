"""A plane through the implicit functions: which primitive owns each point (argmin phi) and where
the shape's boundary crosses the plane (min phi = 0)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyvista as pv
import torch

from trainer.inference import Predictor

OUTSIDE_TINT = 0.62     # outside the shape, owner colours are blended this much towards white


@dataclass
class PlaneSlice:
    origin: np.ndarray      # (3,)
    normal: np.ndarray      # (3,) unit
    u: np.ndarray           # (3,) unit, in the plane
    v: np.ndarray           # (3,) unit, in the plane
    points: np.ndarray      # (n, n, 3) sample points, [i, j] = origin + s_i u + s_j v
    phi: np.ndarray         # (n, n, M) implicit values; negative inside primitive m
    size: float

    @property
    def owner(self) -> np.ndarray:
        """(n, n) int: the primitive owning each point (argmin phi)."""
        return self.phi.argmin(-1)

    @property
    def phi_min(self) -> np.ndarray:
        """(n, n): the union's implicit function; inside where negative."""
        return self.phi.min(-1)

    @property
    def inside(self) -> np.ndarray:
        return self.phi_min < 0


def plane_axes(normal: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, u, v): unit normal and two in-plane axes (right-handed)."""
    n = np.asarray(normal, np.float64)
    norm = np.linalg.norm(n)
    if not np.isfinite(norm) or norm < 1e-12:
        raise ValueError(f"plane normal must be a non-zero vector, got {normal}")
    n = n / norm
    helper = np.array([0.0, 1.0, 0.0]) if abs(n[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    u = np.cross(helper, n)
    u /= np.linalg.norm(u)
    return n, u, np.cross(n, u)


@torch.no_grad()
def slice_plane(predictor: Predictor, features: torch.Tensor, origin, normal,  # noqa: ANN001
                size: float = 1.2, resolution: int = 160) -> PlaneSlice:
    """Evaluate every primitive's implicit function on a ``resolution``^2 grid of a square plane of
    side ``size`` centred at ``origin``."""
    n, u, v = plane_axes(normal)
    o = np.asarray(origin, np.float64).reshape(3)
    s = (np.arange(resolution) + 0.5) / resolution * size - size / 2
    pts = o + s[:, None, None] * u + s[None, :, None] * v
    phi = predictor.implicit(features, pts.reshape(-1, 3).astype(np.float32))
    return PlaneSlice(o, n, u, v, pts, phi.reshape(resolution, resolution, -1), float(size))


def slice_meshes(sl: PlaneSlice, colour_of: Callable[[int], tuple[float, float, float]]
                 ) -> tuple[pv.StructuredGrid, pv.PolyData]:
    """(coloured plane, boundary lines) for display: each point in its owner's colour, lighter
    outside the shape; the lines are the min phi = 0 contour."""
    m = sl.phi.shape[-1]
    palette = np.array([colour_of(k) for k in range(m)], np.float64)
    rgb = palette[sl.owner]                                     # (n, n, 3), [i, j] = (u_i, v_j)
    rgb = np.where(sl.inside[..., None], rgb, rgb + (1.0 - rgb) * OUTSIDE_TINT)
    p = sl.points
    plane = pv.StructuredGrid(p[..., 0][..., None], p[..., 1][..., None], p[..., 2][..., None])
    # structured points run with i fastest: point (i, j) is at flat index j * n + i
    plane.point_data["colour"] = (rgb.transpose(1, 0, 2).reshape(-1, 3) * 255).astype(np.uint8)
    plane.point_data["phi_min"] = sl.phi_min.T.reshape(-1).astype(np.float32)
    lines = plane.contour([0.0], scalars="phi_min") if sl.phi_min.min() < 0 < sl.phi_min.max() else pv.PolyData()
    return plane, lines
