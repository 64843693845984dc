"""The periodic validation pass of ``np-train`` (published ``validation`` section).

Every ``validation.frequency`` epochs (and at the end of a run) the main process scores
the model on ``validation.splits``: the training objective (same losses and weights) on
fixed samples, and the volumetric IoU of the union at each shape's uniform volume
samples (the ``np-eval`` definition). Rows go to ``OUT_DIR/validation.csv`` and to
TensorBoard under ``val/``.

The pass has no side effects on training: the samples are fixed (seeded dataset, pass
0), the global RNG (sphere samples) is forked and restored, and no parameter gradient
is kept, so a run with validation follows the same trajectory as one without, and
``--resume`` stays exact.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import torch

from ..metrics import iou
from .objective import Objective, batch_loss

VALIDATION_SEED = 0


@dataclass
class ValidationSettings:
    splits: list[str]
    every: int            # steps between passes (0: never)
    batch_size: int
    max_shapes: int       # ours: cap on shapes per pass (0: all)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], steps_per_epoch: int) -> "ValidationSettings":
        v = cfg.get("validation") or {}
        splits = v.get("splits", ["val"])
        splits = [splits] if isinstance(splits, str) else [str(s) for s in splits]
        frequency = int(v.get("frequency", 0) or 0)
        return cls(splits=splits, every=frequency * steps_per_epoch, batch_size=max(1, int(v.get("batch_size", 1))),
                   max_shapes=int(v.get("max_shapes", 32) or 0))


class Validator:
    """Scores a model on a fixed validation set; see the module docstring."""

    def __init__(self, cfg: Mapping[str, Any], objective: Objective, settings: ValidationSettings,
                 device: torch.device):
        from ..data import load_prepared
        from .data import build_dataset, collate

        self.settings, self.objective, self.device = settings, objective, device
        dataset = build_dataset(cfg, settings.splits, seed=VALIDATION_SEED)
        n = len(dataset) if settings.max_shapes <= 0 else min(len(dataset), settings.max_shapes)
        items = [dataset[i] for i in range(n)]  # fixed samples: pass 0 of a seeded dataset
        self.batches = [collate(items[i:i + settings.batch_size]) for i in range(0, n, settings.batch_size)]
        # IoU exactly as np-eval computes it: its inputs (unbalanced sampling, same seed)
        # and each shape's uniform volume samples.
        eval_inputs = build_dataset(cfg, settings.splits, seed=VALIDATION_SEED, equal=False)
        self.iou_sets = []
        for i, d in enumerate(dataset.shape_dirs[:n]):
            shape = load_prepared(d)
            pts = shape.uniform_points if shape.n_uniform > 0 else shape.volume_points
            occ = shape.uniform_occupancy if shape.n_uniform > 0 else shape.occupancy
            self.iou_sets.append((eval_inputs[i]["input"][None], torch.as_tensor(pts, dtype=torch.float32),
                                  np.asarray(occ, bool)))

    @property
    def n_shapes(self) -> int:
        return len(self.iou_sets)

    def due(self, step: int, previous_step: int) -> bool:
        """Was a multiple of ``every`` crossed going from previous_step to step?"""
        every = self.settings.every
        return every > 0 and step // every > previous_step // every

    def run(self, model: torch.nn.Module) -> dict[str, float]:
        was_training = model.training
        model.eval()
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(VALIDATION_SEED)
                terms = self._loss_terms(model)
                terms["iou"] = self._iou(model)
        finally:
            model.train(was_training)
        return terms

    def _loss_terms(self, model) -> dict[str, float]:
        totals: dict[str, float] = {}
        n = 0
        for batch in self.batches:
            batch = {k: (v.to(self.device) if isinstance(v, torch.Tensor) else v) for k, v in batch.items()}
            with torch.enable_grad():
                loss, terms = batch_loss(model, batch, self.objective)
            size = batch["input"].shape[0]
            for k, v in {"loss": float(loss.detach()), **terms}.items():
                totals[k] = totals.get(k, 0.0) + v * size
            n += size
        return {k: v / max(n, 1) for k, v in totals.items()}

    def _iou(self, model) -> float:
        scores = []
        with torch.no_grad():
            for x, pts, occ in self.iou_sets:
                F = model(x.to(self.device))
                phi = model.implicit(F, pts[None].to(self.device))[0]
                scores.append(iou((phi.min(-1)[0] < 0).cpu().numpy(), occ))
        return float(np.mean(scores)) if scores else float("nan")
