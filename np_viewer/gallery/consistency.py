"""Part consistency for the gallery panel, computed exactly as ``np-eval`` computes it.

The table (true part each primitive owns, purity) is ``trainer.metrics.PartConsistency`` fed with
the evaluation code's own inputs and ownership (``trainer.evaluate``: the same dataset items, the
same seed, ``owners`` = argmin phi at the labelled surface samples), so the panel shows np-eval's
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
    from trainer.data import load_prepared
    from trainer.evaluate import EvalSettings
    from trainer.metrics import PartConsistency
    from trainer.training.data import build_dataset

    chunk = chunk_size or EvalSettings().chunk_size
    cfg = dict(predictor.config)
    cfg["data"] = dict(cfg["data"], dataset_directory=str(dataset_dir))
    splits: Sequence[str] | str = list(SPLITS) if split == ALL_SPLITS else split
    ds = build_dataset(cfg, splits, seed=seed, equal=False)     # np-eval's inputs, item for item
    total = PartConsistency(predictor.n_primitives)
    shapes: list[ShapeOwnership] = []
    part_names: list[str] | None = None
    keep = None if only is None else {str(Path(p)) for p in only}
    indices = [i for i in range(len(ds)) if keep is None or str(ds.shape_dirs[i]) in keep]
    for done, i in enumerate(indices, 1):
        shape = load_prepared(ds.shape_dirs[i])
        if shape.part_labels is None:
            continue
        F = predictor.features_of_input(ds[i]["input"][None])
        own = predictor.owners(F, shape.surface_points, chunk)
        total.add(own, shape.part_labels)
        one = PartConsistency(predictor.n_primitives)
        one.add(own, shape.part_labels)
        shapes.append(ShapeOwnership(str(ds.shape_dirs[i]), f"{shape.category}/{shape.name}", one.counts))
        part_names = part_names or shape.part_names
        if on_shape is not None:
            on_shape(done, len(indices))
    width = total.counts.shape[1]
    for s in shapes:    # one width for every table
        if s.counts.shape[1] < width:
            s.counts = np.pad(s.counts, ((0, 0), (0, width - s.counts.shape[1])))
    rows = total.per_primitive() if total.has_labels else []
    for r in rows:
        r["part_name"] = (part_names[r["part"]] if part_names and 0 <= r["part"] < len(part_names) else None)
    return ConsistencyReport(dataset=str(dataset_dir), split=split, n_shapes=len(indices),
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
