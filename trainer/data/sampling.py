"""Seeded point sampling on and around a mesh."""
from __future__ import annotations

import numpy as np
import trimesh

# Default padding of the uniform-sampling box around the normalised shape ([-0.5, 0.5]^3).
DEFAULT_PADDING = 0.05
# Standard deviations (normalised units) of the Gaussian offsets for near-surface samples.
NEAR_SURFACE_SIGMAS: tuple[float, ...] = (0.01, 0.05)


def sample_surface(mesh: trimesh.Trimesh, n: int, seed: int | np.random.Generator = 0
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Area-uniform points on the surface: (points (n,3), unit face normals (n,3), face index (n,))."""
    rng = np.random.default_rng(seed)
    tris = np.asarray(mesh.triangles, dtype=np.float64)
    areas = np.asarray(mesh.area_faces, dtype=np.float64)
    total = areas.sum()
    if n <= 0 or len(tris) == 0 or not total > 0:
        return (np.zeros((0, 3)), np.zeros((0, 3)), np.zeros((0,), dtype=np.int64))
    cdf = np.cumsum(areas)
    face = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
    face = np.minimum(face, len(tris) - 1).astype(np.int64)
    u, v = rng.random(n), rng.random(n)
    flip = u + v > 1.0
    u[flip], v[flip] = 1.0 - u[flip], 1.0 - v[flip]
    t = tris[face]
    points = t[:, 0] + u[:, None] * (t[:, 1] - t[:, 0]) + v[:, None] * (t[:, 2] - t[:, 0])
    normals = np.asarray(mesh.face_normals, dtype=np.float64)[face]
    return points, normals, face


def sample_uniform_box(n: int, seed: int | np.random.Generator = 0,
                       padding: float = DEFAULT_PADDING) -> np.ndarray:
    """Uniform points in the padded normalised box [-0.5 - padding, 0.5 + padding]^3."""
    rng = np.random.default_rng(seed)
    half = 0.5 + padding
    return rng.uniform(-half, half, size=(n, 3))


def sample_near_surface(mesh: trimesh.Trimesh, n: int, seed: int | np.random.Generator = 0,
                        sigmas: tuple[float, ...] = NEAR_SURFACE_SIGMAS) -> np.ndarray:
    """Surface points displaced by isotropic Gaussian noise, split evenly over ``sigmas``."""
    rng = np.random.default_rng(seed)
    points, _, _ = sample_surface(mesh, n, rng)
    scale = np.asarray(sigmas, dtype=np.float64)[np.arange(n) % len(sigmas)]
    return points + rng.normal(size=(n, 3)) * scale[:, None]
