"""Losses on the implicit function at volume samples (phi_volume (B, V, M), negative
inside). ``sharpness`` turns a signed phi into a logit: inside-probability of primitive
m is sigmoid(-sharpness * phi_m)."""
from __future__ import annotations

from typing import Any, Mapping

import torch
import torch.nn.functional as F


def _sharpness(config: Mapping[str, Any]) -> float:
    return float(config.get("sharpness", 1.0))


def implicit_surface_loss(
    predictions: Mapping[str, torch.Tensor],
    targets: Mapping[str, torch.Tensor],
    config: Mapping[str, Any],
) -> torch.Tensor:
    """Weighted binary cross-entropy of the union's occupancy. The union's logit is the
    max over primitives of -sharpness*phi (or its logsumexp with ``smooth_max``)."""
    logits = -_sharpness(config) * predictions["phi_volume"]
    if config.get("smooth_max", False):
        union = torch.logsumexp(logits, dim=-1)
    else:
        union = logits.max(-1)[0]
    occ = targets["occupancy"].to(union.dtype)
    bce = F.binary_cross_entropy_with_logits(union, occ, reduction="none")
    weights = targets.get("volume_weights")
    if weights is not None:
        bce = weights.to(bce.dtype) * bce
    return bce.mean()


def min_points_loss(
    predictions: Mapping[str, torch.Tensor],
    targets: Mapping[str, torch.Tensor],
    config: Mapping[str, Any],
) -> torch.Tensor:
    """Coverage: each primitive must contain its k most-inside interior target points.
    Exterior points are pushed out of the top-k by a large offset."""
    phi = predictions["phi_volume"]
    k = min(int(config.get("min_n_points", 10)), phi.shape[1])
    occ = targets["occupancy"].to(phi.dtype)
    masked = phi + ((1.0 - occ) * 1e6)[..., None]
    topk = torch.topk(masked, k, dim=1, largest=False, sorted=False)[0]
    inside = torch.sigmoid(-_sharpness(config) * topk)
    return -torch.log(inside + 1e-6).mean()


def non_overlapping_regularizer(
    predictions: Mapping[str, torch.Tensor],
    targets: Mapping[str, torch.Tensor],
    config: Mapping[str, Any],
) -> torch.Tensor:
    """Penalise points that are inside more than ``max_shared_points`` primitives
    (soft count of inside-probabilities)."""
    inside = torch.sigmoid(-_sharpness(config) * predictions["phi_volume"])
    limit = float(config.get("max_shared_points", 2.0))
    return (inside.sum(-1) - limit).relu().mean()
