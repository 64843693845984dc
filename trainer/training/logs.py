"""Training logs: a CSV file (one row per logged optimizer step) and TensorBoard."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Mapping


class CSVLog:
    """Appends rows to ``path``; the header is fixed by the first row written ever
    (a resumed run appends under the existing header)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fields: list[str] | None = None
        if self.path.exists() and self.path.stat().st_size > 0:
            with self.path.open(newline="") as f:
                self._fields = next(csv.reader(f), None)

    def write(self, row: Mapping[str, float | int | str]) -> None:
        new = self._fields is None
        if new:
            self._fields = list(row)
        with self.path.open("a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=self._fields, extrasaction="ignore")
            if new:
                w.writeheader()
            w.writerow(row)

    def truncate_after(self, step: int) -> None:
        """Drop rows logged after ``step`` (a resumed run redoes those steps)."""
        if not self.path.exists() or self._fields is None:
            return
        with self.path.open(newline="") as f:
            rows = [r for r in csv.DictReader(f) if int(r["step"]) <= step]
        with self.path.open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=self._fields)
            w.writeheader()
            w.writerows(rows)


class TensorBoardLog:
    """Scalars under ``train/<name>``; silently absent if tensorboard is missing."""

    def __init__(self, log_dir: Path, purge_step: int | None = None):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except Exception:  # tensorboard not installed: CSV still records everything
            self._w = None
            return
        self._w = SummaryWriter(str(log_dir), purge_step=purge_step)

    def write(self, step: int, scalars: Mapping[str, float], prefix: str = "train") -> None:
        if self._w is None:
            return
        for k, v in scalars.items():
            self._w.add_scalar(f"{prefix}/{k}", v, step)

    def close(self) -> None:
        if self._w is not None:
            self._w.close()
