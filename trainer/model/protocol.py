"""What the rest of the code needs from a primitive model, whatever its primitive type.

Training, fitting, evaluation, inference, export and the viewer call only these members,
so a new primitive type is one module implementing them plus one line in
``registry.MODEL_TYPES``. Shapes: B batch, M primitives, N/S points, D feature size.
All points are in the normalised frame of the training data.
"""
from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

PartMesh = tuple[np.ndarray, np.ndarray]  # (vertices (V, 3) float32, faces (T, 3) int64)


@runtime_checkable
class PrimitiveModel(Protocol):
    """An ``nn.Module`` that turns an encoder input into M primitives with an implicit and
    an explicit side.

    Per-primitive features F (B, M, D) are ``concat(encoder output, primitive embedding[m])``
    for every type (see ``features.PrimitiveFeatures``), so a linear blend of two shapes'
    F is the blend of their encodings and is itself valid input to every method below.
    """

    config: dict[str, Any]   # the full config (defaults filled in) the model was built from
    n_primitives: int

    @property
    def input_kind(self) -> str:
        """What :meth:`encode` takes: "points" (B, N, 3), "image" (B, 3, H, W) or "voxels"."""
        ...

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Encoder output (B, f)."""
        ...

    def primitive_features(self, encoder_output: torch.Tensor) -> torch.Tensor:
        """F (B, M, D) from the encoder output; ``model(x)`` is ``primitive_features(encode(x))``."""
        ...

    def condition(self, F: torch.Tensor) -> Any:
        """Everything that depends on F only (poses, sizes, flow terms); pass it as ``cond``
        to :meth:`implicit` and :meth:`sample_surface` to compute it once per step."""
        ...

    def implicit(self, F: torch.Tensor, x: torch.Tensor, chunk_size: int | None | str = "auto",
                 cond: Any = None) -> torch.Tensor:
        """phi (B, N, M) at world points x (B, N, 3): negative inside primitive m, zero on its
        surface, about a world-space distance near it (so ``loss.sharpness`` means the same
        for every type); differentiable in F and x (the normal loss takes d phi / d x)."""
        ...

    def implicit_for_loss(self, F: torch.Tensor, x: torch.Tensor, cond: Any = None) -> torch.Tensor:
        """``implicit`` as a training step differentiates it (same values and gradients; a type
        may make the backward cheaper). ``features.PrimitiveFeatures`` has the plain default."""
        ...

    def implicit_of_owner(self, F: torch.Tensor, x: torch.Tensor, owner: torch.Tensor,
                          cond: Any = None) -> torch.Tensor:
        """phi (B, N) of primitive ``owner[b, n]`` at x[b, n], twice differentiable in x."""
        ...

    def sample_surface(self, F: torch.Tensor, n_points: int, cond: Any = None,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        """(B, S, M, 3) random points on each primitive's surface, differentiable in F; uses
        the global torch RNG unless ``generator`` is given."""
        ...

    def primitive_meshes(self, F: torch.Tensor, resolution: int = 3) -> list[list[PartMesh]]:
        """For each batch item, M closed genus-0 meshes (outward faces); ``resolution`` 0..7
        sets the detail (level r has about 10 * 4**r vertices per primitive)."""
        ...

    def describe(self) -> dict[str, Any]:
        """Plain facts for summaries: type, primitives, encoder, feature size, and a one-line
        "primitive" description (plus type-specific keys)."""
        ...
