"""Saved assemblies: a folder holding ``assembly.json`` and one PLY mesh per part.

Layout (format version 1)::

    my_chair.npasm/
        assembly.json
        parts/000.ply, parts/001.ply, ...

``assembly.json`` holds the references (checkpoint, shape) and each part's state; the PLY
files hold each part's own mesh (float32 vertices, before its transform), so reopening
reproduces every array bit for bit. The full field list is in README.md ("Saved assemblies").
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import trimesh
from trimesh.exchange.ply import export_ply
from trimesh.visual import ColorVisuals

from .atomic import replace_folder
from .errors import AssemblyFileError, ExportError
from .parts import DEFAULT_COLOUR, ExportPart

FORMAT_NAME = "neural-parts-studio/assembly"
FORMAT_VERSION = 1
MANIFEST = "assembly.json"


@dataclass(eq=False)
class SavedPart:
    """The saved state of one part. ``vertices`` are kept as float32 (the model's precision),
    ``faces`` as int64, ``transform`` as a float64 4x4 column-vector matrix applied on top
    of the mesh. ``primitive`` is the primitive index it came from (None for imported
    meshes); ``shape`` names the shape it came from when that differs from the assembly's."""

    name: str
    vertices: np.ndarray
    faces: np.ndarray
    primitive: int | None = None
    colour: tuple[float, float, float] = DEFAULT_COLOUR
    visible: bool = True
    opacity: float = 1.0
    transform: np.ndarray = field(default_factory=lambda: np.eye(4))
    shape: str | None = None

    def __post_init__(self) -> None:
        self.vertices = np.ascontiguousarray(self.vertices, dtype=np.float32)
        self.faces = np.ascontiguousarray(self.faces, dtype=np.int64)
        self.transform = np.array(self.transform, dtype=np.float64)
        self.colour = tuple(float(c) for c in self.colour)  # type: ignore[assignment]
        self.opacity = float(self.opacity)
        self.visible = bool(self.visible)
        ExportPart(self.name, self.vertices, self.faces, self.colour, self.transform)  # validates

    def to_export_part(self) -> ExportPart:
        return ExportPart(self.name, self.vertices, self.faces, self.colour, self.transform, self.opacity)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SavedPart):
            return NotImplemented
        return (
            (self.name, self.primitive, self.colour, self.visible, self.opacity, self.shape)
            == (other.name, other.primitive, other.colour, other.visible, other.opacity, other.shape)
            and _same_array(self.vertices, other.vertices)
            and _same_array(self.faces, other.faces)
            and _same_array(self.transform, other.transform)
        )


@dataclass(eq=False)
class SavedAssembly:
    """An edited assembly: references to the model and shape, and the parts' state.

    ``checkpoint`` and ``shape`` are stored as given; a relative one is read relative to the
    assembly folder (:func:`resolve_reference`). ``metadata`` is any JSON-serialisable dict.
    """

    parts: list[SavedPart]
    checkpoint: str | None = None
    shape: str | None = None
    resolution: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SavedAssembly):
            return NotImplemented
        return (
            (self.checkpoint, self.shape, self.resolution, self.metadata)
            == (other.checkpoint, other.shape, other.resolution, other.metadata)
            and self.parts == other.parts
        )


def _same_array(a: np.ndarray, b: np.ndarray) -> bool:
    # Bit-exact: same dtype, shape and bytes (so -0.0 != 0.0 and NaN == NaN of the same bits).
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def resolve_reference(assembly_path: Path | str, ref: str | None) -> Path | None:
    """A checkpoint/shape reference as a path: relative ones are taken from the assembly folder."""
    if ref is None:
        return None
    p = Path(ref).expanduser()
    return p if p.is_absolute() else _folder(Path(assembly_path)) / p


def _folder(path: Path) -> Path:
    return path.parent if path.name == MANIFEST and path.is_file() else path


def _part_json(part: SavedPart, mesh_ref: str) -> dict[str, Any]:
    return {
        "name": part.name,
        "primitive": part.primitive,
        "colour": list(part.colour),
        "visible": part.visible,
        "opacity": part.opacity,
        "transform": part.transform.tolist(),
        "shape": part.shape,
        "mesh": mesh_ref,
        "vertex_count": int(len(part.vertices)),
        "face_count": int(len(part.faces)),
    }


def _ply_bytes(part: SavedPart) -> bytes:
    mesh = trimesh.Trimesh(vertices=part.vertices, faces=part.faces, process=False)
    rgba = np.clip(np.round(np.array([*part.colour, part.opacity]) * 255), 0, 255).astype(np.uint8)
    if len(part.vertices):  # trimesh cannot colour an empty vertex list
        mesh.visual = ColorVisuals(mesh, vertex_colors=np.tile(rgba, (len(part.vertices), 1)))
    return export_ply(mesh, encoding="binary", vertex_normal=False)


_NUMBER_LIST = re.compile(r"\[([-+0-9.eE,\s]+)\]")


def _one_line(match: re.Match) -> str:
    # Readability: keep number lists (colours, matrix rows) on one line. Only lists that
    # json.dumps spread over lines are touched: a JSON string never holds a raw newline.
    if "\n" not in match.group(1):
        return match.group(0)
    return "[" + ", ".join(x.strip() for x in match.group(1).split(",")) + "]"


