"""What the losses read, computed from per-primitive features F (B, M, 2f) through the
primitive-model protocol (``trainer.model.protocol``), for every primitive type.

The model's per-primitive conditioning (for the flow: feature terms of every coupling
layer, scale, rotation, translation) is computed once per step and shared by all point sets.
"""
from __future__ import annotations

from typing import Iterable, Mapping

import torch


def union_surface_mask(model, F: torch.Tensor, y_prim: torch.Tensor, cond=None) -> torch.Tensor:
    """(B, S, M) bool: is each primitive surface point outside every *other* primitive?

    A point's own primitive is excluded: its phi there is 0 up to round-off, and
    letting round-off decide would drop about half the points at random.
    """
    B, S, M, _ = y_prim.shape
    with torch.no_grad():
        phi = model.implicit(F, y_prim.reshape(B, S * M, 3), cond=cond).reshape(B, S, M, M)
        own = torch.eye(M, dtype=torch.bool, device=phi.device)
        phi = phi.masked_fill(own, float("inf"))
        return (phi >= 0).all(-1)


def compute_predictions(
    model,
    F: torch.Tensor,
    targets: Mapping[str, torch.Tensor],
    needs: Iterable[str],
    n_points_on_sphere: int,
) -> dict[str, torch.Tensor]:
    """``needs`` is a subset of {"y_prim", "phi_volume", "phi_surface"}; ``model`` is
    the bare primitive model (not the DDP wrapper). Surface samples use the global torch RNG
    (so checkpointed RNG state makes a resumed run identical)."""
    needs = set(needs)
    cond = model.condition(F)
    out: dict[str, torch.Tensor] = {}
    if "phi_volume" in needs:
        out["phi_volume"] = model.implicit(F, targets["volume_points"], cond=cond)
    if "phi_surface" in needs:
        out["phi_surface"] = model.implicit(F, targets["surface_points"], cond=cond)
    if "y_prim" in needs:
        y_prim = model.sample_surface(F, n_points_on_sphere, cond=cond)
        out["y_prim"] = y_prim
        out["on_surface"] = union_surface_mask(model, F, y_prim, cond)
    return out
