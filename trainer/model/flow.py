"""The conditional Real-NVP flow that deforms each primitive's sphere (published layout).

Module and parameter names follow the authors' state dicts exactly (``_projection.proj``,
``layers.{i}.map_s/map_t/mask/projection``, ``scales``, ``rotations``, ``translations``)
so published checkpoints load with ``strict=True``.

Speed: the first Linear of each coupling MLP sees ``concat(F, P(y))``. Its F half is the
same for every point of a primitive, so :meth:`CouplingLayer.feature_term` computes it
once per primitive (for map_s and map_t together) and points only pay for the P(y) half,
added by broadcasting instead of expanding and concatenating F per point. The per-primitive
quantities (:class:`Conditioning`) can be aligned with a dense (B, N, M) point layout or
with a list of (batch item, primitive) pairs, so that training can differentiate only the
pairs a loss reads (``trainer/training/predictions.py``).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as fn
from torch.utils.checkpoint import checkpoint as activation_checkpoint

from .rotations import quaternion_to_matrix


class Projection(nn.Module):
    """P(v) = Linear(2p -> p)(ReLU(Linear(3 -> 2p)(v))), shared by all coupling layers."""

    def __init__(self, proj_dims: int, input_dims: int = 3):
        super().__init__()
        self.proj_dims = proj_dims
        self.proj = nn.Sequential(
            nn.Linear(input_dims, 2 * proj_dims), nn.ReLU(), nn.Linear(2 * proj_dims, proj_dims)
        )

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return self.proj(v)


def _coupling_mlp(in_dims: int, hidden: int, out_dims: int, clamp: bool) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Linear(in_dims, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
        nn.Linear(hidden, out_dims),
    ]
    if clamp:  # map_s ends in Hardtanh(-10, 10) so exp(+-s) stays finite
        layers.append(nn.Hardtanh(min_val=-10.0, max_val=10.0))
    return nn.Sequential(*layers)


class CouplingLayer(nn.Module):
    """Affine coupling: the masked coordinates condition a scale and shift of the rest."""

    def __init__(self, feature_dims: int, hidden: int, projection: Projection, mask: torch.Tensor):
        super().__init__()
        in_dims = projection.proj_dims + feature_dims
        self.feature_dims = feature_dims
        self.map_s = _coupling_mlp(in_dims, hidden, 3, clamp=True)
        self.map_t = _coupling_mlp(in_dims, hidden, 3, clamp=False)
        self.projection = projection
        self.register_buffer("mask", mask.reshape(1, 1, 1, 3).float())

    def feature_term(self, F: torch.Tensor) -> torch.Tensor:
        """First-layer pre-activations from F alone, (B, M, 2H): map_s's then map_t's."""
        f = self.feature_dims
        weight = torch.cat([self.map_s[0].weight[:, :f], self.map_t[0].weight[:, :f]])
        bias = torch.cat([self.map_s[0].bias, self.map_t[0].bias])
        return fn.linear(F, weight, bias)

    def scale_shift(self, feature_term: torch.Tensor, v_masked: torch.Tensor):
        """(s, t) for masked points (..., 3) given :meth:`feature_term` aligned with them
        (broadcastable to (..., 2H): (B, 1, M, 2H) for (B, N, M) points, (K, 2H) for pairs).

        The s and t branches run as separate matmuls on the shared projection: slicing one
        fused (.., 2H) activation instead made every backward fill and copy a zero tensor
        of that size (the fill alone: 11.5% of a CPU training step, profiled).
        """
        f = self.feature_dims
        hidden = self.map_s[2].weight.shape[0]
        p = self.projection(v_masked)
        hs = fn.linear(p, self.map_s[0].weight[:, f:]).add_(feature_term[..., :hidden]).relu_()
        ht = fn.linear(p, self.map_t[0].weight[:, f:]).add_(feature_term[..., hidden:]).relu_()
        s = fn.linear(hs, self.map_s[2].weight, self.map_s[2].bias).relu_()
        s = fn.linear(s, self.map_s[4].weight, self.map_s[4].bias).clamp_(-10.0, 10.0)
        t = fn.linear(ht, self.map_t[2].weight, self.map_t[2].bias).relu_()
        t = fn.linear(t, self.map_t[4].weight, self.map_t[4].bias)
        return s, t

    def forward(self, feature_term: torch.Tensor, y: torch.Tensor):
        """Sphere side -> shape side; returns (x, log|det dx/dy|) per point."""
        mask = self.mask.view(3)  # stored (1, 1, 1, 3) as published; points may be (..., 3)
        y1 = y * mask
        s, t = self.scale_shift(feature_term, y1)
        x = y1 + (1 - mask) * ((y - t) * torch.exp(-s))
        return x, (-s).sum(-1)

    def inverse(self, feature_term: torch.Tensor, x: torch.Tensor):
        """Shape side -> sphere side; the log-determinant sums s over all three axes, as published."""
        mask = self.mask.view(3)
        x1 = x * mask
        s, t = self.scale_shift(feature_term, x1)
        y = x1 + (1 - mask) * (x * torch.exp(s) + t)
        return y, s.sum(-1)


@dataclass
class Conditioning:
    """Everything about the flow that depends on the per-primitive features only.

    As made by :meth:`ConditionalNVP.condition` every tensor is per primitive, (B, M, ...);
    :meth:`per_point` and :meth:`pairs` align them with a point layout."""

    feature_terms: list[torch.Tensor]      # per layer (B, M, 2H)
    sigma: torch.Tensor | None             # (B, M, 3) per-axis scale, divides on the way out
    rotation: torch.Tensor | None          # (B, M, 3, 3), applied to row vectors
    translation: torch.Tensor | None       # (B, M, 3)

    def _map(self, fn_) -> "Conditioning":
        opt = lambda t: None if t is None else fn_(t)  # noqa: E731
        return Conditioning([fn_(t) for t in self.feature_terms], opt(self.sigma), opt(self.rotation),
                            opt(self.translation))

    def per_point(self) -> "Conditioning":
        """Aligned with (B, N, M) point layouts: (B, 1, M, ...)."""
        return self._map(lambda t: t.unsqueeze(1))

    def pairs(self, batch_index: torch.Tensor, primitive_index: torch.Tensor) -> "Conditioning":
        """Aligned with K (batch item, primitive) pairs: (K, ...)."""
        return self._map(lambda t: t[batch_index, primitive_index])


def _head(in_dims: int, hidden: int, out_dims: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dims, hidden), nn.ReLU(), nn.Linear(hidden, out_dims))


def default_mask(layer: int) -> torch.Tensor:
    """Two ones and one zero; the transformed axis cycles x, y, z so every axis bends."""
    mask = torch.ones(3)
    mask[layer % 3] = 0.0
    return mask


class ConditionalNVP(nn.Module):
    """The published ``simple_nvp`` invertible network, conditioned on F (B, M, 2f)."""

    def __init__(
        self, n_blocks: int, feature_dims: int, hidden_size: int, proj_dims: int,
        normalize: bool = True, explicit_affine: bool = True, checkpoint: bool = False,
    ):
        super().__init__()
        self._checkpoint = checkpoint
        self._projection = Projection(proj_dims)
        self.layers = nn.ModuleList(
            CouplingLayer(feature_dims, hidden_size, self._projection, default_mask(i))
            for i in range(n_blocks)
        )
        self.scales = _head(feature_dims, hidden_size, 3) if normalize else None
        self.rotations = _head(feature_dims, hidden_size, 4) if explicit_affine else None
        self.translations = _head(feature_dims, hidden_size, 3) if explicit_affine else None

    def condition(self, F: torch.Tensor) -> Conditioning:
        sigma = rotation = translation = None
        if self.scales is not None:
            sigma = fn.elu(self.scales(F)) + 1
        if self.rotations is not None:
            q = self.rotations(F)
            q = q / torch.sqrt((q * q).sum(-1, keepdim=True))
            rotation = quaternion_to_matrix(q)
            translation = self.translations(F)
        return Conditioning([layer.feature_term(F) for layer in self.layers], sigma, rotation, translation)

    def _run(self, fn_, *args):
        if self._checkpoint and torch.is_grad_enabled():
            return activation_checkpoint(fn_, *args, use_reentrant=False)
        return fn_(*args)

    def forward(self, F: torch.Tensor, y: torch.Tensor, cond: Conditioning | None = None) -> torch.Tensor:
        """Sphere points y (B, S, M, 3) -> world points (B, S, M, 3)."""
        return self.forward_aligned((cond or self.condition(F)).per_point(), y)

    def inverse(self, F: torch.Tensor, x: torch.Tensor, cond: Conditioning | None = None):
        """World points x (B, N, M, 3) -> (sphere-side points (B, N, M, 3), log-det (B, N, M))."""
        return self.inverse_aligned((cond or self.condition(F)).per_point(), x)

    def forward_aligned(self, cond: Conditioning, y: torch.Tensor) -> torch.Tensor:
        """Sphere -> world for points (..., 3) with ``cond`` aligned to them (see Conditioning)."""
        x = y
        for layer, term in zip(self.layers, cond.feature_terms):
            x, _ = self._run(layer.forward, term, x)
        if cond.sigma is not None:
            x = x / cond.sigma
        if cond.rotation is not None:  # row vector times R, x_j = sum_i x_i R_ij
            x = (x.unsqueeze(-1) * cond.rotation).sum(-2) + cond.translation
        return x

    def inverse_aligned(self, cond: Conditioning, x: torch.Tensor):
        """World -> sphere for points (..., 3) with ``cond`` aligned to them; (latent, log-det)."""
        y = x
        if cond.rotation is not None:  # (x - t) R^T, y_i = sum_j (x - t)_j R_ij
            y = ((y - cond.translation).unsqueeze(-2) * cond.rotation).sum(-1)
        if cond.sigma is not None:
            y = y * cond.sigma
        logdet = torch.zeros(y.shape[:-1], dtype=y.dtype, device=y.device)
        for layer, term in zip(reversed(self.layers), reversed(cond.feature_terms)):
            y, layer_logdet = self._run(layer.inverse, term, y)
            logdet = logdet + layer_logdet
        return y, logdet
