"""The training objective on one batch: the single batch -> loss function that training,
validation and per-shape fitting (``trainer.fitting``) all call, so the three can never
drift apart (same targets, same predictions, same losses and weights from the config)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import torch

from ..losses import WeightedLoss, build_loss
from .predictions import compute_predictions

TARGET_KEYS = ("surface_points", "surface_normals", "volume_points", "occupancy", "volume_weights")


@dataclass(frozen=True)
class Objective:
    """The config's loss (``loss`` section) with what the predictions need from the config."""

    loss_fn: WeightedLoss
    n_points_on_sphere: int
    biased: bool          # published data.biased: equal sampling, unit weights

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> "Objective":
        return cls(build_loss(cfg["loss"]), int(cfg["network"].get("n_points_on_sphere", 200)),
                   bool(cfg["data"].get("biased", False)))

    @property
    def needs(self) -> set[str]:
        return self.loss_fn.needs

    def targets(self, batch: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        targets = {k: batch[k] for k in TARGET_KEYS if k in batch}
        if self.biased:
            targets.pop("volume_weights", None)
        if "phi_surface" in self.needs:  # the normal loss differentiates phi w.r.t. the points
            targets["surface_points"] = targets["surface_points"].detach().requires_grad_(True)
        return targets


def batch_loss(model: torch.nn.Module, batch: Mapping[str, Any], objective: Objective,
               forward: Callable[[torch.Tensor], torch.Tensor] | None = None
               ) -> tuple[torch.Tensor, dict[str, float]]:
    """(total loss, {loss name: unweighted value}) of ``model`` on ``batch`` (tensors on the
    model's device). ``forward`` maps ``batch["input"]`` to per-primitive features; it defaults
    to ``model`` (training passes its DDP wrapper); ``model`` itself must be the bare NeuralParts."""
    targets = objective.targets(batch)
    F = (forward or model)(batch["input"])
    preds = compute_predictions(model, F, targets, objective.needs, objective.n_points_on_sphere)
    return objective.loss_fn(preds, targets)
