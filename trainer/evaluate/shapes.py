"""The per-shape evaluation loop, once: every caller that scores a model on prepared shapes
(``np-eval``, the gallery's part-consistency panel, the viewer's info panel and the fitting view's
before/after numbers) goes through :class:`ShapeEvaluations` (a split) or :func:`score_prepared`
(one shape).

Inputs are exactly the training dataset's items (``build_dataset``, same encoder input, same
counts, seeded), so a shape gets the same numbers wherever it is evaluated.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import torch
import trimesh

from .protocol import EvalSettings, ShapeScores, owners, score_shape


@dataclass
class ShapeEvaluation:
    """One shape of a split, evaluated."""

    index: int                     # position in the dataset (the seed offset np-eval uses)
    path: str                      # the prepared shape directory
    name: str                      # category/name
    shape: Any                     # the prepared record (trainer.data.load_prepared)
    scores: ShapeScores | None     # None when scoring was not asked for
    owners: np.ndarray | None      # argmin phi at the labelled surface samples; None without labels


def ground_truth_surface(shape: Any, n_points: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense ground-truth surface samples: drawn from the prepared mesh when it is there
    (as many as the prediction gets), else the prepared surface samples."""
    if shape.mesh_path is not None and n_points > 0:
        mesh = shape.load_mesh()
        pts, face = trimesh.sample.sample_surface(mesh, n_points, seed=seed)
        return np.asarray(pts), np.asarray(mesh.face_normals)[face]
    return np.asarray(shape.surface_points, np.float64), np.asarray(shape.surface_normals, np.float64)


def score_prepared(model: torch.nn.Module, F: torch.Tensor, shape: Any, settings: EvalSettings,
                   seed: int) -> ShapeScores:
    """The protocol's scores of features ``F`` (1, M, D) against a prepared shape's ground truth
    (surface sampled with ``seed``; IoU at the uniform volume samples when there are any)."""
    gt, gt_normals = ground_truth_surface(shape, settings.n_points, seed)
    volume = shape.uniform_points if shape.n_uniform > 0 else shape.volume_points
    occupancy = shape.uniform_occupancy if shape.n_uniform > 0 else shape.occupancy
    with torch.no_grad():
        return score_shape(model, F, np.asarray(gt, np.float64),
                           None if gt_normals is None else np.asarray(gt_normals, np.float64),
                           volume, occupancy, settings)


class ShapeEvaluations:
    """The shapes of ``split`` (one split or several) of a prepared dataset, evaluated one at a
    time in dataset order when iterated; ``len()`` says how many there will be.

    ``max_shapes``: only the first N; ``only``: shape directories to keep (e.g. one category; the
    dataset is still built over the whole split, so each shape gets exactly its np-eval input).
    ``scores=False`` computes part ownership only (cheap)."""

    def __init__(self, model: torch.nn.Module, config: dict, dataset_dir: str | Path,
                 split: str | Sequence[str] = "test", settings: EvalSettings | None = None,
                 max_shapes: int | None = None, only: Iterable[str] | None = None,
                 scores: bool = True) -> None:
        from ..training.data import build_dataset

        self.model, self.scores = model, scores
        self.settings = settings or EvalSettings()
        cfg = dict(config)
        cfg["data"] = dict(cfg["data"], dataset_directory=str(dataset_dir))
        splits = split if isinstance(split, str) else list(split)
        self.dataset = build_dataset(cfg, splits, seed=self.settings.seed, equal=False)
        n = len(self.dataset) if max_shapes is None else min(len(self.dataset), int(max_shapes))
        keep = None if only is None else {str(Path(p)) for p in only}
        self.positions = [i for i in range(n) if keep is None or str(self.dataset.shape_dirs[i]) in keep]

    def __len__(self) -> int:
        return len(self.positions)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def __iter__(self) -> Iterator[ShapeEvaluation]:
        from ..data import load_prepared

        model, settings, device = self.model, self.settings, self.device
        model.eval()
        for i in self.positions:
            shape = load_prepared(self.dataset.shape_dirs[i])
            with torch.no_grad():
                F = model(self.dataset[i]["input"][None].to(device))
            own = (owners(model, F, shape.surface_points, settings.chunk_size)
                   if shape.part_labels is not None else None)
            yield ShapeEvaluation(i, str(self.dataset.shape_dirs[i]), f"{shape.category}/{shape.name}", shape,
                                  score_prepared(model, F, shape, settings, settings.seed + i) if self.scores
                                  else None, own)
