"""Normal consistency: the gradient of the owning primitive's implicit function at a
target surface point should point along the target's normal.

The owner of a surface point is the primitive whose surface is nearest in phi,
argmin_m phi_m(x)^2 (no gradient flows through the choice, so the training step
differentiates the owner's phi alone: see ``trainer.training.predictions``). The predicted normal is d phi_owner / dx (normalised); the loss
is mean(1 - <n_target, n_pred>). Needs ``surface_points`` with requires_grad and
``phi_surface`` computed from them.
"""
from __future__ import annotations

from typing import Any, Mapping

import torch


def owner_phi(phi_surface: torch.Tensor) -> torch.Tensor:
    """phi of each surface point's owning primitive, (B, N), from phi (B, N, M)."""
    owner = (phi_surface ** 2).argmin(-1, keepdim=True)
    return torch.gather(phi_surface, -1, owner)[..., 0]


def predicted_normals(phi_owner: torch.Tensor, surface_points: torch.Tensor) -> torch.Tensor:
    """Unit gradient of the owning primitive's phi (B, N) at each surface point, (B, N, 3)."""
    (grad,) = torch.autograd.grad(
        phi_owner.sum(), surface_points, retain_graph=True, create_graph=True
    )
    norm = torch.linalg.vector_norm(grad, dim=-1, keepdim=True).clamp_min(1e-12)
    return grad / norm


def normal_consistency_loss(
    predictions: Mapping[str, torch.Tensor],
    targets: Mapping[str, torch.Tensor],
    config: Mapping[str, Any],
) -> torch.Tensor:
    """Reads ``phi_surface_owner`` (what the training step computes: only the owner is
    differentiated) or else takes the owner from ``phi_surface``."""
    phi_owner = predictions.get("phi_surface_owner")
    if phi_owner is None:
        phi_owner = owner_phi(predictions["phi_surface"])
    normals = predicted_normals(phi_owner, targets["surface_points"])
    return (1.0 - (targets["surface_normals"] * normals).sum(-1)).mean()
