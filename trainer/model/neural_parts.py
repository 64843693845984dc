"""NeuralParts: encoder + primitive embedding + conditional flow = a few deformable spheres."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch
from torch import nn

from ..config import ConfigError, load_config
from .encoders import Encoder, build_encoder
from .flow import ConditionalNVP, Conditioning
from .sphere import sample_sphere, sphere_mesh

PartMesh = tuple[np.ndarray, np.ndarray]  # (vertices (V, 3) float32, faces (T, 3) int64)

# Points per flow pass when no gradient is needed: keeps the (points x M x 2H) activations
# cache-sized, which measured faster on CPU than one pass over everything (benchmarks/).
INFERENCE_CHUNK = 1024


def _require(section: Mapping[str, Any], key: str, allowed: tuple[str, ...], where: str) -> None:
    value = section.get(key)
    if value not in allowed:
        raise ConfigError(f"{where}.{key} is {value!r}; this model supports {', '.join(allowed)}")


class NeuralParts(nn.Module):
    """The Neural Parts model (Paschalidou et al., CVPR 2021) in the published layout.

    Shapes: B batch, M primitives, f feature size, N/S points. All points are in the
    normalised frame of the training data.
    """

    def __init__(self, config: Mapping[str, Any]):
        super().__init__()
        cfg = load_config(config)
        net, enc = cfg["network"], cfg["feature_extractor"]
        flow, proj = cfg["invertible_network"], cfg["projection_layer"]
        _require(net, "type", ("flexible_primitives",), "network")
        _require(flow, "type", ("simple_nvp",), "invertible_network")
        _require(proj, "type", ("simple",), "projection_layer")
        if int(cfg["data"].get("input_dims", 3)) != 3:
            raise ConfigError("data.input_dims must be 3 for 3D shapes")
        self.config = cfg
        self.n_primitives = int(net["n_primitives"])
        self.sphere_radius = float(net["sphere_radius"])
        self.feature_extractor: Encoder = build_encoder(enc)
        self.feature_size = self.feature_extractor.feature_size
        self.primitive_embedding = nn.Parameter(torch.randn(self.n_primitives, self.feature_size))
        self.invertible_network = ConditionalNVP(
            n_blocks=int(flow["n_blocks"]), feature_dims=2 * self.feature_size,
            hidden_size=int(flow["hidden_size"]), proj_dims=int(proj["proj_dims"]),
            normalize=bool(flow["normalize"]), explicit_affine=bool(flow["explicit_affine"]),
            checkpoint=bool(flow.get("checkpoint", False)),
        )
        self.dropout = nn.Dropout(p=0.5) if net.get("with_dropout") else None

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> "NeuralParts":
        return cls(cfg)

    @property
    def input_kind(self) -> str:
        """What ``encode`` takes: "points", "image" or "voxels"."""
        return self.feature_extractor.input_kind

    @property
    def device(self) -> torch.device:
        return self.primitive_embedding.device

    # --- features -------------------------------------------------------------------
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Encoder output (B, f)."""
        return self.feature_extractor(x)

    def primitive_features(self, encoder_output: torch.Tensor) -> torch.Tensor:
        """F (B, M, 2f) = concat(encoder output, primitive_embedding[m]), encoder part first."""
        if self.dropout is not None:
            encoder_output = self.dropout(encoder_output)
        B, M = encoder_output.shape[0], self.n_primitives
        shared = encoder_output[:, None].expand(B, M, -1)
        return torch.cat([shared, self.primitive_embedding[None].expand(B, -1, -1)], dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Per-primitive features for an input batch (what DDP wraps)."""
        return self.primitive_features(self.encode(x))

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
