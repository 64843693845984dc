"""Normal consistency: the gradient of the owning primitive's implicit function at a
target surface point should point along the target's normal.

The owner of a surface point is the primitive whose surface is nearest in phi,
argmin_m phi_m(x)^2. The predicted normal is d phi_owner / dx (normalised); the loss
is mean(1 - <n_target, n_pred>). Needs ``surface_points`` with requires_grad and
``phi_surface`` computed from them.
"""
from __future__ import annotations

from typing import Any, Mapping

import torch


def predicted_normals(phi_surface: torch.Tensor, surface_points: torch.Tensor) -> torch.Tensor:
    """Unit gradient of the owning primitive's phi at each surface point, (B, N, 3)."""
    owner = (phi_surface ** 2).argmin(-1, keepdim=True)
    phi_owner = torch.gather(phi_surface, -1, owner)[..., 0]
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
    normals = predicted_normals(predictions["phi_surface"], targets["surface_points"])
    return (1.0 - (targets["surface_normals"] * normals).sum(-1)).mean()
