"""Turn a training checkpoint into a small model file to ship (no optimizer or RNG state)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import checkpoint


def release(src: str | Path, dst: str | Path, **extra: Any) -> Path:
    """Copy model tensors, config and run facts (step, wall time...) of ``src`` to ``dst``,
    plus ``extra`` (e.g. evaluation numbers, the command that trained it)."""
    data = checkpoint.read(src)
    return checkpoint.save(dst, data["model"], data["config"], **{**checkpoint.run_facts(data), **extra})
