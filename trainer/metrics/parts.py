"""Part consistency: does primitive k land on the same ground-truth part across shapes?

Accumulate, over a test set, how many labelled surface points each primitive owns per
ground-truth part (owner = argmin_m phi_m at the point). Each primitive is then mapped to
the part it most often owns; part purity is the fraction of labelled points whose
owner maps to their true part. Points labelled -1 (unknown) are ignored.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class PartConsistency:
    n_primitives: int
    counts: np.ndarray = field(init=False)  # (M, P) points of part p owned by primitive m

    def __post_init__(self) -> None:
        self.counts = np.zeros((self.n_primitives, 0), dtype=np.int64)

    def add(self, owner: np.ndarray, labels: np.ndarray) -> None:
        owner = np.asarray(owner, np.int64).ravel()
        labels = np.asarray(labels, np.int64).ravel()
        if owner.shape != labels.shape:
            raise ValueError("owner and labels must have one entry per point.")
        keep = labels >= 0
        owner, labels = owner[keep], labels[keep]
        if labels.size == 0:
            return
        n_parts = max(self.counts.shape[1], int(labels.max()) + 1)
        if n_parts > self.counts.shape[1]:
            grown = np.zeros((self.n_primitives, n_parts), np.int64)
            grown[:, : self.counts.shape[1]] = self.counts
            self.counts = grown
        np.add.at(self.counts, (owner, labels), 1)

    @property
    def has_labels(self) -> bool:
        return int(self.counts.sum()) > 0

    def mapping(self) -> np.ndarray:
        """Part each primitive most often owns; -1 for a primitive that owns nothing."""
        m = self.counts.argmax(1) if self.counts.shape[1] else np.zeros(self.n_primitives, int)
        return np.where(self.counts.sum(1) > 0, m, -1)

    def purity(self) -> float:
        total = int(self.counts.sum())
        if total == 0:
            return float("nan")
        return float(self.counts.max(1).sum()) / total

    def per_primitive(self) -> list[dict]:
        mapping = self.mapping()
        rows = []
        for m in range(self.n_primitives):
            owned = int(self.counts[m].sum())
            rows.append({
                "primitive": m,
                "part": int(mapping[m]),
                "points": owned,
                "purity": float(self.counts[m].max()) / owned if owned else float("nan"),
            })
        return rows
