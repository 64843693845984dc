"""The per-point formulation of the flow (as the published code computes it).

Every point gets ``concat(F, P(y))`` built by expanding F and concatenating, and map_s and
map_t run separately on it. Kept as a correctness oracle for the fast path in ``flow.py``
and as the baseline in ``benchmarks/bench_model.py``; the product never calls it.
"""
from __future__ import annotations

import torch

from .flow import ConditionalNVP


def _scale_shift(layer, F_points: torch.Tensor, v_masked: torch.Tensor):
    h = torch.cat([F_points, layer.projection(v_masked)], dim=-1)
    return layer.map_s(h), layer.map_t(h)


def plain_inverse(flow: ConditionalNVP, F: torch.Tensor, x: torch.Tensor):
    """World (B, N, M, 3) -> (sphere side, log-det), computing everything per point."""
    cond = flow.condition(F)  # affine heads are per primitive in both formulations
    F_points = F[:, None].expand(-1, x.shape[1], -1, -1)
    y = x
    if cond.rotation is not None:
        y = torch.matmul((y - cond.translation[:, None]).unsqueeze(-2),
                         cond.rotation[:, None].transpose(-2, -1)).squeeze(-2)
    if cond.sigma is not None:
        y = y * cond.sigma[:, None]
    logdet = 0
    for layer in reversed(flow.layers):
        y1 = y * layer.mask
        s, t = _scale_shift(layer, F_points, y1)
        y = y1 + (1 - layer.mask) * (y * torch.exp(s) + t)
        logdet = logdet + s.sum(-1)
    return y, logdet


def plain_forward(flow: ConditionalNVP, F: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Sphere (B, S, M, 3) -> world, computing everything per point."""
    cond = flow.condition(F)
    F_points = F[:, None].expand(-1, y.shape[1], -1, -1)
    x = y
    for layer in flow.layers:
        x1 = x * layer.mask
        s, t = _scale_shift(layer, F_points, x1)
        x = x1 + (1 - layer.mask) * ((x - t) * torch.exp(-s))
    if cond.sigma is not None:
        x = x / cond.sigma[:, None]
    if cond.rotation is not None:
        x = torch.matmul(x.unsqueeze(-2), cond.rotation[:, None]).squeeze(-2) + cond.translation[:, None]
    return x


def plain_implicit(flow: ConditionalNVP, F: torch.Tensor, x: torch.Tensor, radius: float) -> torch.Tensor:
    """phi (B, N, M) for world points x (B, N, 3)."""
    xm = x[:, :, None].expand(-1, -1, F.shape[1], -1)
    latent, _ = plain_inverse(flow, F, xm)
    return latent.norm(dim=-1) - radius
