"""Colours for primitives: primitive k gets the same colour on every shape and in every view."""
from __future__ import annotations

# Tableau-10, chosen for being distinguishable and colour-blind tolerant; cycles past 10.
_PALETTE_HEX = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)


def part_colour(k: int) -> tuple[float, float, float]:
    """RGB in [0, 1] for primitive ``k``."""
    h = _PALETTE_HEX[k % len(_PALETTE_HEX)]
    return tuple(int(h[i:i + 2], 16) / 255.0 for i in (1, 3, 5))  # type: ignore[return-value]


def part_colour_u8(k: int) -> tuple[int, int, int]:
    """RGB in 0..255 for primitive ``k``."""
    return tuple(round(c * 255) for c in part_colour(k))  # type: ignore[return-value]
