"""Batches for training: the prepared-dataset reader (issue 3), batching and a
deterministic, resumable, rank-sharded order of samples.

The order of samples is a pure function of (seed, rank, world size, position): pass p
over the data is ``DistributedSampler`` with ``set_epoch(p)``, passes are concatenated,
and batch k holds stream positions [k*B, (k+1)*B). A resumed run therefore continues
with exactly the batches the interrupted one would have seen, without replaying data.
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

import torch
from torch.utils.data import Dataset, DistributedSampler

from ..config import ConfigError

# Dataset types of the published schema that we read from a prepared directory
# (``np-prepare`` output): published configs run with only their data paths changed.
PREPARED_TYPES = ("prepared", "shapenet_v1", "dynamic_faust", "freihand")


def build_dataset(cfg: Mapping[str, Any], splits: Sequence[str] | str, seed: int | None = 0,
                  **overrides: Any) -> Dataset:
    """The dataset that ``cfg['data']`` describes, over ``splits`` (issue 3's
    ``PreparedDataset``). Published dataset types are read from a prepared directory."""
    import copy

    data = cfg["data"]
    kind = data.get("dataset_type", "prepared")
    if kind not in PREPARED_TYPES:
        raise ConfigError(f"data.dataset_type {kind!r} is not supported; use one of {', '.join(PREPARED_TYPES)}")
    if not data.get("dataset_directory"):
        raise ConfigError("data.dataset_directory is not set; point it at a prepared dataset (np-prepare output)")
    from ..data.datasets import DatasetError, dataset_from_config

    local = copy.deepcopy(dict(cfg))
    local["data"] = dict(local["data"], dataset_type="prepared")
    splits = [splits] if isinstance(splits, str) else list(splits)
    try:
        return dataset_from_config(local, splits, seed=seed, **overrides)
    except DatasetError as exc:
        raise ConfigError(str(exc)) from None


class PassIndexed(Dataset):
    """Items addressed as (index, pass): the pass number becomes the dataset's epoch
    (``set_epoch``), so a seeded dataset draws fresh random subsamples on every pass
    while staying a pure function of (seed, pass, index)."""

    def __init__(self, dataset: Dataset):
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: tuple[int, int]):
        i, p = key
        if hasattr(self.dataset, "set_epoch"):
            self.dataset.set_epoch(p)
        return self.dataset[i]


def collate(items: Sequence[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
    """Stack tensor fields; non-tensor fields (names, paths) become lists."""
    out: dict[str, Any] = {}
    for key in items[0]:
        values = [item[key] for item in items]
        if isinstance(values[0], torch.Tensor):
            out[key] = torch.stack(values)
        else:
            out[key] = values
    return out


class BatchIndexStream:
    """Infinite iterable of batches of (index, pass) pairs (a ``batch_sampler`` for a
    :class:`PassIndexed` dataset) starting at batch ``start_batch``."""

    def __init__(self, n_items: int, batch_size: int, rank: int = 0, world_size: int = 1,
                 seed: int = 0, start_batch: int = 0, shuffle: bool = True):
        if n_items <= 0:
            raise ValueError("the dataset is empty")
        self.n_items, self.batch_size = n_items, batch_size
        self.start_batch = start_batch
        self._sampler = DistributedSampler(
            range(n_items), num_replicas=world_size, rank=rank, shuffle=shuffle, seed=seed, drop_last=False
        )
        self._cache: tuple[int, list[int]] | None = None

    def _pass(self, p: int) -> list[int]:
        if self._cache is None or self._cache[0] != p:
            self._sampler.set_epoch(p)
            self._cache = (p, list(iter(self._sampler)))
        return self._cache[1]

    def batch(self, k: int) -> list[tuple[int, int]]:
        """Batch k as (dataset index, pass) pairs."""
        per_pass = len(self._sampler)
        out = []
        for pos in range(k * self.batch_size, (k + 1) * self.batch_size):
            p = pos // per_pass
            out.append((self._pass(p)[pos % per_pass], p))
        return out

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        k = self.start_batch
        while True:
            yield self.batch(k)
            k += 1
