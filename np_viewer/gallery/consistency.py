"""Part consistency for the gallery panel, computed exactly as ``np-eval`` computes it.

The table (true part each primitive owns, purity) is ``trainer.metrics.PartConsistency`` fed by
np-eval's own per-shape loop (``trainer.evaluate.shapes.ShapeEvaluations``: the same dataset
items, the same seed, ownership = argmin phi at the labelled surface samples), so the panel shows np-eval's
numbers for the same checkpoint and split. On top of that it keeps the per-shape counts, to list
the instances where primitive k strays most from the part it owns across the set.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from trainer.data.manifest import SPLITS
from trainer.inference import Predictor

ALL_SPLITS = "all"


@dataclass
class ShapeOwnership:
    path: str                 # the prepared shape directory
    name: str                 # category/name
    counts: np.ndarray        # (M, P) labelled surface points of part p owned by primitive m


@dataclass
class ConsistencyReport:
    dataset: str
    split: str
    n_shapes: int
    purity: float | None                 # np-eval's "part_purity"
    per_primitive: list[dict]            # np-eval's "per_primitive" rows (+ "part_name")
    part_names: list[str] | None
    shapes: list[ShapeOwnership]

    @property
    def has_labels(self) -> bool:
        return self.purity is not None

    def part_label(self, part: int) -> str:
        if part < 0:
            return "-"
        if self.part_names and part < len(self.part_names):
            return self.part_names[part]
        return str(part)

    def strays(self, k: int) -> list[tuple[ShapeOwnership, int, float]]:
        """Shapes ordered by how much primitive k strays there: (shape, stray points, stray fraction),
        where stray points are the points k owns on parts other than the part it owns overall.
        Shapes where k owns nothing come last."""
        part = self.per_primitive[k]["part"] if k < len(self.per_primitive) else -1
        rows = []
        for s in self.shapes:
            owned = int(s.counts[k].sum()) if k < len(s.counts) else 0
            on_part = int(s.counts[k, part]) if owned and 0 <= part < s.counts.shape[1] else 0
            stray = owned - on_part
            rows.append((s, stray, stray / owned if owned else float("nan")))
        return sorted(rows, key=lambda r: (np.isnan(r[2]), -r[1], -np.nan_to_num(r[2])))


def compute_consistency(predictor: Predictor, dataset_dir: str | Path,
                        split: str = "test", seed: int = 0, chunk_size: int | None = None,
                        on_shape: Callable[[int, int], None] | None = None,
                        only: set[str] | None = None) -> ConsistencyReport:
    """Part consistency of ``predictor``'s model over ``split`` (or ``"all"``) of a prepared dataset, with
    np-eval's defaults (``seed``: ``EvalSettings.seed``).

    ``only``: shape directories to count (e.g. one category). The dataset is still built over the
    whole split, so each shape gets exactly the input it gets in np-eval."""
    from trainer.evaluate.protocol import EvalSettings
    from trainer.evaluate.shapes import ShapeEvaluations
    from trainer.metrics import PartConsistency

    settings = EvalSettings(seed=seed, chunk_size=chunk_size or EvalSettings().chunk_size)
    splits: Sequence[str] | str = list(SPLITS) if split == ALL_SPLITS else split
    evaluations = ShapeEvaluations(predictor.model, predictor.config, dataset_dir, splits, settings,
                                   only=only, scores=False)       # np-eval's inputs, item for item
    total = PartConsistency(predictor.n_primitives)
    shapes: list[ShapeOwnership] = []
    part_names: list[str] | None = None
    for done, ev in enumerate(evaluations, 1):
        if ev.owners is None:
            continue
        total.add(ev.owners, ev.shape.part_labels)
        one = PartConsistency(predictor.n_primitives)
        one.add(ev.owners, ev.shape.part_labels)
        shapes.append(ShapeOwnership(ev.path, ev.name, one.counts))
        part_names = part_names or ev.shape.part_names
        if on_shape is not None:
            on_shape(done, len(evaluations))
    width = total.counts.shape[1]
    for s in shapes:    # one width for every table
        if s.counts.shape[1] < width:
            s.counts = np.pad(s.counts, ((0, 0), (0, width - s.counts.shape[1])))
    rows = total.per_primitive() if total.has_labels else []
    for r in rows:
        r["part_name"] = (part_names[r["part"]] if part_names and 0 <= r["part"] < len(part_names) else None)
    return ConsistencyReport(dataset=str(dataset_dir), split=split, n_shapes=len(evaluations),
                             purity=total.purity() if total.has_labels else None,
                             per_primitive=rows, part_names=part_names, shapes=shapes)


def dataset_has_labels(dataset_dir: str | Path) -> bool:
    """Whether the first shape of a prepared dataset carries ground-truth part labels."""
    from trainer.data import list_prepared, load_prepared
    try:
        dirs = list_prepared(dataset_dir)
        return bool(dirs) and load_prepared(dirs[0]).part_labels is not None
    except Exception:  # noqa: BLE001 - not a prepared dataset: no panel
        return False
