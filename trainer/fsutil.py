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
