"""Finding the shapes to prepare: mesh files, folders, ShapeNet / D-FAUST layouts, families."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from trainer.data.mesh_io import is_mesh_file

_SYNSET = re.compile(r"^\d{8}$")
# Mesh file names inside a ShapeNet model directory, most preferred first: the authors'
# preprocessed watertight mesh, ShapeNet v2, ShapeNet v1.
SHAPENET_MESH_NAMES = ("model_watertight.off", "models/model_normalized.obj", "model.obj",
                       "model_normalized.obj", "model.off")
DFAUST_MESH_FOLDERS = ("mesh_seq", "mesh_seq_2")


class SourceError(Exception):
    """An input argument cannot be used (message names it)."""


@dataclass(frozen=True)
class Job:
    name: str
    category: str
    path: Path | None = None        # mesh file
    family: str | None = None       # procedural family
    seed: int | None = None

    @property
    def source(self) -> str:
        return str(self.path) if self.path is not None else f"synthetic:{self.family}:{self.seed}"


def synthetic_jobs(family: str, count: int, seed: int) -> list[Job]:
    return [Job(name=f"{family}-{s:06d}", category=family, family=family, seed=s)
            for s in range(seed, seed + count)]


def discover(inputs: list[str], category: str | None = None, exclude: Path | None = None) -> list[Job]:
    """Jobs for mesh files and folders (ShapeNet v1/v2, D-FAUST or any tree of meshes).

    ``exclude`` (the output folder) is never searched, so output inside an input folder is
    not prepared again.
    """
    jobs: list[Job] = []
    skip = exclude.resolve() if exclude is not None else None
    for raw in inputs:
        p = Path(raw).expanduser()
        if p.is_file():
            # A file the user named explicitly becomes a job even if it turns out to be bad.
            jobs.append(Job(name=p.stem, category=category or _clean(p.resolve().parent.name) or "meshes", path=p))
        elif p.is_dir():
            jobs.extend(_discover_dir(p, category, skip))
        else:
            raise SourceError(f"{raw}: no such file or directory.")
    return _unique(jobs)


def _discover_dir(root: Path, category: str | None, skip: Path | None = None) -> list[Job]:
    def excluded(path: Path) -> bool:
        return skip is not None and (path.resolve() == skip or skip in path.resolve().parents)

    subdirs = sorted(d for d in root.iterdir() if d.is_dir() and not excluded(d))
    # ShapeNet: root/<synset>/<model>/... or a single synset directory root/<model>/...
    if any(_SYNSET.match(d.name) for d in subdirs):
        return [j for d in subdirs if _SYNSET.match(d.name) for j in _shapenet_synset(d, category)]
    if _SYNSET.match(root.name):
        return _shapenet_synset(root, category)
    # D-FAUST: root/<subject_sequence>/mesh_seq*/<frame>.obj
    dfaust = [(d, f) for d in subdirs for f in DFAUST_MESH_FOLDERS if (d / f).is_dir()]
    if dfaust:
        jobs = []
        for d, folder in dfaust:
            for mesh in sorted((d / folder).iterdir()):
                if is_mesh_file(mesh):
                    jobs.append(Job(name=mesh.stem, category=category or d.name, path=mesh))
        return jobs
    # Any tree of meshes: category = first folder below root (or the root's own name).
    jobs = []
    for mesh in sorted(root.rglob("*")):
        if (mesh.is_file() and is_mesh_file(mesh) and not excluded(mesh)
                and not any(part.startswith(".") for part in mesh.relative_to(root).parts)):
            rel = mesh.relative_to(root)
            cat = category or (_clean(rel.parts[0]) if len(rel.parts) > 1 else _clean(root.resolve().name)) or "meshes"
            jobs.append(Job(name=mesh.stem, category=cat, path=mesh))
    return jobs


def _shapenet_synset(synset_dir: Path, category: str | None) -> list[Job]:
    jobs = []
    for model in sorted(d for d in synset_dir.iterdir() if d.is_dir()):
        mesh = next((model / n for n in SHAPENET_MESH_NAMES if (model / n).is_file()), None)
        if mesh is None:
            mesh = next((f for f in sorted(model.rglob("*")) if f.is_file() and is_mesh_file(f)), None)
        if mesh is not None:
            jobs.append(Job(name=model.name, category=category or synset_dir.name, path=mesh))
    return jobs


def _unique(jobs: list[Job]) -> list[Job]:
    """Make (category, name) unique by suffixing a short hash of the path to repeats."""
    seen: dict[tuple[str, str], int] = {}
    for j in jobs:
        seen[(j.category, j.name)] = seen.get((j.category, j.name), 0) + 1
    out = []
    for j in jobs:
        if seen[(j.category, j.name)] > 1:
            tag = hashlib.sha1(str(j.path).encode()).hexdigest()[:6]
            j = Job(name=f"{j.name}-{tag}", category=j.category, path=j.path)
        out.append(j)
    return out


def in_shard(job: Job, index: int, count: int) -> bool:
    """Stable assignment of a job to shard ``index`` of ``count`` (hash of category/name)."""
    if count <= 1:
        return True
    h = int.from_bytes(hashlib.sha1(f"{job.category}/{job.name}".encode()).digest()[:8], "big")
    return h % count == index


def _clean(text: str) -> str:
    return text.strip()


__all__ = ["Job", "SourceError", "discover", "synthetic_jobs", "in_shard"]
