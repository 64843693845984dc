"""All-or-nothing exports of several files or a folder, on :mod:`trainer.fsutil`'s temporary
files (in the target folder, then ``os.replace``), with one-sentence :class:`ExportError` messages."""
from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from ..fsutil import current_umask, finish_temporary, temporary_beside
from .errors import ExportError, ExportExistsError

_REASONS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.ENAMETOOLONG: "the file name is too long",
}


def _reason(exc: OSError, path: Path | None = None) -> str:
    if exc.errno == errno.ENOENT and path is not None and path.parent.is_dir():
        return "this folder does not accept new files"  # e.g. /proc, some mounts
    return _REASONS.get(exc.errno or -1, (exc.strerror or str(exc)).lower())


def check_targets(paths: list[Path], overwrite: bool) -> None:
    """Raise before anything is written if a target exists (unless ``overwrite``) or is a folder."""
    if len(set(paths)) != len(paths):
        raise ExportError("Two exported files would have the same name; rename the parts.")
    for p in paths:
        if p.is_dir():
            raise ExportError(f"Cannot write {p}: it is a folder.")
    existing = [p for p in paths if p.exists() or p.is_symlink()]
    if existing and not overwrite:
        raise ExportExistsError(existing)


def write_files(files: Mapping[Path | str, bytes], *, overwrite: bool = False) -> list[Path]:
    """Write every ``path -> bytes`` entry, or none of them.

    Each file is first written and fsynced as a hidden temporary file in its target folder,
    then all are renamed into place, so a crash, a full disk or a permission error never
    leaves a half-written export behind. Returns the written paths.
    """
    items = [(Path(p), data) for p, data in files.items()]
    targets = [p for p, _ in items]
    check_targets(targets, overwrite)
    temps: list[Path] = []
    current = targets[0] if targets else Path(".")
    try:
        for path, data in items:
            current = path
            temps.append(temporary_beside(path))
            temps[-1].write_bytes(data)
            finish_temporary(temps[-1])
        for (path, _), tmp in zip(items, list(temps)):
            current = path
            os.replace(tmp, path)
            temps.remove(tmp)
    except OSError as exc:
        raise ExportError(f"Cannot write {current}: {_reason(exc, current)}.") from exc
    finally:
        for tmp in temps:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return targets


def replace_folder(build: Callable[[Path], None], target: Path, *, overwrite: bool,
                   marker: str) -> Path:
    """Create folder ``target`` atomically: ``build(tmp_dir)`` fills a hidden temporary folder
    beside it, which is then renamed into place.

    An existing ``target`` is replaced only with ``overwrite`` and only if it contains
    ``marker`` (so a user's unrelated folder is never deleted).
    """
    target = Path(target)
    if target.exists() or target.is_symlink():
        if not overwrite:
            raise ExportExistsError([target])
        if not (target.is_dir() and (target / marker).is_file()):
            raise ExportError(f"Cannot replace {target}: it is not a saved assembly folder.")
    parent = target.parent
    tmp: Path | None = None
    old: Path | None = None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
        os.chmod(tmp, 0o777 & ~current_umask())
        build(tmp)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=parent))
            os.replace(target, old / "x")
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        if old is not None and not target.exists():
            os.replace(old / "x", target)  # put the previous save back
        raise ExportError(f"Cannot write {target}: {_reason(exc, target)}.") from exc
    finally:
        for leftover in (tmp, old):
            if leftover is not None:
                shutil.rmtree(leftover, ignore_errors=True)
    return target
