"""NeuralParts: encoder + primitive embedding + conditional flow = a few deformable spheres."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch

from ..config import ConfigError, load_config
from .features import PrimitiveFeatures
from .flow import ConditionalNVP, Conditioning
from .protocol import PartMesh
from .sparse_implicit import implicit_sparse_backward
from .sphere import sample_sphere, sphere_mesh

# Points per flow pass when no gradient is needed: keeps the (points x M x 2H) activations
# cache-sized, which measured faster on CPU than one pass over everything (benchmarks/).
INFERENCE_CHUNK = 1024


def _require(section: Mapping[str, Any], key: str, allowed: tuple[str, ...], where: str) -> None:
    value = section.get(key)
    if value not in allowed:
        raise ConfigError(f"{where}.{key} is {value!r}; this model supports {', '.join(allowed)}")


class NeuralParts(PrimitiveFeatures):
    """The Neural Parts model (Paschalidou et al., CVPR 2021) in the published layout.

    Shapes: B batch, M primitives, f feature size, N/S points. All points are in the
    normalised frame of the training data. With zero coupling layers each primitive is an
    ellipsoid (sphere scaled per axis, rotated, translated).
    """

    def __init__(self, config: Mapping[str, Any]):
        cfg = load_config(config)
        net, flow, proj = cfg["network"], cfg["invertible_network"], cfg["projection_layer"]
        _require(net, "type", ("flexible_primitives",), "network")
        _require(flow, "type", ("simple_nvp",), "invertible_network")
        _require(proj, "type", ("simple",), "projection_layer")
        super().__init__(cfg)
        self.sphere_radius = float(net["sphere_radius"])
        self.invertible_network = ConditionalNVP(
            n_blocks=int(flow["n_blocks"]), feature_dims=2 * self.feature_size,
            hidden_size=int(flow["hidden_size"]), proj_dims=int(proj["proj_dims"]),
            normalize=bool(flow["normalize"]), explicit_affine=bool(flow["explicit_affine"]),
            checkpoint=bool(flow.get("checkpoint", False)),
        )

    def describe(self) -> dict[str, Any]:
        flow = self.config["invertible_network"]
        blocks, hidden = int(flow["n_blocks"]), int(flow["hidden_size"])
        primitive = (f"sphere deformed by {blocks} coupling layers (hidden {hidden})" if blocks
                     else "ellipsoid (sphere with 0 coupling layers)")
        return {**super().describe(), "primitive": primitive, "coupling layers": blocks, "hidden size": hidden}

    def condition(self, F: torch.Tensor) -> Conditioning:
        """Per-primitive flow quantities; pass to the maps below to reuse across calls."""
        return self.invertible_network.condition(F)

    # --- explicit side: sphere -> world ---------------------------------------------------
    def sphere_to_world(self, F: torch.Tensor, y: torch.Tensor, cond: Conditioning | None = None) -> torch.Tensor:
        """World images (B, S, M, 3) of sphere points y (B, S, M, 3)."""
        return self.invertible_network(F, y, cond)

    def sample_sphere(self, batch: int, n_points: int, device: torch.device | str | None = None,
                      generator: torch.Generator | None = None) -> torch.Tensor:
        """Random points on the radius-r sphere, (B, S, M, 3)."""
        return sample_sphere((batch, n_points, self.n_primitives), self.sphere_radius,
                             device or self.device, generator)

    def sample_surface(self, F: torch.Tensor, n_points: int, cond: Conditioning | None = None,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        """World images (B, S, M, 3) of random sphere points: differentiable surface samples."""
        y = self.sample_sphere(F.shape[0], n_points, F.device, generator)
        return self.sphere_to_world(F, y.to(F.dtype), cond)

    def primitive_meshes(self, F: torch.Tensor, resolution: int = 3) -> list[list[PartMesh]]:
        """For each batch item, M closed genus-0 meshes: the icosphere pushed through the flow."""
        vertices, faces = sphere_mesh(resolution, self.sphere_radius)
        y = torch.from_numpy(vertices).to(F.device, F.dtype)
        y = y[None, :, None].expand(F.shape[0], -1, self.n_primitives, -1)
        with torch.no_grad():
            cond = self.condition(F)
            world = torch.cat([self.sphere_to_world(F, part, cond) for part in y.split(INFERENCE_CHUNK, dim=1)], 1)
            world = world.float().cpu().numpy()
        return [[(np.ascontiguousarray(world[b, :, m]), faces) for m in range(self.n_primitives)]
                for b in range(F.shape[0])]

    # --- implicit side: world -> sphere -----------------------------------------------------
    def world_to_sphere(self, F: torch.Tensor, x: torch.Tensor, cond: Conditioning | None = None):
        """(latent (B, N, M, 3), log-det (B, N, M)) for world points x (B, N, 3)."""
        xm = x[:, :, None].expand(-1, -1, self.n_primitives, -1)
        return self.invertible_network.inverse(F, xm, cond)

    def implicit(self, F: torch.Tensor, x: torch.Tensor, chunk_size: int | None | str = "auto",
                 cond: Conditioning | None = None) -> torch.Tensor:
        """phi (B, N, M) = |inverse_m(x)| - r: negative inside primitive m.

        ``chunk_size`` bounds how many points go through the flow at once (memory and cache);
        "auto" chunks only when no gradient is needed, None never chunks.
        """
        if chunk_size == "auto":
            chunk_size = None if torch.is_grad_enabled() else INFERENCE_CHUNK
        cond = cond or self.condition(F)
        if chunk_size is None or x.shape[1] <= chunk_size:
            latent, _ = self.world_to_sphere(F, x, cond)
            return latent.norm(dim=-1) - self.sphere_radius
        return torch.cat([self.implicit(F, part, None, cond) for part in x.split(chunk_size, dim=1)], dim=1)

    def implicit_for_loss(self, F: torch.Tensor, x: torch.Tensor, cond: Conditioning | None = None) -> torch.Tensor:
        """``implicit`` whose backward recomputes only the entries a loss reads (``sparse_implicit``)."""
        if not torch.is_grad_enabled():
            return self.implicit(F, x, cond=cond)
        return implicit_sparse_backward(self, cond or self.condition(F), x)

    def implicit_of_owner(self, F: torch.Tensor, x: torch.Tensor, owner: torch.Tensor,
                          cond: Conditioning | None = None) -> torch.Tensor:
        """Only the owner's inverse flow per point (M times less double backward than all M)."""
        cond = cond or self.condition(F)
        items = torch.arange(F.shape[0], device=F.device)[:, None].expand_as(owner)
        latent, _ = self.invertible_network.inverse_aligned(cond.pairs(items, owner), x)
        return latent.norm(dim=-1) - self.sphere_radius
