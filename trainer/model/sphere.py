"""The sphere every primitive starts from: a triangulated mesh and random surface samples."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import trimesh

MAX_RESOLUTION = 7  # 163,842 vertices per primitive; beyond that memory, not quality, dominates


@lru_cache(maxsize=None)
def _unit_icosphere(resolution: int) -> tuple[np.ndarray, np.ndarray]:
    sphere = trimesh.creation.icosphere(subdivisions=resolution, radius=1.0)
    vertices = np.ascontiguousarray(sphere.vertices, dtype=np.float32)
    faces = np.ascontiguousarray(sphere.faces, dtype=np.int64)
    vertices.setflags(write=False)
    faces.setflags(write=False)
    return vertices, faces


def sphere_mesh(resolution: int, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Icosphere of the given subdivision level: (V, 3) float32 vertices, (T, 3) int64 faces.

    Level r has 10 * 4**r + 2 vertices (3 -> 642, 4 -> 2562, 5 -> 10242). Icospheres are
    used rather than the published UV sphere because their vertices are near-uniform,
    so part meshes have no pinched poles.
    """
    if not 0 <= int(resolution) <= MAX_RESOLUTION:
        raise ValueError(f"mesh resolution must be in 0..{MAX_RESOLUTION}, got {resolution}")
    vertices, faces = _unit_icosphere(int(resolution))
    return vertices * np.float32(radius), faces.copy()


def sample_sphere(
    shape: tuple[int, ...], radius: float, device: torch.device | str = "cpu",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Points uniform on the sphere of ``radius``: a tensor of ``shape + (3,)``."""
    y = torch.randn(*shape, 3, device=device, generator=generator)
    return y * (radius / y.norm(dim=-1, keepdim=True).clamp_min(1e-12))