def save_assembly(assembly: SavedAssembly, path: Path | str, *, overwrite: bool = False) -> Path:
    """Save ``assembly`` as the folder ``path`` (created atomically); returns it.

    An existing save is replaced only with ``overwrite=True`` (else :class:`ExportExistsError`),
    and a folder that is not a saved assembly is never replaced.
    """
    path = Path(path)
    entries = []
    for i, part in enumerate(assembly.parts):
        entries.append(_part_json(part, f"parts/{i:03d}.ply"))
    manifest = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "checkpoint": assembly.checkpoint,
        "shape": assembly.shape,
        "resolution": assembly.resolution,
        "parts": entries,
        "metadata": assembly.metadata,
    }
    try:
        text = _NUMBER_LIST.sub(_one_line, json.dumps(manifest, indent=2, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ExportError(
            f"Cannot save {path}: a transform, colour or metadata value is not a finite JSON value."
        ) from exc

    def build(tmp: Path) -> None:
        (tmp / "parts").mkdir()
        for part, entry in zip(assembly.parts, entries):
            (tmp / entry["mesh"]).write_bytes(_ply_bytes(part))
        (tmp / MANIFEST).write_text(text + "\n", encoding="utf-8")

    return replace_folder(build, path, overwrite=overwrite, marker=MANIFEST)


def _field(d: dict, key: str, types: type | tuple, where: str, file: Path) -> Any:
    if key not in d:
        raise AssemblyFileError(f"{file} is not a valid saved assembly: {where} has no {key!r}.")
    value = d[key]
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in (
            types if isinstance(types, tuple) else (types,))):
        raise AssemblyFileError(f"{file} is not a valid saved assembly: {where} has a bad {key!r}.")
    return value


def _load_part(folder: Path, manifest: Path, i: int, d: Any) -> SavedPart:
    where = f"part {i}"
    if not isinstance(d, dict):
        raise AssemblyFileError(f"{manifest} is not a valid saved assembly: {where} is not an object.")
    ref = _field(d, "mesh", str, where, manifest)
    mesh_path = (folder / ref).resolve()
    if folder.resolve() not in mesh_path.parents:
        raise AssemblyFileError(f"{manifest} refers to a mesh outside its folder ({ref}).")
    if not mesh_path.is_file():
        raise AssemblyFileError(f"The saved assembly {folder} is missing its mesh {ref}.")
    try:
        # no force="mesh": a part without faces loads as a point cloud (or an empty scene)
        mesh = trimesh.load(mesh_path, file_type="ply", process=False)
    except Exception as exc:  # trimesh raises many kinds on corrupt files
        raise AssemblyFileError(f"The mesh {mesh_path} of a saved assembly cannot be read.") from exc
    vertices = np.asarray(getattr(mesh, "vertices", np.zeros((0, 3))), dtype=np.float64).reshape(-1, 3)
    faces = np.asarray(getattr(mesh, "faces", np.zeros((0, 3))), dtype=np.int64).reshape(-1, 3)
    if (len(vertices), len(faces)) != (d.get("vertex_count"), d.get("face_count")):
        raise AssemblyFileError(f"The mesh {mesh_path} does not match {manifest} (vertex or face count).")
    transform = np.array(_field(d, "transform", list, where, manifest), dtype=np.float64)
    colour = _field(d, "colour", list, where, manifest)
    primitive = d.get("primitive")
    try:
        return SavedPart(
            name=_field(d, "name", str, where, manifest),
            vertices=vertices.astype(np.float32),  # written as float32, so this is exact
            faces=faces.astype(np.int64),
            primitive=None if primitive is None else int(primitive),
            colour=tuple(colour),  # type: ignore[arg-type]
            visible=_field(d, "visible", bool, where, manifest),
            opacity=_field(d, "opacity", (int, float), where, manifest),
            transform=transform,
            shape=d.get("shape"),
        )
    except (ValueError, TypeError) as exc:
        raise AssemblyFileError(f"{manifest} is not a valid saved assembly: {where}: {exc}.") from exc


def load_assembly(path: Path | str) -> SavedAssembly:
    """Open a saved assembly: its folder, or the ``assembly.json`` inside it."""
    path = Path(path)
    folder = _folder(path)
    manifest = folder / MANIFEST
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AssemblyFileError(f"{path} is not a saved assembly (no {MANIFEST} found).") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise AssemblyFileError(f"Cannot read {manifest}: {exc.__class__.__name__}.") from exc
    except json.JSONDecodeError as exc:
        raise AssemblyFileError(f"{manifest} is not valid JSON (line {exc.lineno}).") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise AssemblyFileError(f"{manifest} is not a Neural Parts Studio assembly file.")
    version = data.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise AssemblyFileError(
            f"{manifest} has format version {version}; this program reads versions up to {FORMAT_VERSION}."
        )
    parts_json = _field(data, "parts", list, "the file", manifest)
    parts = [_load_part(folder, manifest, i, d) for i, d in enumerate(parts_json)]
    resolution = data.get("resolution")
    return SavedAssembly(
        parts=parts,
        checkpoint=data.get("checkpoint"),
        shape=data.get("shape"),
        resolution=None if resolution is None else int(resolution),
        metadata=data.get("metadata") or {},
    )
