"""Walking the learned space: part meshes for a blend of two shapes' features."""
from __future__ import annotations

import numpy as np
import torch

from trainer.inference import Predictor

PartMesh = tuple[np.ndarray, np.ndarray]


def lerp_features(fa: torch.Tensor, fb: torch.Tensor, t: float) -> torch.Tensor:
    """(1 - t) fa + t fb for per-primitive features F (1, M, 2f).

    For every primitive type F is concat(encoder output, primitive embedding) (the protocol in
    ``trainer.model.protocol``) and the embedding half is the same for every shape, so this is
    exactly a blend of the two encoder outputs, pushed through the model."""
    if fa.shape != fb.shape:
        raise ValueError(f"features of different shapes cannot be blended: {tuple(fa.shape)} vs {tuple(fb.shape)}")
    t = float(t)
    return fa * (1.0 - t) + fb.to(fa.device, fa.dtype) * t


def meshes_for(predictor: Predictor, features: torch.Tensor, resolution: int = 3) -> list[PartMesh]:
    """The M part meshes of features F (1, M, 2f), as the model's type builds them."""
    return predictor.meshes_from_features(features, resolution)
