"""np-prepare refuses what would be silent bad data, and explains unreadable files in one sentence."""
from __future__ import annotations

import json

from cli_helpers import TINY_SAMPLES, run


def test_flat_meshes_are_refused_as_flat_no_inside(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "triangle.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    (src / "sheet.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nf 1 2 3\nf 2 4 3\n")
    res = run("np-prepare", src, "--out", tmp_path / "ds", "--workers", "1", *TINY_SAMPLES)
    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
    report = (tmp_path / "ds" / "failures.txt").read_text().splitlines()
    assert len(report) == 2
    for name in ("triangle.obj", "sheet.obj"):
        assert any(name in line and "flat: no inside" in line for line in report), report
    assert json.loads((tmp_path / "ds" / "manifest.json").read_text())["shapes"] == []
    assert not list((tmp_path / "ds").glob("*/*/samples.npz"))


def test_off_and_ply_parse_errors_are_one_plain_sentence(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "short.off").write_text("OFF\n3 1 0\n0 0 0\n1 0\n")               # a vertex with 2 coordinates
    (src / "counts.off").write_text("OFF\nthree one zero\n")
    (src / "truncated.ply").write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 30\n"
                                        b"property float x\nproperty float y\nproperty float z\nend_header\nxx")
    res = run("np-prepare", src, "--out", tmp_path / "ds", "--workers", "1", *TINY_SAMPLES)
    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
    reasons = dict(line.split("\t", 1) for line in (tmp_path / "ds" / "failures.txt").read_text().splitlines())
    expected = {"short.off": "vertex 2 has 2 coordinates", "counts.off": "vertex and face counts",
                "truncated.ply": "does not match what its header declares"}
    assert len(reasons) == 3
    for source, reason in reasons.items():
        name = source.rsplit("/", 1)[-1]
        assert name in reason and expected[name] in reason, reason
        assert reason.count(".") <= 3 and "\n" not in reason  # one sentence, no parser internals
        for internal in ("literal", "array element", "inhomogeneous", "unexpected length", "list index"):
            assert internal not in reason, reason
