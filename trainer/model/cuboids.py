"""``network.type: cuboids``: each primitive a box, as in Tulsiani et al., "Learning Shape
Abstractions by Assembling Volumetric Primitives" (CVPR 2017), at a fixed count (their
existence probabilities are left out: the comparison is between families at equal count).

phi is the box's exact signed distance in its frame: with q = |x| - a per axis,
phi = |max(q, 0)| + min(max_i q_i, 0). Surface samples pick a face with probability
proportional to its area and a uniform point on it (differentiable in size and pose);
meshes are closed boxes subdivided ``resolution`` times, so lighting and picking have
vertices to work with across each face.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import trimesh

from .analytic import AnalyticPrimitives, Placement
from .sphere import MAX_RESOLUTION

_TINY = 1e-20     # squared distances below this count as on or inside the box


@lru_cache(maxsize=None)
def _unit_box(resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """The [-1, 1]^3 box surface, each triangle split in 4 ``resolution`` times (12 * 4**r faces)."""
    if not 0 <= resolution <= MAX_RESOLUTION:
        raise ValueError(f"mesh resolution must be in 0..{MAX_RESOLUTION}, got {resolution}")
    box = trimesh.creation.box(extents=(2.0, 2.0, 2.0))
    vertices, faces = box.vertices, box.faces
    for _ in range(resolution):
        vertices, faces = trimesh.remesh.subdivide(vertices, faces)
    vertices = np.ascontiguousarray(vertices, dtype=np.float32)
    faces = np.ascontiguousarray(faces, dtype=np.int64)
    vertices.setflags(write=False)
    faces.setflags(write=False)
    return vertices, faces


class Cuboids(AnalyticPrimitives):
    """Half-sizes (3), rotation, translation."""

    primitive_name = "cuboid (half-sizes, rotation, translation)"

    def local_distance(self, local: torch.Tensor, p: Placement) -> torch.Tensor:
        q = local.abs() - p.size[:, None]
        # |max(q, 0)| with a derivative that is 0, not 0/0, where the point is inside (the norm's
        # backward divides by it, and the normal loss differentiates that again: NaN in training)
        squared = q.clamp_min(0.0).square().sum(-1)
        outside = torch.where(squared > _TINY, squared.clamp_min(_TINY).sqrt(), torch.zeros_like(squared))
        return outside + q.amax(-1).clamp_max(0.0)

    def local_surface(self, p: Placement, n_points: int, generator: torch.Generator | None) -> torch.Tensor:
        B, M = p.size.shape[:2]
        a = p.size
        face_area = torch.stack([a[..., 1] * a[..., 2], a[..., 0] * a[..., 2], a[..., 0] * a[..., 1]], -1)
        axis = torch.multinomial(face_area.detach().reshape(B * M, 3), n_points, replacement=True,
                                 generator=generator).reshape(B, M, n_points).transpose(1, 2)   # (B, S, M)
        shape = (B, n_points, M, 3)
        v = torch.rand(shape, device=a.device, dtype=a.dtype, generator=generator) * 2 - 1
        side = torch.where(torch.rand(shape[:-1], device=a.device, generator=generator) < 0.5, -1.0, 1.0)
        on_face = torch.nn.functional.one_hot(axis, 3).bool()
        v = torch.where(on_face, side[..., None].to(a.dtype), v)
        return v * a[:, None]

    def local_mesh(self, p: Placement, resolution: int) -> tuple[torch.Tensor, np.ndarray]:
        vertices, faces = _unit_box(resolution)
        v = torch.tensor(vertices, device=p.size.device, dtype=p.size.dtype)
        return v[None, :, None] * p.size[:, None], faces
