"""File-system helpers shared by every writer (checkpoints, exports, screenshots)."""
from __future__ import annotations

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
    import os
    import tempfile

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
