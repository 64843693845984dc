"""The part every primitive type shares: encoder + primitive embedding -> per-primitive features.

Attribute names are the published ones (``feature_extractor``, ``primitive_embedding``), so
Neural Parts checkpoints keep their state-dict keys.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import torch
from torch import nn

from ..config import ConfigError, load_config
from ..input_kinds import encoder_type
from .encoders import Encoder, build_encoder


class PrimitiveFeatures(nn.Module):
    """F (B, M, 2f) = concat(encoder(x), primitive_embedding[m]), encoder part first."""

    def __init__(self, config: Mapping[str, Any]):
        super().__init__()
        cfg = load_config(config)
        net = cfg["network"]
        if int(cfg["data"].get("input_dims", 3)) != 3:
            raise ConfigError("data.input_dims must be 3 for 3D shapes")
        if int(net["n_primitives"]) < 1:
            raise ConfigError(f"network.n_primitives must be at least 1, got {net['n_primitives']!r}")
        self.config = cfg
        self.n_primitives = int(net["n_primitives"])
        self.feature_extractor: Encoder = build_encoder(cfg["feature_extractor"])
        self.feature_size = self.feature_extractor.feature_size
        self.primitive_embedding = nn.Parameter(torch.randn(self.n_primitives, self.feature_size))
        self.dropout = nn.Dropout(p=0.5) if net.get("with_dropout") else None

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]):
        return cls(cfg)

    @property
    def input_kind(self) -> str:
        """What ``encode`` takes: "points", "image" or "voxels"."""
        return self.feature_extractor.input_kind

    @property
    def device(self) -> torch.device:
        return self.primitive_embedding.device

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

    def implicit_for_loss(self, F: torch.Tensor, x: torch.Tensor, cond: Any = None) -> torch.Tensor:
        """``implicit`` with autograd, as a training step differentiates it; a type may make its
        backward cheaper (same values and gradients)."""
        return self.implicit(F, x, cond=cond)

    def implicit_of_owner(self, F: torch.Tensor, x: torch.Tensor, owner: torch.Tensor,
                          cond: Any = None) -> torch.Tensor:
        """phi (B, N) of primitive ``owner[b, n]`` at x[b, n], differentiable in F and x (twice:
        the normal loss takes d phi / d x). Default: all M with autograd, then the owner's."""
        return torch.gather(self.implicit(F, x, cond=cond), -1, owner[..., None])[..., 0]

    def describe(self) -> dict[str, Any]:
        return {
            "type": str(self.config["network"]["type"]),
            "primitives": self.n_primitives,
            "encoder": encoder_type(self.config),
            "feature size": int(self.feature_size),
        }


def chunked(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, chunk_size: int | None) -> torch.Tensor:
    """``fn(x)`` for x (B, N, ...) computed ``chunk_size`` points at a time along N."""
    if chunk_size is None or x.shape[1] <= chunk_size:
        return fn(x)
    return torch.cat([fn(part) for part in x.split(chunk_size, dim=1)], dim=1)
