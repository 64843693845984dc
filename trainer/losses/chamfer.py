"""Reconstruction loss: Chamfer distance against the surface of the union.

Predicted points are samples on every primitive's surface, y_prim (B, S, M, 3); only
those that lie on the union's surface (``on_surface``: not inside any *other*
primitive) count. Distances are Euclidean (not squared), as in the published code.

- prim_to_target: mean over on-surface primitive points of the distance to the nearest
  target point. (Published form: distances of internal points are zeroed, the mean is
  taken over all B*S*M points and divided by the on-surface fraction.)
- target_to_prim: mean over target points of the distance to the nearest primitive
  point. The published code searches *all* primitive points here (its masked copy of
  the distances is computed but unused); ``target_to_prim_on_surface: true`` restricts
  the search to on-surface points, which is the formulation in the paper's text.
"""
from __future__ import annotations

from typing import Any, Mapping

import torch

from .nearest import DEFAULT_CHUNK_ELEMENTS, nearest_distances


def _flat(y_prim: torch.Tensor) -> torch.Tensor:
    B, S, M, D = y_prim.shape
    return y_prim.reshape(B, S * M, D)


def chamfer_terms(
    y_prim: torch.Tensor,
    on_surface: torch.Tensor,
    target_points: torch.Tensor,
    target_to_prim_on_surface: bool = False,
    chunk_elements: int = DEFAULT_CHUNK_ELEMENTS,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(target_to_prim, prim_to_target) without a B x S x M x N tensor."""
    B, S, M, D = y_prim.shape
    flat = _flat(y_prim)
    flat_mask = on_surface.reshape(B, S * M)
    search_mask = flat_mask if target_to_prim_on_surface else None
    if search_mask is not None:
        # A batch item whose every point is internal falls back to all points.
        empty = ~search_mask.any(-1, keepdim=True)
        search_mask = search_mask | empty
    t2p = nearest_distances(target_points, flat, search_mask, chunk_elements).mean()
    p2t_all = nearest_distances(flat, target_points, None, chunk_elements)
    p2t = p2t_all.masked_fill(~flat_mask, 0.0).mean() / on_surface.float().mean()
    return t2p, p2t


def chamfer_terms_naive(
    y_prim: torch.Tensor,
    on_surface: torch.Tensor,
    target_points: torch.Tensor,
    target_to_prim_on_surface: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reference formulation materialising the (B, S, M, N) distance tensor.
    Used by tests and the memory benchmark only."""
    diff = y_prim[:, :, :, None] - target_points[:, None, None]
    dists = torch.sqrt((diff ** 2).sum(-1))  # (B, S, M, N)
    internal = ~on_surface[..., None]
    search = dists.masked_fill(internal, float("inf")) if target_to_prim_on_surface else dists
    t2p = search.min(1)[0].min(1)[0].mean()
    p2t = dists.masked_fill(internal, 0.0).min(3)[0].mean() / on_surface.float().mean()
    return t2p, p2t


def true_chamfer_loss(
    predictions: Mapping[str, torch.Tensor],
    targets: Mapping[str, torch.Tensor],
    config: Mapping[str, Any],
) -> torch.Tensor:
    t2p, p2t = chamfer_terms(
        predictions["y_prim"],
        predictions["on_surface"],
        targets["surface_points"],
        bool(config.get("target_to_prim_on_surface", False)),
        int(config.get("chunk_elements", DEFAULT_CHUNK_ELEMENTS)),
    )
    return (
        float(config.get("target_to_prim_weight", 1.0)) * t2p
        + float(config.get("prim_to_target_weight", 1.0)) * p2t
    )
