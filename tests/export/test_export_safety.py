"""Atomic writes: no silent overwrite, one clear error for bad paths, nothing half-written."""
from __future__ import annotations

import errno
import os

import pytest

from trainer.export import ExportError, ExportExistsError, export_parts, write_files


def test_existing_file_is_not_overwritten_without_confirmation(parts, tmp_path):
    out = tmp_path / "a.glb"
    out.write_bytes(b"precious")
    with pytest.raises(ExportExistsError) as info:
        export_parts(parts, out)
    assert info.value.paths == [out]
    assert "already exists" in str(info.value)
    assert out.read_bytes() == b"precious"
    export_parts(parts, out, overwrite=True)
    assert out.read_bytes()[:4] == b"glTF"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.glb"]


def test_refusal_covers_every_file_of_a_multi_file_export(parts, tmp_path):
    # Only the MTL exists: the OBJ must not be written either.
    (tmp_path / "a.mtl").write_text("mine")
    with pytest.raises(ExportExistsError):
        export_parts(parts, tmp_path / "a.obj")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mtl"]


@pytest.mark.parametrize("bad", ["/proc/np_export_test.glb", "/proc/self/no_such_dir/x.stl"])
def test_unwritable_path_is_one_sentence_export_error(parts, bad):
    with pytest.raises(ExportError) as info:
        export_parts(parts, bad)
    msg = str(info.value)
    assert msg.startswith("Cannot write ") and msg.endswith(".") and "\n" not in msg
    assert not os.path.exists(bad)


def test_parent_that_is_a_file_or_missing_folder(parts, tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError, match="is a file, not a folder"):
        export_parts(parts, tmp_path / "file" / "a.ply")
    with pytest.raises(ExportError, match="folder does not exist"):
        export_parts(parts, tmp_path / "missing" / "a.ply")


def test_target_that_is_a_folder(parts, tmp_path):
    (tmp_path / "a.ply").mkdir()
    with pytest.raises(ExportError, match="is a folder"):
        export_parts(parts, tmp_path / "a.ply", overwrite=True)


def test_disk_full_midway_leaves_nothing_behind(parts, tmp_path, monkeypatch):
    calls = {"n": 0}
    real_fsync = os.fsync

    def failing_fsync(fd):
        calls["n"] += 1
        if calls["n"] == 2:  # the second file of a per-part export
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(ExportError, match="the disk is full"):
        export_parts(parts, tmp_path / "a.stl", per_part=True)
    assert list(tmp_path.iterdir()) == []


def test_failed_overwrite_keeps_the_old_file(parts, tmp_path, monkeypatch):
    out = tmp_path / "a.ply"
    out.write_bytes(b"old")

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(ExportError):
        export_parts(parts, out, overwrite=True)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.ply"]


def test_written_files_get_normal_permissions(tmp_path):
    # mkstemp creates 0600 files; an export must get 0666 minus the umask like any new file.
    from trainer.fsutil import new_file_mode

    (path,) = write_files({tmp_path / "x.txt": b"hi"})
    assert path.stat().st_mode & 0o777 == new_file_mode()


@pytest.mark.parametrize("code, reason", [
    (errno.EACCES, "permission denied"),
    (errno.EROFS, "the file system is read-only"),
])
def test_permission_and_read_only_errors_read_well(parts, tmp_path, monkeypatch, code, reason):
    # Simulated: this test may run as root, for whom a chmod-ed folder stays writable.
    import tempfile

    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(ExportError) as info:
        export_parts(parts, tmp_path / "a.glb")
    assert str(info.value) == f"Cannot write {tmp_path / 'a.glb'}: {reason}."
    assert list(tmp_path.iterdir()) == []


def test_real_read_only_folder_when_not_root(parts, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.geteuid() == 0:  # root ignores folder permissions: expect success instead
            assert export_parts(parts, ro / "a.stl") == [ro / "a.stl"]
        else:
            with pytest.raises(ExportError, match="permission denied"):
                export_parts(parts, ro / "a.stl")
            assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o755)
