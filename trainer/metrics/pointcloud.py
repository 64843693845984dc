"""Point-cloud metrics between a predicted and a ground-truth surface sample (numpy).

Conventions (those of Occupancy Networks / Neural Parts' evaluation):
- accuracy = mean distance from predicted points to the nearest GT point,
  completeness = mean distance from GT points to the nearest predicted point,
  Chamfer-L1 = (accuracy + completeness) / 2  (Euclidean distances, not squared).
- F-score@tau: precision = fraction of predicted points within tau of GT, recall =
  fraction of GT points within tau of the prediction, F = 2PR / (P + R).
- Normal consistency = mean over both directions of |<n_pred, n_gt(nearest)>|
  (absolute value: orientation is ignored).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree


@dataclass
class PointCloudScores:
    chamfer_l1: float
    accuracy: float
    completeness: float
    fscore: float
    precision: float
    recall: float
    normal_consistency: float  # nan when normals were not given


def _unit(n: np.ndarray) -> np.ndarray:
    return n / np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-12)


def _check(points: np.ndarray, what: str) -> np.ndarray:
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 3 or len(points) == 0:
        raise ValueError(f"{what} must be a non-empty (N, 3) array, got shape {points.shape}.")
    return points


def compare_point_clouds(
    pred: np.ndarray,
    gt: np.ndarray,
    tau: float,
    pred_normals: np.ndarray | None = None,
    gt_normals: np.ndarray | None = None,
) -> PointCloudScores:
    pred = _check(pred, "predicted points")
    gt = _check(gt, "ground-truth points")
    d_pred, i_pred = cKDTree(gt).query(pred)      # pred -> gt
    d_gt, i_gt = cKDTree(pred).query(gt)          # gt -> pred
    accuracy, completeness = float(d_pred.mean()), float(d_gt.mean())
    precision = float((d_pred <= tau).mean())
    recall = float((d_gt <= tau).mean())
    f = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    nc = float("nan")
    if pred_normals is not None and gt_normals is not None:
        pn, gn = _unit(np.asarray(pred_normals, np.float64)), _unit(np.asarray(gt_normals, np.float64))
        nc_pred = np.abs((pn * gn[i_pred]).sum(-1)).mean()
        nc_gt = np.abs((gn * pn[i_gt]).sum(-1)).mean()
        nc = float(0.5 * (nc_pred + nc_gt))
    return PointCloudScores(
        chamfer_l1=0.5 * (accuracy + completeness), accuracy=accuracy,
        completeness=completeness, fscore=float(f), precision=precision, recall=recall,
        normal_consistency=nc,
    )


def chamfer_l1(pred: np.ndarray, gt: np.ndarray) -> float:
    return compare_point_clouds(pred, gt, tau=0.0).chamfer_l1


def fscore(pred: np.ndarray, gt: np.ndarray, tau: float) -> float:
    return compare_point_clouds(pred, gt, tau).fscore
