"""Export of part meshes and assemblies: the format registry (OBJ/PLY/STL/GLB/glTF), watertight union,
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
from .formats import EXPORT_FORMATS, FORMATS, ExportFormat, format_of, save_filter
from .union import UnionResult, union_parts
from .writers import encode_parts, export_mesh, export_parts, part_paths

__all__ = [
    "EXPORT_FORMATS", "FORMATS", "FORMAT_VERSION", "AssemblyFileError", "ExportError", "ExportExistsError",
    "ExportFormat", "ExportPart", "SavedAssembly", "SavedPart", "UnionResult", "apply_transform", "encode_parts",
    "export_mesh", "export_parts", "face_labels_from_vertex_labels", "format_of",
    "load_assembly", "owners_from_implicit", "part_paths", "resolve_reference", "save_assembly",
    "save_filter", "split_by_labels", "union_parts", "write_files",
]
