"""Open 'inside the model' from the command line (and write its picture for the docs)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..launch import bad_arguments, run_window

DEFAULT_SIZE = (1100, 750)


def cli_explore(checkpoint: str | Path | None = None, dataset: str | Path | None = None,
                screenshot: str | Path | None = None, size: tuple[int, int] | None = None,
                pair: tuple[int, int] = (0, 1), t: float = 0.5, category: str | None = None,
                slice_origin: tuple[float, float, float] | None = (0.0, 0.0, 0.0),
                slice_normal: tuple[float, float, float] = (0.0, 0.0, 1.0), device: str = "auto") -> int:
    """Blend shapes ``pair`` of ``dataset`` (bundled shapes by default; with no ``checkpoint``, the
    bundled model of ``category``, else the default model) at ``t``, with the slice
    plane at ``slice_origin`` (None: no plane). With ``screenshot``: write the PNG and return 0, or
    print one error line and return 1 (2 for bad arguments)."""
    from trainer.inference.bundled import DEFAULT_MODEL, model_for_category

    from ..app import DEFAULT_SHAPES
    checkpoint = Path(checkpoint) if checkpoint else (model_for_category(category or "") or DEFAULT_MODEL)
    dataset = Path(dataset) if dataset else DEFAULT_SHAPES
    out = Path(screenshot) if screenshot else None
    if bad_arguments(out, [("checkpoint", checkpoint), ("dataset", dataset)]):
        return 2
    from trainer.inference import Predictor, list_shapes

    from .window import ExploreWindow

    def make() -> ExploreWindow:
        refs = [r for r in list_shapes(dataset) if category is None or r.category == category]
        if len(refs) < 1 or max(pair) >= len(refs) or min(pair) < 0:
            raise ValueError(f"shapes {pair} are not among the {len(refs)} shapes of {dataset}")
        window = ExploreWindow(Predictor(checkpoint, device=device),
                               refs, synchronous=out is not None)
        window.resize(*(size or DEFAULT_SIZE))
        return window

    def load(window: ExploreWindow) -> None:
        window.set_pair(*pair)
        window.set_t(t)
        if slice_origin is not None:
            window.set_slice(slice_origin, slice_normal)

    return run_window(out, make, load, grab)


def grab(window) -> np.ndarray:  # noqa: ANN001 - an ExploreWindow
    """(H, W, 3) uint8 of the window: Qt draws the controls, VTK the 3D view."""
    from ..screenshot import compose
    view = np.ascontiguousarray(np.asarray(window.plotter.screenshot(return_img=True))[..., :3])
    return compose(window, window.plotter, view)
