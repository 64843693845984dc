"""The one check of a mesh resolution (icosphere subdivision level) asked of inference: by
``Predictor``, ``np-infer --resolution`` and ``np-fit --resolution``."""
from __future__ import annotations

MAX_RESOLUTION = 6  # 40,962 vertices per part; finer is slow to build and adds nothing on screen


def resolution_problem(resolution: int) -> str | None:
    """What is wrong with ``resolution`` (to follow its name in a message), or None."""
    if not 0 <= int(resolution) <= MAX_RESOLUTION:
        return f"must be between 0 and {MAX_RESOLUTION}"
    return None


def check_resolution(resolution: int) -> int:
    """``resolution`` as an int, or ValueError."""
    problem = resolution_problem(resolution)
    if problem is not None:
        raise ValueError(f"resolution {problem}, got {resolution}")
    return int(resolution)
