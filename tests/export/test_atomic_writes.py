"""trainer.fsutil.replacing: the one way files are written (checkpoints, manifests, reports,
screenshots, exports): all or nothing, the old file intact when the writer fails."""
from __future__ import annotations

import os

import pytest

from trainer.fsutil import copy_file, new_file_mode, replacing, write_text


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with replacing(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("disk on fire")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["report.json"]


def test_a_finished_write_replaces_the_file_with_a_plain_mode(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    assert write_text(target, "néw") == target
    assert target.read_text(encoding="utf-8") == "néw"
    assert target.stat().st_mode & 0o777 == new_file_mode()
    assert os.listdir(tmp_path) == ["a.txt"]


def test_the_temporary_keeps_the_suffix_a_writer_needs(tmp_path):
    with replacing(tmp_path / "shot.png", suffix=".png") as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".shot.png.") and tmp.suffix == ".png"
        tmp.write_bytes(b"png")
    assert (tmp_path / "shot.png").read_bytes() == b"png"


def test_copy_file(tmp_path):
    (tmp_path / "src").write_bytes(b"x" * 1000)
    copy_file(tmp_path / "src", tmp_path / "dst")
    assert (tmp_path / "dst").read_bytes() == b"x" * 1000
    assert sorted(os.listdir(tmp_path)) == ["dst", "src"]
