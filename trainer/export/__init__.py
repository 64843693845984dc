"""Export of part meshes and assemblies: OBJ/PLY/STL/GLB writers, watertight union,
segmentation export and the saved-assembly format. Plain Python (no Qt): shared by the
viewer and ``np-infer``."""
from .assembly_file import (
    FORMAT_VERSION,
    SavedAssembly,
    SavedPart,
    load_assembly,
    resolve_reference,
    save_assembly,
)
from .atomic import write_files
from .errors import AssemblyFileError, ExportError, ExportExistsError
from .parts import ExportPart, apply_transform
from .segment import face_labels_from_vertex_labels, owners_from_implicit, split_by_labels
from .union import UnionResult, union_parts
from .writers import FORMATS, encode_parts, export_mesh, export_parts, format_of, part_paths

__all__ = [
    "FORMATS", "FORMAT_VERSION", "AssemblyFileError", "ExportError", "ExportExistsError",
    "ExportPart", "SavedAssembly", "SavedPart", "UnionResult", "apply_transform", "encode_parts",
    "export_mesh", "export_parts", "face_labels_from_vertex_labels", "format_of",
    "load_assembly", "owners_from_implicit", "part_paths", "resolve_reference", "save_assembly",
    "split_by_labels", "union_parts", "write_files",
]
