"""Writing parts in any registered export format (:mod:`trainer.export.formats`).

``encode_parts`` turns parts into ``{path: bytes}`` without touching the disk;
``export_parts`` writes that atomically (see :mod:`trainer.export.atomic`).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .atomic import write_files
from .errors import ExportError
from .formats import format_of
from .parts import DEFAULT_COLOUR, ExportPart, safe_name, unique_names


def part_paths(parts: Sequence[ExportPart], path: Path | str, format: str | None = None) -> list[Path]:
    """File names used by ``per_part=True``: ``<stem>_<part name>.<ext>`` beside ``path``."""
    path = Path(path)
    suffix = format_of(path, format).suffix
    names = unique_names([p.name for p in parts], safe_name)
    return [path.with_name(f"{path.stem}_{n}{suffix}") for n in names]


def encode_parts(
    parts: Sequence[ExportPart],
    path: Path | str,
    *,
    format: str | None = None,
    per_part: bool = False,
    bake_transforms: bool = False,
) -> dict[Path, bytes]:
    """Encode ``parts`` to ``{file path: bytes}`` without writing anything.

    One file by default: OBJ gets one object (``o``) and material per part plus an MTL file,
    GLB/glTF one scene with a node named after each part, PLY and STL one mesh (PLY with
    per-vertex part colours). ``per_part=True`` writes one file per part instead
    (:func:`part_paths`). ``bake_transforms`` matters for GLB/glTF only: True applies each
    transform to the vertices, False keeps it as the node's matrix; the other formats
    cannot store transforms and are always baked.
    """
    path = Path(path)
    fmt = format_of(path, format)
    if not parts:
        raise ExportError("There is nothing to export: no parts were given.")
    if per_part:
        out: dict[Path, bytes] = {}
        for part, ppath in zip(parts, part_paths(parts, path, fmt.name)):
            out.update(fmt.encode([part], ppath, bake_transforms))
        return out
    return fmt.encode(parts, path, bake_transforms)


def export_parts(
    parts: Sequence[ExportPart],
    path: Path | str,
    *,
    format: str | None = None,
    per_part: bool = False,
    bake_transforms: bool = False,
    overwrite: bool = False,
) -> list[Path]:
    """Write ``parts`` (see :func:`encode_parts`) atomically; returns the files written.

    Raises :class:`ExportExistsError` if any target exists and ``overwrite`` is False, and
    :class:`ExportError` with one sentence for unwritable paths; nothing is left half-written.
    """
    files = encode_parts(parts, path, format=format, per_part=per_part,
                         bake_transforms=bake_transforms)
    return write_files(files, overwrite=overwrite)


def export_mesh(
    vertices: np.ndarray,
    faces: np.ndarray,
    path: Path | str,
    *,
    name: str = "mesh",
    colour: tuple[float, float, float] = DEFAULT_COLOUR,
    format: str | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Write a single mesh (e.g. a union) in any supported format."""
    part = ExportPart(name=name, vertices=vertices, faces=faces, colour=colour)
    return export_parts([part], path, format=format, overwrite=overwrite)
