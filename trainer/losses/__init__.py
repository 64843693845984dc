"""The Neural Parts training objective, by the names of the published config schema.

``build_loss(loss_config)`` returns a :class:`WeightedLoss`; calling it with the
prediction and target dicts gives ``(total, {name: unweighted value})``.

Prediction dict keys (see ``trainer.training.predictions``):
``y_prim`` (B,S,M,3), ``on_surface`` (B,S,M) bool, ``phi_volume`` (B,V,M),
``phi_surface`` (B,N,M), ``phi_surface_owner`` (B,N) and ``surface_owner`` (B,N). Target dict keys: ``surface_points`` (B,N,3, requires_grad for
the normal loss), ``surface_normals`` (B,N,3), ``volume_points`` (B,V,3),
``occupancy`` (B,V) in {0,1}, ``volume_weights`` (B,V).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import torch

from .chamfer import chamfer_terms, chamfer_terms_naive, true_chamfer_loss
from .nearest import nearest_distances, nearest_indices
from .normals import normal_consistency_loss, owner_phi, predicted_normals
from .occupancy import implicit_surface_loss, min_points_loss, non_overlapping_regularizer

LossFn = Callable[[Mapping[str, torch.Tensor], Mapping[str, torch.Tensor], Mapping[str, Any]], torch.Tensor]

LOSSES: dict[str, LossFn] = {
    "true_chamfer_loss": true_chamfer_loss,
    "normal_consistency_loss": normal_consistency_loss,
    "implicit_surface_loss": implicit_surface_loss,
    "min_points_loss": min_points_loss,
    "non_overlapping_regularizer": non_overlapping_regularizer,
}

# Which predictions each loss reads; the training step computes only what is needed.
NEEDS: dict[str, tuple[str, ...]] = {
    "true_chamfer_loss": ("y_prim",),
    "normal_consistency_loss": ("phi_surface",),
    "implicit_surface_loss": ("phi_volume",),
    "min_points_loss": ("phi_volume",),
    "non_overlapping_regularizer": ("phi_volume",),
}


class LossConfigError(ValueError):
    """The ``loss`` section of a config names an unknown loss or mismatched weights."""


@dataclass
class WeightedLoss:
    names: list[str]
    weights: list[float]
    config: dict[str, Any]

    @property
    def needs(self) -> set[str]:
        return {key for n in self.names for key in NEEDS[n]}

    def __call__(
        self, predictions: Mapping[str, torch.Tensor], targets: Mapping[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        total: torch.Tensor | None = None
        terms: dict[str, float] = {}
        for name, w in zip(self.names, self.weights):
            value = LOSSES[name](predictions, targets, self.config)
            terms[name] = float(value.detach())
            total = w * value if total is None else total + w * value
        assert total is not None
        return total, terms


def build_loss(loss_config: Mapping[str, Any]) -> WeightedLoss:
    names = list(loss_config.get("type", []))
    if not names:
        raise LossConfigError("The config's loss.type lists no losses.")
    unknown = [n for n in names if n not in LOSSES]
    if unknown:
        raise LossConfigError(
            f"Unknown loss {unknown[0]!r} in loss.type; known: {', '.join(LOSSES)}."
        )
    weights = loss_config.get("weights")
    weights = [1.0] * len(names) if weights is None else [float(w) for w in weights]
    if len(weights) != len(names):
        raise LossConfigError(
            f"loss.weights has {len(weights)} entries but loss.type has {len(names)}."
        )
    return WeightedLoss(names, weights, dict(loss_config))


__all__ = [
    "LOSSES", "NEEDS", "WeightedLoss", "LossConfigError", "build_loss",
    "true_chamfer_loss", "chamfer_terms", "chamfer_terms_naive",
    "normal_consistency_loss", "owner_phi", "predicted_normals", "implicit_surface_loss",
    "min_points_loss", "non_overlapping_regularizer", "nearest_distances", "nearest_indices",
]
