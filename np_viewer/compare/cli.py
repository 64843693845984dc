"""``np-viewer --compare CK1 CK2 ... SHAPE [--screenshot PNG]``: one shape under 2 to 4 checkpoints."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

import numpy as np

from .panes import MAX_PANES

DEFAULT_SIZE = (1400, 520)


def cli_compare(items: Sequence[str], screenshot: str | Path | None = None, size: tuple[int, int] | None = None,
                device: str = "auto", resolution: int = 3, fit_all: float | None = None) -> int:
    """``items``: the checkpoints, then the shape (a mesh, point cloud or prepared shape). With
    ``fit_all`` (seconds per type): one checkpoint, whose architecture every primitive type's
    scratch fit takes (the panes are the four fits). With
    ``screenshot``: write the PNG of every pane and return 0, or print one error line naming the
    file and return 1 (2 for bad arguments)."""
    *checkpoints, shape = items if items else [""]
    problems = []
    if fit_all is not None and (len(checkpoints) != 1 or not fit_all > 0):
        problems.append(f"--fit-all takes a positive number of seconds and --compare one checkpoint and one shape, "
                        f"got {fit_all} s and {len(items)} paths")
    elif fit_all is None and not 2 <= len(checkpoints) <= MAX_PANES:
        problems.append(f"--compare takes 2 to {MAX_PANES} checkpoints and then one shape, got {len(items)} paths")
    problems += [f"{what} {p} does not exist" for what, p in [*(("checkpoint", c) for c in checkpoints),
                                                             ("shape", shape)] if p and not Path(p).exists()]
    out = Path(screenshot) if screenshot else None
    if out is not None and (out.suffix.lower() != ".png" or not out.parent.exists()):
        problems.insert(0, f"cannot write screenshot {out} (needs a .png name in an existing folder)")
    if problems:
        print(f"np-viewer: error: {'; '.join(problems)}", file=sys.stderr)
        return 2
    display = None
    if out is not None:
        from ..display import start_headless
        display = start_headless(out)
        if display is None:
            return 1
    window = None
    try:
        from PySide6.QtWidgets import QApplication

        from .window import CompareWindow
        app = QApplication.instance() or QApplication(sys.argv[:1])
        app.setApplicationName("Neural Parts Studio")
        errors: list[str] = []
        window = CompareWindow(device=device, resolution=resolution, synchronous=out is not None)
        window.error.connect(lambda title, message: errors.append(f"{title}: {message}"))
        window.resize(*(size or DEFAULT_SIZE))
        window.show()
        app.processEvents()
        window.set_shape(shape)
        if fit_all is None:
            window.compare(checkpoints)
        else:
            from trainer.inference import Predictor
            window.fit_all(Predictor(checkpoints[0], device=device), seconds=float(fit_all))
        if out is None:
            return app.exec()
        if errors or not window.ready:
            raise RuntimeError(errors[0] if errors else "not every model gave parts")
        from ..screenshot import save_settled
        return save_settled(app, lambda: grab(window), out)
    except Exception as exc:  # noqa: BLE001 - one line naming the file, non-zero exit
        target = f"no screenshot written to {out}: " if out is not None else ""
        print(f"np-viewer: error: {target}{str(exc).splitlines()[0] if str(exc) else exc!r}", file=sys.stderr)
        return 1
    finally:
        if window is not None and out is not None:
            window.shutdown()
            window.close()
        if display is not None:
            display.stop()


def grab(window) -> np.ndarray:  # noqa: ANN001 - a CompareWindow
    """(H, W, 3) uint8 of the window: Qt draws the toolbar and status bar, VTK every pane."""
    from ..screenshot import compose
    return compose(window, window.plotter, window.screenshot())
