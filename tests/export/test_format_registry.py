"""The export format registry is the one list: the writers, the save dialogs' filter strings and
the CLIs' --format choices all come from it."""
from __future__ import annotations

import re

import numpy as np
import pytest
import trimesh

from trainer.export import EXPORT_FORMATS, FORMATS, ExportError, ExportPart, encode_parts, export_parts, format_of
from trainer.export import save_filter
from trainer.file_types import MESH_EXTENSIONS, POINT_EXTENSIONS, SHAPE_OPEN_FILTER


def _tetra(name: str = "part") -> ExportPart:
    v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], np.float64)
    f = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]], np.int64)
    return ExportPart(name, v, f, (0.2, 0.4, 0.6))


@pytest.mark.parametrize("name", FORMATS)
def test_every_registered_format_round_trips_a_part(name, tmp_path):
    part = _tetra()
    fmt = EXPORT_FORMATS[name]
    [main, *extra] = export_parts([part], tmp_path / f"p{fmt.suffix}")
    assert main.suffix == fmt.suffix and all(p.exists() for p in extra)
    loaded = trimesh.load(main, force="mesh", process=False)
    got = {tuple(np.round(v, 6)) for v in loaded.vertices}
    assert got == {tuple(v) for v in part.vertices}
    assert len(loaded.faces) == len(part.faces)


def test_scene_formats_keep_named_parts_and_the_others_merge_them(tmp_path):
    parts = [_tetra("a"), _tetra("b")]
    for fmt in EXPORT_FORMATS.values():
        files = encode_parts(parts, tmp_path / f"x{fmt.suffix}")
        path = tmp_path / f"x{fmt.suffix}"
        for p, data in files.items():
            p.write_bytes(data)
        if fmt.scene:
            assert sorted(trimesh.load(path, force="scene").graph.nodes_geometry) == ["a", "b"]
        else:
            assert len(trimesh.load(path, force="mesh", process=False).faces) == 8


def test_format_of_reads_the_suffix_or_the_name_and_names_the_choices():
    assert format_of("a/b.GLB") is EXPORT_FORMATS["glb"]
    assert format_of("a/b.xyz", "stl") is EXPORT_FORMATS["stl"]
    with pytest.raises(ExportError, match=", ".join(FORMATS)):
        format_of("b.off")


@pytest.mark.parametrize("first", FORMATS)
def test_save_filter_lists_every_suffix_once_with_the_default_first(first):
    text = save_filter(first)
    suffixes = re.findall(r"\(\*(\.\w+)\)", text)
    assert suffixes[0] == EXPORT_FORMATS[first].suffix
    assert sorted(suffixes) == sorted(f.suffix for f in EXPORT_FORMATS.values())
    assert text.count(";;") == len(FORMATS) - 1


def test_cli_format_choices_are_the_registry():
    from trainer.fitting.cli import build_parser as fit_parser
    from trainer.inference.cli import build_parser as infer_parser
    for parser in (infer_parser(), fit_parser()):
        action = next(a for a in parser._actions if "--format" in a.option_strings)
        assert tuple(action.choices) == FORMATS


def test_open_shapes_filter_lists_every_readable_suffix():
    shapes, meshes, points, everything = SHAPE_OPEN_FILTER.split(";;")
    for label, suffixes in ((shapes, MESH_EXTENSIONS + POINT_EXTENSIONS), (meshes, MESH_EXTENSIONS),
                            (points, POINT_EXTENSIONS)):
        assert set(re.findall(r"\*(\.\w+)", label)) == set(suffixes)
    assert everything == "All files (*)"
