"""``np-viewer --gallery RxC [--screenshot FILE.png]``: open straight into the gallery."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

DEFAULT_SIZE = (1600, 1000)


def cli_gallery(rows: int, cols: int, checkpoint: str | Path | None, dataset: str | Path | None,
                screenshot: str | Path | None = None, size: tuple[int, int] | None = None,
                split: str | None = None, config: str | Path | None = None, device: str = "auto",
                resolution: int = 3, category: str | None = None) -> int:
    """Open the gallery (``dataset`` defaults to the bundled shapes; with no ``checkpoint``, one
    category of it under its bundled model: see ``bundled_choice``). With ``screenshot``: render
    the first page to that PNG and return (0 written, 1 failed, 2 bad arguments); nothing waits
    for a person and every problem is printed naming the file."""
    from ..app import DEFAULT_SHAPES
    from ..launch import bad_arguments
    from .model import _check_side

    try:
        rows, cols = _check_side(rows, "rows"), _check_side(cols, "cols")
    except ValueError as exc:
        print(f"np-viewer: error: {exc}", file=sys.stderr)
        return 2
    dataset = Path(dataset) if dataset else DEFAULT_SHAPES
    out = Path(screenshot) if screenshot else None
    if bad_arguments(out, [("checkpoint", checkpoint), ("dataset", dataset)]):
        return 2
    chosen = not checkpoint        # the model follows the category shown
    if checkpoint:
        checkpoint = Path(checkpoint)
    else:
        from trainer.inference import ShapeLoadError
        try:
            choice, category = bundled_choice(dataset, split, category)
        except ShapeLoadError as exc:   # the shapes themselves: an empty split, no shapes found
            print(f"np-viewer: error: {str(exc).splitlines()[0]}", file=sys.stderr)
            return 2
        except Exception as exc:  # noqa: BLE001 - no bundled models, unreadable shapes: one line
            reason = str(exc).splitlines()[0] if str(exc) else repr(exc)
            print(f"np-viewer: error: no checkpoint given and no bundled model could be chosen: {reason}",
                  file=sys.stderr)
            return 2
        checkpoint = choice.path
        print(f"np-viewer: gallery of {category or dataset.name} under {choice.describe()}")
    if out is None:
        chooser = (lambda cat: bundled_choice(dataset, split, cat)[0]) if chosen else None
        return _interactive(rows, cols, checkpoint, dataset, size, split, config, device, resolution, category,
                            chooser)
    return _screenshot(rows, cols, checkpoint, dataset, out, size, split, config, device, resolution, category)


def bundled_choice(dataset: Path, split: str | None, category: str | None):  # noqa: ANN201 - (Choice, str)
    """(Choice, category) when no checkpoint is given: the gallery shows one category, so that every
    instance is under the same model (part consistency needs one): ``category``, else the
    dataset's only one, else its first category that has a bundled model of its own (else its
    first); the model is that category's bundled one, or the bundled model closest to its first shape."""
    from trainer.inference import list_shapes, load_shape
    from trainer.inference.bundled import bundled_models, choose_model

    refs = list_shapes(dataset, split)
    if category is None:
        own = bundled_models()
        ranked = sorted({r.category for r in refs}, key=lambda c: (c not in own, c))   # own model first
        category = ranked[0] if ranked else ""
    first = next((r for r in refs if r.category == category), None)
    if first is None:
        raise ValueError(f"{dataset} has no category {category!r}")
    return choose_model(load_shape(first.path, category=first.category)), category or None


def _interactive(rows, cols, checkpoint, dataset, size, split, config, device, resolution, category,  # noqa: ANN001
                 chooser) -> int:
    from ..launch import qt_app
    from ..widgets.errors import install_excepthook
    from .window import GalleryWindow
    app = qt_app()
    install_excepthook(show_dialog=True)
    window = GalleryWindow(rows, cols, resolution=resolution)
    window.resize(*(size or DEFAULT_SIZE))
    window.show()
    window.open_checkpoint(checkpoint, config=config, device=device)
    window.open_dataset(dataset, split, category)
    window.model_chooser = chooser     # after the first category: its model is the one loading
    from .link import open_main_view
    main_windows = []       # kept alive while the gallery runs

    def open_main(path: str) -> None:   # under the model shown now (it follows the category)
        shown = window.predictor.path if window.predictor is not None and window.predictor.path else checkpoint
        main_windows.append(open_main_view(path, shown, config if shown == checkpoint else None, device))
    window.open_instance.connect(open_main)
    try:
        return app.exec()
    finally:
        for main in main_windows:
            main.shutdown()


def _screenshot(rows, cols, checkpoint, dataset, out: Path, size, split, config, device, resolution,  # noqa: ANN001
                category) -> int:
    from trainer.inference import Predictor

    from ..launch import run_window
    from .window import GalleryWindow
    errors: list[str] = []

    def make() -> GalleryWindow:
        window = GalleryWindow(rows, cols, resolution=resolution, synchronous=True, show_dialogs=False)
        window.error.connect(lambda title, msg: errors.append(f"{title}: {msg}"))
        window.consistency_progress.connect(ProgressPrinter("part consistency"))
        window.resize(*(size or DEFAULT_SIZE))
        return window

    def load(window: GalleryWindow) -> None:
        try:
            window.set_predictor(Predictor(checkpoint, config=config, device=device))
        except Exception as exc:  # noqa: BLE001 - reported below, naming the file
            errors.append(f"cannot open model {checkpoint}: {str(exc).splitlines()[0] if str(exc) else exc!r}")
        if not errors:
            window.open_dataset(dataset, split, category)
        failed = [c for c in window.model.cells if c.error]
        if failed and not errors:
            errors.append(f"{failed[0].entry.path}: {failed[0].error}")
        if errors:
            raise RuntimeError(errors[0])
        if window.model.cells:
            window.model.set_highlight(0)

    return run_window(out, make, load, grab)


class ProgressPrinter:
    """Prints ``np-viewer: WHAT: MESSAGE`` on stderr at each further tenth of the work done, so a
    long wait (part consistency over hundreds of shapes) does not look like a hang."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._tenths = -1

    def __call__(self, message: str, fraction: float) -> None:
        tenths = int(fraction * 10) if fraction >= 0 else self._tenths + 1
        if tenths > self._tenths:
            self._tenths = tenths
            print(f"np-viewer: {self.what}: {message}", file=sys.stderr, flush=True)


def grab(window, view_only: bool = False) -> np.ndarray:  # noqa: ANN001 - a GalleryWindow
    """(H, W, 3) uint8 picture of the window: Qt draws the panels, VTK the 3D view."""
    from ..screenshot import compose
    view = window.view.screenshot()
    return view if view_only else compose(window, window.view, view)