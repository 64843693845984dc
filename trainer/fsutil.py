"""File-system helpers shared by every writer (checkpoints, exports, screenshots, manifests).

The one way to write a file here: :func:`replacing` (or :func:`write_bytes` / :func:`write_text`
/ :func:`copy_file` on top of it) writes a hidden temporary file in the target folder, fsyncs
it, gives it the mode a new file gets and renames it over the target, so a crash, a full disk
or an error in the writer never leaves a half-written file, and the old file stays as it was.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def current_umask() -> int:
    """The process umask, read from /proc (``os.umask()`` would briefly change it for all threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def new_file_mode() -> int:
    """The mode a plainly created file would get; temporary files from mkstemp start at 0600."""
    return 0o666 & ~current_umask()


def unwritable_reason(folder: Path) -> str | None:
    """Why files cannot be created in ``folder`` (or in it once it is made), or None when they can.

    Checked before any work and without leaving anything behind: a missing folder is probed
    through its nearest existing parent, by creating and removing a temporary file.
    """
    folder = Path(folder)
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            return "no such folder"
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=existing)
    except OSError as exc:
        return f"{existing} is not writable ({(exc.strerror or str(exc)).lower()})"
    os.close(fd)
    os.unlink(probe)
    return None


def temporary_beside(path: Path, suffix: str = ".tmp") -> Path:
    """A new empty hidden file ``.<name>.<random><suffix>`` in ``path``'s folder."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    return Path(tmp)


def finish_temporary(tmp: Path) -> None:
    """Flush ``tmp`` to the disk and give it the mode of a plainly created file (mkstemp's is 0600)."""
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.chmod(tmp, new_file_mode())


@contextmanager
def replacing(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path`` for the block to write; on a clean exit it replaces
    ``path`` (see the module docstring), on an exception it is removed and ``path`` is untouched.
    ``suffix`` is for writers that choose the format by the file name (e.g. ".png")."""
    tmp = temporary_beside(Path(path), suffix)
    try:
        yield tmp
        finish_temporary(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    with replacing(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """UTF-8 text, written all or nothing."""
    return write_bytes(path, text.encode("utf-8"))


def copy_file(source: str | os.PathLike, path: str | os.PathLike) -> Path:
    with replacing(path) as tmp:
        shutil.copyfile(source, tmp)
    return Path(path)
