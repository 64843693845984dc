"""Shared machinery of the analytic primitive types (superquadrics, cuboids).

Each primitive's size, rotation, translation (and any shape parameters) are regressed
from its features F by small per-primitive heads, the way the flow's affine heads are.
A primitive's own frame relates to the world as in the flow, with ROW vectors:
``world = local @ R + t`` and ``local = (world - t) @ R^T``.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import torch
from torch import nn

from ..config import DEFAULTS
from .features import PrimitiveFeatures, chunked
from .protocol import PartMesh
from .rotations import quaternion_to_matrix

DEFAULT_HEAD_HIDDEN = 128     # network.head_hidden_size (ours)
MIN_HALF_SIZE = 0.02          # half-sizes in (MIN, MIN + SPAN): the data lives in [-0.5, 0.5]^3
HALF_SIZE_SPAN = 0.5
FLOW_SECTIONS = ("invertible_network", "projection_layer")   # config sections these types have no use for
# Points per pass when no gradient is needed: bounds the (B, N, M, 3) temporaries.
INFERENCE_CHUNK = 16384


@dataclass
class Placement:
    """Per-primitive quantities that depend on F only, (B, M, ...)."""

    size: torch.Tensor          # (B, M, 3) half-sizes along the primitive's own axes
    rotation: torch.Tensor      # (B, M, 3, 3), applied to row vectors
    translation: torch.Tensor   # (B, M, 3)
    shape: torch.Tensor | None  # (B, M, K) type-specific parameters (superquadric exponents)


def to_local(x: torch.Tensor, p: Placement) -> torch.Tensor:
    """World points (B, N, 3) -> each primitive's frame, (B, N, M, 3)."""
    return torch.einsum("bnmj,bmij->bnmi", x[:, :, None] - p.translation[:, None], p.rotation)


def to_world(local: torch.Tensor, p: Placement) -> torch.Tensor:
    """Primitive-frame points (B, S, M, 3) -> world (B, S, M, 3)."""
    return torch.einsum("bnmi,bmij->bnmj", local, p.rotation) + p.translation[:, None]


def full_precision(t: torch.Tensor):
    """Autocast off: the closed forms take logs, powers and small differences, kept in float32
    under mixed-precision training (the heads are tiny, so this costs nothing measurable)."""
    return torch.autocast(t.device.type, enabled=False)


def _head(in_dims: int, hidden: int, out_dims: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dims, hidden), nn.ReLU(), nn.Linear(hidden, out_dims))


class AnalyticPrimitives(PrimitiveFeatures):
    """Base of primitive types with a closed-form surface; subclasses give the maths in the
    primitive's frame: :meth:`local_distance`, :meth:`local_surface`, :meth:`local_mesh`."""

    n_shape_params = 0
    primitive_name = "primitive"

    def __init__(self, config: Mapping[str, Any]):
        super().__init__(config)
        changed = [k for k in FLOW_SECTIONS if self.config.get(k) != DEFAULTS[k]]
        if changed:  # say so rather than ignore the user's settings silently
            warnings.warn(f"network.type {self.config['network']['type']} has no flow: the config's "
                          f"{' and '.join(changed)} settings are not used", stacklevel=2)
        hidden = int(self.config["network"].get("head_hidden_size", DEFAULT_HEAD_HIDDEN))
        dims = 2 * self.feature_size
        self.head_hidden_size = hidden
        self.sizes = _head(dims, hidden, 3)
        self.rotations = _head(dims, hidden, 4)
        self.translations = _head(dims, hidden, 3)
        self.shapes = _head(dims, hidden, self.n_shape_params) if self.n_shape_params else None
        with torch.no_grad():  # start near the identity rotation: axis-aligned primitives
            self.rotations[2].bias.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0]))

    # --- what subclasses define -------------------------------------------------------------
    def shape_parameters(self, raw: torch.Tensor) -> torch.Tensor:
        """Head output (B, M, K) -> the type's shape parameters (e.g. squashed exponents)."""
        raise NotImplementedError

    def local_distance(self, local: torch.Tensor, p: Placement) -> torch.Tensor:
        """Signed distance-like phi (B, N, M), negative inside, for points in each frame."""
        raise NotImplementedError

    def local_surface(self, p: Placement, n_points: int, generator: torch.Generator | None) -> torch.Tensor:
        """(B, S, M, 3) random surface points in each frame, differentiable in ``p``."""
        raise NotImplementedError

    def local_mesh(self, p: Placement, resolution: int) -> tuple[torch.Tensor, np.ndarray]:
        """(vertices (B, V, M, 3) in each frame, faces (T, 3) int64), closed and genus 0."""
        raise NotImplementedError

    # --- the protocol -----------------------------------------------------------------------
    def condition(self, F: torch.Tensor) -> Placement:
        with full_precision(F):
            return self._condition(F.float())

    def _condition(self, F: torch.Tensor) -> Placement:
        q = self.rotations(F)
        q = q / torch.linalg.vector_norm(q, dim=-1, keepdim=True).clamp_min(1e-8)
        size = MIN_HALF_SIZE + HALF_SIZE_SPAN * torch.sigmoid(self.sizes(F))
        shape = self.shape_parameters(self.shapes(F)) if self.shapes is not None else None
        return Placement(size, quaternion_to_matrix(q), self.translations(F), shape)

    def implicit(self, F: torch.Tensor, x: torch.Tensor, chunk_size: int | None | str = "auto",
                 cond: Placement | None = None) -> torch.Tensor:
        """phi (B, N, M): the primitive's signed distance-like function, negative inside."""
        if chunk_size == "auto":
            chunk_size = None if torch.is_grad_enabled() else INFERENCE_CHUNK
        p = cond or self.condition(F)
        with full_precision(x):
            return chunked(lambda part: self.local_distance(to_local(part.float(), p), p), x, chunk_size)

    def sample_surface(self, F: torch.Tensor, n_points: int, cond: Placement | None = None,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        p = cond or self.condition(F)
        with full_precision(F):
            return to_world(self.local_surface(p, n_points, generator), p)

    def primitive_meshes(self, F: torch.Tensor, resolution: int = 3) -> list[list[PartMesh]]:
        with torch.no_grad():
            p = self.condition(F)
            local, faces = self.local_mesh(p, int(resolution))
            world = to_world(local, p).float().cpu().numpy()
        return [[(np.ascontiguousarray(world[b, :, m]), faces.copy()) for m in range(self.n_primitives)]
                for b in range(F.shape[0])]

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "primitive": self.primitive_name, "head hidden size": self.head_hidden_size}
