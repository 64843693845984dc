"""Turn a training checkpoint into a small model file to ship (no optimizer or RNG state)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import checkpoint

KEEP = ("step", "epoch", "seconds", "world_size", "device", "torch_version", "init_weights")


def release(src: str | Path, dst: str | Path, **extra: Any) -> Path:
    """Copy model tensors, config and run facts (step, wall time...) of ``src`` to ``dst``,
    plus ``extra`` (e.g. evaluation numbers, the command that trained it)."""
    data = checkpoint.read(src)
    facts = {k: data[k] for k in KEEP if k in data}
    return checkpoint.save(dst, data["model"], data["config"], **facts, **extra)
