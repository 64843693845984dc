"""The one registry of export formats (as trimesh's ``exchange/`` keeps one per file type):
each format's name (the ``--format`` value and the file suffix), its label in file dialogs, its
encoder and what it can hold. The writers, the CLIs' ``--format`` choices and the viewer's save
dialogs all read it, so a format added here is offered everywhere."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..file_types import filter_string, name_filter
from . import encoders
from .errors import ExportError
from .parts import ExportPart

Encoder = Callable[[Sequence[ExportPart], Path, bool], dict[Path, bytes]]


@dataclass(frozen=True)
class ExportFormat:
    name: str         # "obj": the --format value; the suffix is ".obj"
    label: str        # what a save dialog calls it
    encode: Encoder   # (parts, path, bake transforms) -> {file path: bytes}, see trainer.export.encoders
    scene: bool       # one file keeps the parts apart, named and with their transforms (else one mesh)

    @property
    def suffix(self) -> str:
        return f".{self.name}"

    @property
    def dialog_filter(self) -> str:
        return name_filter(self.label, [self.suffix])


EXPORT_FORMATS: dict[str, ExportFormat] = {f.name: f for f in (
    ExportFormat("obj", "OBJ with MTL", encoders.encode_obj, scene=False),
    ExportFormat("ply", "PLY", encoders.encode_ply, scene=False),
    ExportFormat("stl", "STL", encoders.encode_stl, scene=False),
    ExportFormat("glb", "GLB scene", encoders.encode_glb, scene=True),
    ExportFormat("gltf", "glTF scene", encoders.encode_gltf, scene=True),
)}
FORMATS: tuple[str, ...] = tuple(EXPORT_FORMATS)  # the names, e.g. for argparse choices


def format_of(path: Path | str, format: str | None = None) -> ExportFormat:
    """The export format: ``format`` if given, else the file suffix."""
    name = (format or Path(path).suffix.lstrip(".")).lower()
    if name not in EXPORT_FORMATS:
        raise ExportError(
            f"Cannot export to {Path(path).name}: the format must be one of {', '.join(FORMATS)}."
        )
    return EXPORT_FORMATS[name]


def save_filter(first: str) -> str:
    """The filter string of a save dialog: format ``first`` (the default), then the others."""
    order = [EXPORT_FORMATS[first]] + [f for f in EXPORT_FORMATS.values() if f.name != first]
    return filter_string([f.dialog_filter for f in order])


__all__ = ["EXPORT_FORMATS", "FORMATS", "ExportFormat", "format_of", "save_filter"]
