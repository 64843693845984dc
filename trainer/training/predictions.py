"""What the losses read, computed from per-primitive features F (B, M, 2f) through the
primitive-model protocol (``trainer.model.protocol``), for every primitive type.

The model's per-primitive conditioning (for the flow: feature terms of every coupling
layer, scale, rotation, translation) is computed once per step and shared by all point sets.

Only what carries a gradient is computed with autograd:
- at the target surface samples the normal loss differentiates phi of the *owning*
  primitive only (argmin_m phi_m^2), so phi for all M primitives is evaluated without
  autograd and only the owner's is recomputed differentiably (M times less double
  backward, same value and gradient);
- with ``network.euclidean_phi_volume`` (the published objective) phi at the volume
  samples is the distance to the primitive's nearest surface sample, signed by the plain
  phi: the gradient flows through the surface samples, so the plain phi, needed for its
  sign only, is evaluated without autograd;
- without it the plain phi's backward recomputes only the (point, primitive) entries
  that receive a non-zero gradient (``trainer.model.sparse_implicit``, through the
  protocol's ``implicit_for_loss``; ``implicit_of_owner`` likewise for the normals).
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import torch

from ..losses.nearest import DEFAULT_CHUNK_ELEMENTS, nearest_distances
from ..model.sparse_implicit import no_grad_chunk


def union_surface_mask(model, F: torch.Tensor, y_prim: torch.Tensor, cond=None) -> torch.Tensor:
    """(B, S, M) bool: is each primitive surface point outside every *other* primitive?

    A point's own primitive is excluded: its phi there is 0 up to round-off, and
    letting round-off decide would drop about half the points at random.
    """
    B, S, M, _ = y_prim.shape
    with torch.no_grad():
        phi = model.implicit(F, y_prim.reshape(B, S * M, 3), no_grad_chunk(*F.shape[:2]), cond).reshape(B, S, M, M)
        own = torch.eye(M, dtype=torch.bool, device=phi.device)
        phi = phi.masked_fill(own, float("inf"))
        return (phi >= 0).all(-1)


def euclidean_phi(points: torch.Tensor, y_prim: torch.Tensor, plain_phi: torch.Tensor,
                  chunk_elements: int = DEFAULT_CHUNK_ELEMENTS) -> torch.Tensor:
    """Published ``euclidean_phi_volume``: (B, V, M) distance from each point (B, V, 3) to
    the nearest of primitive m's surface samples y_prim (B, S, M, 3), with the sign of
    ``plain_phi`` (B, V, M). Differentiable w.r.t. y_prim (and points); the nearest
    sample is found in chunks of at most ``chunk_elements`` distances, so no
    B x V x S x M tensor is ever held."""
    B, S, M, D = y_prim.shape
    V = points.shape[1]
    references = y_prim.permute(0, 2, 1, 3).reshape(B * M, S, D)   # per (item, primitive)
    queries = points[:, None].expand(B, M, V, D).reshape(B * M, V, D)
    dist = nearest_distances(queries, references, None, chunk_elements).view(B, M, V).transpose(1, 2)
    return dist * torch.sign(plain_phi.detach())


def _uses_euclidean_phi(model) -> bool:
    return bool(getattr(model, "config", {}).get("network", {}).get("euclidean_phi_volume", True))


def _owner_phi(model, F: torch.Tensor, points: torch.Tensor, cond) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(phi (B, N, M) without autograd, owner (B, N), phi of the owner (B, N) differentiable)."""
    with torch.no_grad():
        phi = model.implicit(F, points, no_grad_chunk(*F.shape[:2]), cond)
    owner = (phi ** 2).argmin(-1)
    return phi, owner, model.implicit_of_owner(F, points, owner, cond)


def compute_predictions(
    model,
    F: torch.Tensor,
    targets: Mapping[str, torch.Tensor],
    needs: Iterable[str],
    n_points_on_sphere: int,
) -> dict[str, torch.Tensor]:
    """``needs`` is a subset of {"y_prim", "phi_volume", "phi_surface"}; ``model`` is
    the bare primitive model (not the DDP wrapper). Surface samples use the global torch RNG
    (so checkpointed RNG state makes a resumed run identical); with
    ``network.euclidean_phi_volume`` (read from ``model.config``) the volume term draws
    its own surface samples first, as the published code does.

    Returns ``phi_volume`` (B, V, M); ``phi_surface`` (B, N, M, no autograd),
    ``surface_owner`` (B, N) and ``phi_surface_owner`` (B, N, differentiable w.r.t. the
    surface points twice); ``y_prim`` (B, S, M, 3) and ``on_surface`` (B, S, M)."""
    needs = set(needs)
    cond = model.condition(F)
    out: dict[str, Any] = {}
    if "phi_volume" in needs:
        points = targets["volume_points"]
        if _uses_euclidean_phi(model):
            with torch.no_grad():
                plain = model.implicit(F, points, no_grad_chunk(*F.shape[:2]), cond)
            surface = model.sample_surface(F, n_points_on_sphere, cond=cond)
            out["phi_volume"] = euclidean_phi(points, surface, plain)
        else:
            out["phi_volume"] = model.implicit_for_loss(F, points, cond)
    if "phi_surface" in needs:
        phi, owner, phi_owner = _owner_phi(model, F, targets["surface_points"], cond)
        out.update(phi_surface=phi, surface_owner=owner, phi_surface_owner=phi_owner)
    if "y_prim" in needs:
        y_prim = model.sample_surface(F, n_points_on_sphere, cond=cond)
        out["y_prim"] = y_prim
        out["on_surface"] = union_surface_mask(model, F, y_prim, cond)
    return out
