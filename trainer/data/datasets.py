"""torch Datasets over prepared directories: what the encoder and the losses consume."""
from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from trainer.data.manifest import list_prepared
from trainer.data.prepared import SAMPLES_FILE, VOXEL_RESOLUTION, read_meta
from trainer.input_kinds import IMAGE, INPUT_KINDS, POINTS, VOXELS, input_kind_of

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


class DatasetError(Exception):
    """A prepared dataset cannot serve what was asked of it (message names the directory)."""


class PreparedDataset(Dataset):
    """Random samples from prepared shapes, one dict of tensors per shape.

    Each item:
      input            what ``input_kind`` (trainer.input_kinds) says: (n_input_points, 3) surface
                       points, (3, H, W) a normalised view or (1, 32, 32, 32) voxels
      surface_points   (S, 3), surface_normals (S, 3), part_labels (S,) int64 (-1 = unknown)
      volume_points    (V, 3), occupancy (V,) 0/1, volume_weights (V,)
      scale (), translation (3,): normalised = original * scale + translation
      index            () int64, position in this dataset

    ``equal=True`` is the authors' balanced sampling: half of the volume points are drawn
    from the inside points and half from the outside ones (each class gets half of the
    sampling probability), and ``volume_weights`` are the importance weights
    1 / (n_total * p) that keep a weighted mean of a per-point loss an unbiased estimate of
    its mean over the uniform volume samples. ``equal=False`` draws uniformly (weights 1),
    or, with ``positive_weight`` W > 0 (the published ``data.positive_weight``), draws each
    inside point W times as likely as an outside one, again with importance weights.
    (The published ``data.biased`` then drops the weights: that is the training loop's job.)

    Randomness: with an integer ``seed`` item i is a pure function of (seed, epoch, i)
    (call ``set_epoch`` each epoch); with ``seed=None`` it follows torch's RNG, so
    ``torch.manual_seed`` and DataLoader worker seeding make runs reproducible.
    """

    def __init__(self, dataset_dir: str | os.PathLike, split: str | Sequence[str] | None = "train",
                 n_input_points: int = 2048, n_surface_samples: int = 2000,
                 n_volume_samples: int = 2000, equal: bool = True, seed: int | None = None,
                 input_kind: str = POINTS, random_view: bool = False,
                 volume_source: str = "uniform", cache_size: int = 32, positive_weight: float = 0.0) -> None:
        if input_kind not in INPUT_KINDS:
            raise DatasetError(f"input_kind must be one of {', '.join(INPUT_KINDS)}, not '{input_kind}'.")
        if volume_source not in ("uniform", "all"):
            raise DatasetError(f"volume_source must be 'uniform' or 'all', not '{volume_source}'.")
        self.dataset_dir = Path(dataset_dir)
        self.shape_dirs = self._list_shapes(split)
        self.n_input_points = int(n_input_points)
        self.n_surface_samples = int(n_surface_samples)
        self.n_volume_samples = int(n_volume_samples)
        self.equal = bool(equal)
        self.positive_weight = float(positive_weight)
        self.seed = seed
        self.input_kind = input_kind
        self.random_view = bool(random_view)
        self.volume_source = volume_source
        self.cache_size = int(cache_size)
        self.epoch = 0
        self._cache: OrderedDict[int, dict[str, Any]] = OrderedDict()

    def _list_shapes(self, split: str | Sequence[str] | None) -> list[Path]:
        splits = [split] if isinstance(split, str) or split is None else list(split)
        dirs: list[Path] = []
        for s in splits:
            dirs.extend(list_prepared(self.dataset_dir, s))
        dirs = list(dict.fromkeys(dirs))   # a lone shape folder (no manifest) answers every split
        if not dirs:
            raise DatasetError(f"{self.dataset_dir}: no prepared shapes in split {split!r}.")
        return dirs

    def __len__(self) -> int:
        return len(self.shape_dirs)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def names(self) -> list[str]:
        return [f"{d.parent.name}/{d.name}" for d in self.shape_dirs]

    # ------------------------------------------------------------------ loading
    def _arrays(self, i: int) -> dict[str, Any]:
        if i in self._cache:
            self._cache.move_to_end(i)
            return self._cache[i]
        arr = self._read_arrays(i)
        n_uniform = arr.pop("n_uniform")
        if self.volume_source == "uniform" and n_uniform > 0:
            arr["volume_points"] = arr["volume_points"][:n_uniform]
            arr["occupancy"] = arr["occupancy"][:n_uniform]
        occ = arr["occupancy"].astype(bool)
        arr["inside_idx"] = np.flatnonzero(occ)
        arr["outside_idx"] = np.flatnonzero(~occ)
        if self.input_kind == IMAGE and arr["n_views"] == 0:
            raise DatasetError(f"{self.shape_dirs[i]}: prepared without views; re-run np-prepare with --views K.")
        if self.cache_size > 0:
            self._cache[i] = arr
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return arr

    def _read_arrays(self, i: int) -> dict[str, Any]:
        d = self.shape_dirs[i]
        meta = read_meta(d)
        keys = ["surface_points", "surface_normals", "volume_points", "occupancy"]
        try:
            with np.load(d / SAMPLES_FILE, allow_pickle=False) as z:
                arr = {k: z[k] for k in keys}
                arr["part_labels"] = z["surface_part_labels"] if "surface_part_labels" in z.files else None
                if self.input_kind == VOXELS:
                    if "voxels_32" not in z.files:
                        raise DatasetError(f"{d}: prepared without voxels; re-run np-prepare with voxels.")
                    r = VOXEL_RESOLUTION
                    arr["voxels"] = np.unpackbits(z["voxels_32"])[: r ** 3].reshape(r, r, r).astype(np.float32)
        except (OSError, ValueError, KeyError) as exc:
            raise DatasetError(f"{d / SAMPLES_FILE}: unreadable ({exc}).") from None
        arr["n_uniform"] = int(meta.get("n_volume_uniform", len(arr["volume_points"])))
        arr["scale"] = float(meta.get("scale", 1.0))
        arr["translation"] = np.asarray(meta.get("translation", [0, 0, 0]), dtype=np.float32)
        arr["n_views"] = int(meta.get("n_views", 0))
        return arr

    def _rng(self, i: int) -> np.random.Generator:
        if self.seed is None:
            return np.random.default_rng(int(torch.randint(0, 2 ** 62, (1,)).item()))
        return np.random.default_rng([int(self.seed), self.epoch, i])

    # ------------------------------------------------------------------ sampling
    def _volume(self, arr: dict[str, Any], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pts, occ = arr["volume_points"], arr["occupancy"]
        n = self.n_volume_samples
        inside, outside = arr["inside_idx"], arr["outside_idx"]
        total = len(pts)
        if len(inside) == 0 or len(outside) == 0 or not (self.equal or self.positive_weight > 0):
            idx = rng.integers(0, total, n)
            weights = np.ones(n, dtype=np.float32)
        elif not self.equal:
            return self._weighted_volume(arr, rng)
        else:
            n_in = n // 2
            idx = np.concatenate([inside[rng.integers(0, len(inside), n_in)],
                                  outside[rng.integers(0, len(outside), n - n_in)]])
            # p(inside point) = 1 / (2 n_inside), p(outside point) = 1 / (2 n_outside)
            weights = np.concatenate([np.full(n_in, 2.0 * len(inside) / total),
                                      np.full(n - n_in, 2.0 * len(outside) / total)]).astype(np.float32)
            perm = rng.permutation(n)
            idx, weights = idx[perm], weights[perm]
        return pts[idx], occ[idx].astype(np.float32), weights

    def _weighted_volume(self, arr: dict[str, Any], rng: np.random.Generator
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """p(inside point) = W / Z, p(outside point) = 1 / Z with Z = W n_in + n_out; weights
        1 / (n_total p). Drawn as a binomial class count, then uniformly within each class."""
        pts, occ = arr["volume_points"], arr["occupancy"]
        inside, outside = arr["inside_idx"], arr["outside_idx"]
        n, w, total = self.n_volume_samples, self.positive_weight, len(pts)
        z = w * len(inside) + len(outside)
        n_in = int(rng.binomial(n, w * len(inside) / z))
        idx = np.concatenate([inside[rng.integers(0, len(inside), n_in)],
                              outside[rng.integers(0, len(outside), n - n_in)]])
        weights = np.concatenate([np.full(n_in, z / (w * total)), np.full(n - n_in, z / total)]).astype(np.float32)
        perm = rng.permutation(n)
        idx, weights = idx[perm], weights[perm]
        return pts[idx], occ[idx].astype(np.float32), weights

    def _image(self, i: int, arr: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        from PIL import Image
        k = int(rng.integers(0, arr["n_views"])) if self.random_view else 0
        path = self.shape_dirs[i] / "views" / f"{k:03d}.png"
        img = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
        return ((img - IMAGENET_MEAN) / IMAGENET_STD).transpose(2, 0, 1)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        if i < 0:
            i += len(self)
        arr = self._arrays(i)
        rng = self._rng(i)
        n_surf = len(arr["surface_points"])
        s_idx = rng.integers(0, n_surf, self.n_surface_samples)
        labels = arr["part_labels"]
        part = (labels[s_idx].astype(np.int64) if labels is not None
                else np.full(self.n_surface_samples, -1, dtype=np.int64))
        vp, occ, w = self._volume(arr, rng)
        if self.input_kind == POINTS:
            x = arr["surface_points"][rng.integers(0, n_surf, self.n_input_points)]
        elif self.input_kind == VOXELS:
            x = arr["voxels"][None]
        else:
            x = self._image(i, arr, rng)
        return {
            "input": torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)),
            "surface_points": torch.from_numpy(np.ascontiguousarray(arr["surface_points"][s_idx], dtype=np.float32)),
            "surface_normals": torch.from_numpy(np.ascontiguousarray(arr["surface_normals"][s_idx], dtype=np.float32)),
            "part_labels": torch.from_numpy(part),
            "volume_points": torch.from_numpy(np.ascontiguousarray(vp, dtype=np.float32)),
            "occupancy": torch.from_numpy(occ),
            "volume_weights": torch.from_numpy(w),
            "scale": torch.tensor(arr["scale"], dtype=torch.float32),
            "translation": torch.from_numpy(arr["translation"].copy()),
            "index": torch.tensor(i, dtype=torch.int64),
        }


class InMemoryDataset(PreparedDataset):
    """The same items as :class:`PreparedDataset`, drawn from prepared records held in memory
    (``trainer.data.PreparedShape``, e.g. from the in-process prepare of one mesh) instead of
    directories. Views are not available (records carry no rendered images)."""

    def __init__(self, records: Sequence[Any], **kwargs: Any) -> None:
        self.records = list(records)
        super().__init__(".", split=None, **kwargs)

    def _list_shapes(self, split: str | Sequence[str] | None) -> list[Path]:
        if not self.records:
            raise DatasetError("no prepared shapes given.")
        return [Path(r.name or f"shape_{i}") for i, r in enumerate(self.records)]

    def _read_arrays(self, i: int) -> dict[str, Any]:
        r = self.records[i]
        arr: dict[str, Any] = {
            "surface_points": np.asarray(r.surface_points), "surface_normals": np.asarray(r.surface_normals),
            "volume_points": np.asarray(r.volume_points), "occupancy": np.asarray(r.occupancy),
            "part_labels": None if r.part_labels is None else np.asarray(r.part_labels),
            "n_uniform": int(r.n_uniform), "scale": float(r.scale),
            "translation": np.asarray(r.translation, dtype=np.float32), "n_views": 0,
        }
        if self.input_kind == VOXELS:
            if r.voxels is None:
                raise DatasetError(f"{r.name}: prepared without voxels.")
            arr["voxels"] = np.asarray(r.voxels, np.float32)
        return arr


def dataset_from_config(config: dict, split: str | Sequence[str] | None, seed: int | None = None,
                        **overrides: Any) -> PreparedDataset:
    """A ``PreparedDataset`` from a config in the published schema with
    ``data.dataset_type: prepared`` and ``data.dataset_directory``.

    Keys used: data.n_points_on_mesh (surface samples), data.n_points_in_mesh (volume
    samples), data.n_input_points, data.equal, data.positive_weight, data.random_view,
    feature_extractor.type (its input kind: ``trainer.input_kinds.ENCODER_INPUT``).
    """
    data = config.get("data", {}) or {}
    dtype = data.get("dataset_type", "prepared")
    if dtype != "prepared":
        raise DatasetError(f"data.dataset_type is '{dtype}'; only 'prepared' directories are read here "
                           "(convert with np-prepare).")
    directory = data.get("dataset_directory")
    if not directory:
        raise DatasetError("data.dataset_directory is not set in the config.")
    kwargs: dict[str, Any] = dict(
        n_input_points=int(data.get("n_input_points", 2048)),
        n_surface_samples=int(data.get("n_points_on_mesh", 2000)),
        n_volume_samples=int(data.get("n_points_in_mesh", 2000)),
        equal=bool(data.get("equal", True)),
        positive_weight=float(data.get("positive_weight", 0) or 0),
        random_view=bool(data.get("random_view", False)),
        input_kind=input_kind_of(config),
        seed=seed,
    )
    kwargs.update(overrides)
    return PreparedDataset(directory, split, **kwargs)
