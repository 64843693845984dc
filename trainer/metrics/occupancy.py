"""Volumetric IoU from occupancy at sample points."""
from __future__ import annotations

import numpy as np


def iou(pred_inside: np.ndarray, gt_inside: np.ndarray, weights: np.ndarray | None = None) -> float:
    """|pred AND gt| / |pred OR gt| over sample points (optionally weighted).
    Both empty counts as a perfect match (1.0)."""
    p = np.asarray(pred_inside).astype(bool).ravel()
    g = np.asarray(gt_inside).astype(bool).ravel()
    if p.shape != g.shape:
        raise ValueError(f"prediction has {p.size} points but ground truth has {g.size}.")
    w = np.ones(p.shape) if weights is None else np.asarray(weights, np.float64).ravel()
    union = float(w[p | g].sum())
    return 1.0 if union == 0 else float(w[p & g].sum()) / union
