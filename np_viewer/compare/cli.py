"""``np-viewer --compare CK1 CK2 ... SHAPE [--screenshot PNG]``: one shape under 2 to 4 checkpoints."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ..launch import bad_arguments, run_window
from .panes import MAX_PANES

DEFAULT_SIZE = (1400, 520)


def cli_compare(items: Sequence[str], screenshot: str | Path | None = None, size: tuple[int, int] | None = None,
                device: str = "auto", resolution: int = 3,
                fit_all: tuple[float | None, int | None] | None = None) -> int:
    """``items``: the checkpoints, then the shape (a mesh, point cloud or prepared shape). With
    ``fit_all`` ((seconds, steps) per type, one of them set): one checkpoint, whose architecture
    every primitive type's scratch fit takes (the panes are the four fits). With
    ``screenshot``: write the PNG of every pane and return 0, or print one error line naming the
    file and return 1 (2 for bad arguments)."""
    *checkpoints, shape = items if items else [""]
    problems = []
    if fit_all is not None and len(checkpoints) != 1:
        problems.append(f"--fit-all takes --compare with one checkpoint and one shape, got {len(items)} paths")
    elif fit_all is None and not 2 <= len(checkpoints) <= MAX_PANES:
        problems.append(f"--compare takes 2 to {MAX_PANES} checkpoints and then one shape, got {len(items)} paths")
    out = Path(screenshot) if screenshot else None
    if bad_arguments(out, [*(("checkpoint", c) for c in checkpoints), ("shape", shape)], problems):
        return 2
    from .window import CompareWindow
    errors: list[str] = []

    def make() -> CompareWindow:
        window = CompareWindow(device=device, resolution=resolution, synchronous=out is not None)
        window.error.connect(lambda title, message: errors.append(f"{title}: {message}"))
        window.resize(*(size or DEFAULT_SIZE))
        return window

    def load(window: CompareWindow) -> None:
        window.set_shape(shape)
        if fit_all is None:
            window.compare(checkpoints)
        else:
            from trainer.inference import Predictor
            seconds, steps = fit_all
            window.fit_all(Predictor(checkpoints[0], device=device), seconds=seconds, steps=steps)
        if out is not None and (errors or not window.ready):
            raise RuntimeError(errors[0] if errors else "not every model gave parts")

    return run_window(out, make, load, grab)


def grab(window) -> np.ndarray:  # noqa: ANN001 - a CompareWindow
    """(H, W, 3) uint8 of the window: Qt draws the toolbar and status bar, VTK every pane."""
    from ..screenshot import compose
    return compose(window, window.plotter, window.screenshot())
