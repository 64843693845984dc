"""Evaluate a checkpoint on a prepared dataset split (the engine behind ``np-eval``)."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..metrics import PartConsistency
from .protocol import EvalSettings
from .shapes import ShapeEvaluations

METRICS = ("iou", "chamfer_l1", "fscore", "normal_consistency", "part_connectedness")


@dataclass
class EvalReport:
    checkpoint: str
    dataset: str
    split: str
    n_shapes: int
    means: dict[str, float]
    stds: dict[str, float]
    part_purity: float | None
    per_primitive: list[dict[str, Any]]
    part_names: list[str] | None
    per_shape: list[dict[str, Any]]
    settings: dict[str, Any]
    seconds: float
    device: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: self.means[k] for k in METRICS}
        out["part_purity"] = self.part_purity
        out.update({
            "std": self.stds, "n_shapes": self.n_shapes, "checkpoint": self.checkpoint,
            "dataset": self.dataset, "split": self.split, "per_primitive": self.per_primitive,
            "part_names": self.part_names, "per_shape": self.per_shape, "settings": self.settings,
            "seconds": self.seconds, "device": self.device, **self.extra,
        })
        return _finite(out)


def _finite(x: Any) -> Any:
    """JSON has no NaN: write null instead."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x


def evaluate(model, config: dict, dataset_dir: str | Path, split: str = "test",
             settings: EvalSettings | None = None, max_shapes: int | None = None,
             progress: bool = True, checkpoint_name: str = "",
             on_shape: Callable[[int, int], None] | None = None, only: list | None = None) -> EvalReport:
    """Score ``model`` on every shape of ``split`` in a prepared dataset (``only``: just these
    shape folders, e.g. one category)."""
    import time

    settings = settings or EvalSettings()
    t0 = time.perf_counter()
    shapes = ShapeEvaluations(model, config, dataset_dir, split, settings, max_shapes, only=only)
    n = len(shapes)
    parts = PartConsistency(model.n_primitives)
    part_names: list[str] | None = None
    rows: list[dict[str, Any]] = []
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=n, desc="eval", unit="shape", dynamic_ncols=True)
    for done, ev in enumerate(shapes, 1):
        rows.append({"name": ev.name, **asdict(ev.scores)})
        if ev.owners is not None:
            parts.add(ev.owners, ev.shape.part_labels)
            part_names = part_names or ev.shape.part_names
        if bar is not None:
            bar.update(1)
            bar.set_postfix(iou=f"{np.mean([r['iou'] for r in rows]):.3f}")
        if on_shape is not None:
            on_shape(done, n)
    if bar is not None:
        bar.close()
    means = {k: float(np.nanmean([r[k] for r in rows])) if rows else float("nan") for k in METRICS}
    stds = {k: float(np.nanstd([r[k] for r in rows])) if rows else float("nan") for k in METRICS}
    per_prim = parts.per_primitive() if parts.has_labels else []
    for r in per_prim:
        r["part_name"] = (part_names[r["part"]] if part_names and 0 <= r["part"] < len(part_names) else None)
    return EvalReport(
        checkpoint=checkpoint_name, dataset=str(dataset_dir), split=split, n_shapes=n, means=means, stds=stds,
        part_purity=parts.purity() if parts.has_labels else None, per_primitive=per_prim,
        part_names=part_names, per_shape=rows, settings=asdict(settings),
        seconds=time.perf_counter() - t0, device=str(shapes.device),
    )


def format_table(report: EvalReport) -> str:
    lines = [f"{report.n_shapes} shapes, split '{report.split}' of {report.dataset}",
             f"{'metric':<20}{'mean':>10}{'std':>10}"]
    names = {"iou": "IoU", "chamfer_l1": "Chamfer-L1", "fscore": "F-score@1%",
             "normal_consistency": "Normal consistency", "part_connectedness": "Connectedness"}
    for k in METRICS:
        lines.append(f"{names[k]:<20}{report.means[k]:>10.4f}{report.stds[k]:>10.4f}")
    if report.part_purity is not None:
        lines.append(f"{'Part purity':<20}{report.part_purity:>10.4f}")
        lines.append("")
        lines.append(f"{'primitive':<10}{'part':<16}{'points':>8}{'purity':>9}")
        for r in report.per_primitive:
            part = r["part_name"] or (str(r["part"]) if r["part"] >= 0 else "-")
            pur = "-" if r["points"] == 0 else f"{r['purity']:.3f}"
            lines.append(f"{r['primitive']:<10}{part:<16}{r['points']:>8}{pur:>9}")
    return "\n".join(lines)
