"""One prepared shape on disk: the record, writing it atomically and reading it back.

A shape directory holds
  meta.json    name, category, split, source, normalisation (scale, translation), counts,
               part names, format version
  samples.npz  surface_points (N,3) f32, surface_normals (N,3) f32, volume_points (K,3) f32,
               occupancy (K,) bool, optional surface_part_labels (N,) int32,
               face_part_labels (T,) int32 and voxels_32 (packed bits of a 32^3 bool grid)
  mesh.ply     the normalised mesh
  views/       optional rendered views NNN.png with cameras.json
See README.md ("The prepared format") for the full description; it is a contract other tools write to.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from trainer.data.normalize import Normalization

FORMAT_VERSION = 1
META_FILE = "meta.json"
SAMPLES_FILE = "samples.npz"
MESH_FILE = "mesh.ply"
VIEWS_DIR = "views"
VOXEL_RESOLUTION = 32
INCOMPLETE_DIR = ".incomplete"


class PreparedFormatError(Exception):
    """A prepared shape directory is missing files or holds inconsistent arrays."""


@dataclass
class PreparedShape:
    name: str
    category: str
    surface_points: np.ndarray          # (N, 3) float32, normalised coordinates
    surface_normals: np.ndarray         # (N, 3) float32, unit, outward
    volume_points: np.ndarray           # (K, 3) float32: first n_uniform uniform in the box
    occupancy: np.ndarray               # (K,) bool
    scale: float
    translation: np.ndarray             # (3,) float64; normalised = original * scale + translation
    part_labels: np.ndarray | None = None      # (N,) int, index into part_names
    part_names: list[str] | None = None
    n_uniform: int = 0                  # volume_points[:n_uniform] are uniform in the padded box
    split: str = "train"
    source: str = ""
    directory: Path | None = None
    face_part_labels: np.ndarray | None = None  # (T,) int for the faces of mesh.ply
    voxels: np.ndarray | None = None    # (32, 32, 32) bool, indexed [x, y, z]
    padding: float = 0.05
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def normalization(self) -> Normalization:
        return Normalization(scale=float(self.scale), translation=np.asarray(self.translation, dtype=np.float64))

    @property
    def uniform_points(self) -> np.ndarray:
        """Volume samples drawn uniformly in the padded box (use these for IoU)."""
        return self.volume_points[: self.n_uniform]

    @property
    def uniform_occupancy(self) -> np.ndarray:
        return self.occupancy[: self.n_uniform]

    @property
    def mesh_path(self) -> Path | None:
        if self.directory is None:
            return None
        p = self.directory / MESH_FILE
        return p if p.is_file() else None

    @property
    def view_paths(self) -> list[Path]:
        if self.directory is None or not (self.directory / VIEWS_DIR).is_dir():
            return []
        return sorted((self.directory / VIEWS_DIR).glob("*.png"))

    def load_mesh(self) -> trimesh.Trimesh:
        """The normalised mesh stored with the samples."""
        if self.mesh_path is None:
            raise PreparedFormatError(f"{self.directory}: no {MESH_FILE} in this prepared shape.")
        return trimesh.load(str(self.mesh_path), process=False, force="mesh")


def shape_dir_for(out_dir: Path, category: str, name: str) -> Path:
    return Path(out_dir) / safe_component(category) / safe_component(name)


def safe_component(text: str) -> str:
    """A file-system-safe single path component."""
    keep = "".join(c if (c.isalnum() or c in "-_.+") else "_" for c in text.strip())
    keep = keep.lstrip(".")
    return keep or "unnamed"


def is_prepared_shape_dir(path: Path) -> bool:
    return (Path(path) / META_FILE).is_file() and (Path(path) / SAMPLES_FILE).is_file()


def save_prepared(shape: PreparedShape, out_dir: Path, mesh: trimesh.Trimesh | None = None,
                  views: list[np.ndarray] | None = None, cameras: list[dict] | None = None,
                  compress: bool = False) -> Path:
    """Write ``shape`` under out_dir/category/name atomically; return the shape directory.

    Everything is written in a private directory under out_dir/.incomplete and renamed into
    place at the end, so an interrupted run never leaves a half-written shape behind.
    """
    out_dir = Path(out_dir)
    final = shape_dir_for(out_dir, shape.category, shape.name)
    tmp_root = out_dir / INCOMPLETE_DIR
    tmp_root.mkdir(parents=True, exist_ok=True)
    tmp = tmp_root / f"{final.parent.name}__{final.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        arrays: dict[str, np.ndarray] = {
            "surface_points": np.asarray(shape.surface_points, dtype=np.float32),
            "surface_normals": np.asarray(shape.surface_normals, dtype=np.float32),
            "volume_points": np.asarray(shape.volume_points, dtype=np.float32),
            "occupancy": np.asarray(shape.occupancy, dtype=bool),
        }
        if shape.part_labels is not None:
            arrays["surface_part_labels"] = np.asarray(shape.part_labels, dtype=np.int32)
        if shape.face_part_labels is not None:
            arrays["face_part_labels"] = np.asarray(shape.face_part_labels, dtype=np.int32)
        if shape.voxels is not None:
            arrays["voxels_32"] = np.packbits(np.asarray(shape.voxels, dtype=bool).ravel())
        saver = np.savez_compressed if compress else np.savez
        saver(tmp / SAMPLES_FILE, **arrays)
        if mesh is not None:
            mesh.export(str(tmp / MESH_FILE), file_type="ply")
        n_views = 0
        if views:
            (tmp / VIEWS_DIR).mkdir()
            from PIL import Image
            for i, img in enumerate(views):
                Image.fromarray(np.asarray(img, dtype=np.uint8)).save(tmp / VIEWS_DIR / f"{i:03d}.png")
            (tmp / VIEWS_DIR / "cameras.json").write_text(json.dumps(cameras or [], indent=1))
            n_views = len(views)
        meta = dict(shape.meta)
        meta.update({
            "format_version": FORMAT_VERSION,
            "name": shape.name,
            "category": shape.category,
            "split": shape.split,
            "source": shape.source,
            "scale": float(shape.scale),
            "translation": [float(x) for x in np.asarray(shape.translation).ravel()],
            "part_names": list(shape.part_names) if shape.part_names is not None else None,
            "n_surface": int(len(arrays["surface_points"])),
            "n_volume": int(len(arrays["volume_points"])),
            "n_volume_uniform": int(shape.n_uniform),
            "padding": float(shape.padding),
            "voxel_resolution": VOXEL_RESOLUTION if shape.voxels is not None else None,
            "n_views": n_views,
        })
        (tmp / META_FILE).write_text(json.dumps(meta, indent=1))
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():  # an explicit overwrite: move the old one aside first
            trash = tmp_root / f"old.{uuid.uuid4().hex[:8]}"
            os.replace(final, trash)
            shutil.rmtree(trash, ignore_errors=True)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def read_meta(shape_dir: Path) -> dict[str, Any]:
    path = Path(shape_dir) / META_FILE
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise PreparedFormatError(f"{shape_dir}: not a prepared shape (no {META_FILE}).") from None
    except (OSError, ValueError) as exc:
        raise PreparedFormatError(f"{path}: unreadable ({exc}).") from None


def load_prepared(shape_dir: str | os.PathLike) -> PreparedShape:
    """Read a prepared shape directory back into a ``PreparedShape``."""
    shape_dir = Path(shape_dir)
    meta = read_meta(shape_dir)
    try:
        with np.load(shape_dir / SAMPLES_FILE, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise PreparedFormatError(f"{shape_dir}: not a prepared shape (no {SAMPLES_FILE}).") from None
    except (OSError, ValueError) as exc:
        raise PreparedFormatError(f"{shape_dir / SAMPLES_FILE}: unreadable ({exc}).") from None
    for key in ("surface_points", "surface_normals", "volume_points", "occupancy"):
        if key not in arrays:
            raise PreparedFormatError(f"{shape_dir / SAMPLES_FILE}: missing array '{key}'.")
    voxels = None
    if "voxels_32" in arrays:
        r = VOXEL_RESOLUTION
        voxels = np.unpackbits(arrays["voxels_32"])[: r ** 3].astype(bool).reshape(r, r, r)
    n_volume = len(arrays["volume_points"])
    return PreparedShape(
        name=str(meta.get("name", shape_dir.name)),
        category=str(meta.get("category", shape_dir.parent.name)),
        surface_points=arrays["surface_points"].astype(np.float32, copy=False),
        surface_normals=arrays["surface_normals"].astype(np.float32, copy=False),
        volume_points=arrays["volume_points"].astype(np.float32, copy=False),
        occupancy=arrays["occupancy"].astype(bool, copy=False),
        scale=float(meta.get("scale", 1.0)),
        translation=np.asarray(meta.get("translation", [0.0, 0.0, 0.0]), dtype=np.float64),
        part_labels=arrays.get("surface_part_labels"),
        part_names=meta.get("part_names"),
        n_uniform=int(meta.get("n_volume_uniform", n_volume)),
        split=str(meta.get("split", "train")),
        source=str(meta.get("source", "")),
        directory=shape_dir,
        face_part_labels=arrays.get("face_part_labels"),
        voxels=voxels,
        padding=float(meta.get("padding", 0.05)),
        meta=meta,
    )
