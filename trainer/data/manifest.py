"""The manifest of a prepared dataset: which shapes exist, their category and split.

``manifest.json`` at the dataset root:
  {"format": "neural-parts-studio/prepared", "version": 1,
   "shapes": [{"name": ..., "category": ..., "split": "train|val|test", "dir": "category/name"}]}
Splits are deterministic: a hash of "category/name" unless a splits file says otherwise, so
they do not depend on the order, the sharding or the number of shapes.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from trainer.fsutil import write_text
from trainer.data.prepared import INCOMPLETE_DIR, META_FILE, is_prepared_shape_dir, read_meta

MANIFEST_FILE = "manifest.json"
MANIFEST_FORMAT = "neural-parts-studio/prepared"
SPLITS: tuple[str, ...] = ("train", "val", "test")
DEFAULT_FRACTIONS: tuple[float, float, float] = (0.8, 0.1, 0.1)


class ManifestError(Exception):
    """A dataset directory has no usable manifest or shapes (message names the directory)."""


@dataclass(frozen=True)
class ManifestEntry:
    name: str
    category: str
    split: str
    dir: str            # relative to the dataset directory, POSIX separators


def assign_split(category: str, name: str,
                 fractions: tuple[float, float, float] = DEFAULT_FRACTIONS) -> str:
    """Deterministic train/val/test split from a hash of category/name."""
    digest = hashlib.sha1(f"{category}/{name}".encode("utf-8")).digest()
    u = int.from_bytes(digest[:8], "big") / 2.0 ** 64
    total = sum(fractions)
    edge = 0.0
    for split, frac in zip(SPLITS, fractions):
        edge += frac / total
        if u < edge:
            return split
    return SPLITS[-1]


def read_splits_file(path: str | os.PathLike) -> dict[tuple[str, str], str]:
    """Read a splits CSV into {(category, name): split}.

    Understands the authors' files: ShapeNet (``id,synsetId,subSynsetId,modelId,split``) and
    D-FAUST (``id,model_id,split``), and a plain ``category,name,split``.
    """
    path = Path(path)
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    if not rows:
        raise ManifestError(f"{path}: the splits file is empty.")
    header = [h.strip() for h in rows[0]]
    lower = [h.lower() for h in header]
    if "synsetid" in lower and "modelid" in lower:
        ci, ni = lower.index("synsetid"), lower.index("modelid")
    elif "model_id" in lower and "id" in lower:
        ci, ni = lower.index("id"), lower.index("model_id")
    elif "category" in lower and "name" in lower:
        ci, ni = lower.index("category"), lower.index("name")
    else:
        raise ManifestError(f"{path}: unrecognised splits header {header!r}.")
    si = lower.index("split") if "split" in lower else len(header) - 1
    out: dict[tuple[str, str], str] = {}
    for row in rows[1:]:
        if len(row) > max(ci, ni, si):
            out[(row[ci].strip(), row[ni].strip())] = row[si].strip()
    return out


def scan_shapes(dataset_dir: str | os.PathLike) -> list[ManifestEntry]:
    """Find every complete shape directory (category/name/meta.json) under ``dataset_dir``."""
    root = Path(dataset_dir)
    entries = []
    for meta_path in sorted(root.glob(f"*/*/{META_FILE}")):
        shape_dir = meta_path.parent
        if INCOMPLETE_DIR in shape_dir.parts or not is_prepared_shape_dir(shape_dir):
            continue
        try:
            meta = read_meta(shape_dir)
        except Exception:
            continue
        entries.append(ManifestEntry(
            name=str(meta.get("name", shape_dir.name)),
            category=str(meta.get("category", shape_dir.parent.name)),
            split=str(meta.get("split", "train")),
            dir=shape_dir.relative_to(root).as_posix(),
        ))
    return entries


def write_manifest(dataset_dir: str | os.PathLike, entries: list[ManifestEntry]) -> Path:
    """Write manifest.json atomically (temporary file + rename)."""
    root = Path(dataset_dir)
    root.mkdir(parents=True, exist_ok=True)
    path = root / MANIFEST_FILE
    doc = {"format": MANIFEST_FORMAT, "version": 1,
           "shapes": [asdict(e) for e in sorted(entries, key=lambda e: (e.category, e.name))]}
    return write_text(path, json.dumps(doc, indent=1))


def reindex(dataset_dir: str | os.PathLike) -> list[ManifestEntry]:
    """Rebuild manifest.json from the shape directories present (e.g. after merging shards)."""
    entries = scan_shapes(dataset_dir)
    write_manifest(dataset_dir, entries)
    return entries


def read_manifest(dataset_dir: str | os.PathLike) -> list[ManifestEntry]:
    """The shapes of a prepared dataset (from manifest.json, or by scanning if it has none)."""
    root = Path(dataset_dir)
    path = root / MANIFEST_FILE
    if not root.exists():
        raise ManifestError(f"{root}: the dataset directory does not exist.")
    if not root.is_dir():
        raise ManifestError(f"{root} is a file, not a prepared dataset (a folder made by np-prepare).")
    if not path.is_file():
        entries = scan_shapes(root)
        if not entries:
            what = "is an empty folder" if not any(root.iterdir()) else f"has no {MANIFEST_FILE} and no shapes"
            raise ManifestError(f"{root} {what}: not a prepared dataset (make one with np-prepare ... --out {root}).")
        return entries
    try:
        doc = json.loads(path.read_text())
        return [ManifestEntry(name=str(s["name"]), category=str(s["category"]),
                              split=str(s["split"]), dir=str(s["dir"])) for s in doc["shapes"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ManifestError(f"{path}: unreadable manifest ({exc}).") from None


def list_prepared(dataset_dir: str | os.PathLike, split: str | None = None) -> list[Path]:
    """Shape directories of a prepared dataset, optionally only one split.

    ``dataset_dir`` may also be a single shape directory, which is returned as the only item.
    """
    root = Path(dataset_dir)
    if is_prepared_shape_dir(root):
        return [root]
    return [root / e.dir for e in read_manifest(root) if split is None or e.split == split]
