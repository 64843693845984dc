"""Running a window from the command line (``np-viewer``, ``--gallery``, ``--compare``, explore):
one Qt application, the checks on a ``--screenshot`` path, a display for headless runs, and one
error line naming the file for every failure."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Iterable, Sequence, TypeVar

import numpy as np

W = TypeVar("W")     # a ShellWindow


def qt_app():  # noqa: ANN201 - a QApplication
    """The process's QApplication (made on first use)."""
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Neural Parts Studio")
    return app


def _screenshot_problem(out: Path) -> str:
    """Why a screenshot cannot be written to ``out`` ("" when it can)."""
    if out.suffix.lower() != ".png":
        return f"screenshot {out} must be a .png file"
    if not out.parent.exists():
        return f"cannot write screenshot {out}: folder {out.parent} does not exist"
    return ""


def bad_arguments(out: Path | None, paths: Iterable[tuple[str, str | Path]], problems: Sequence[str] = ()) -> bool:
    """Print one line naming what is wrong: the screenshot path ``out``, ``problems`` the caller
    found, and the (what, path) ``paths`` that do not exist. True when anything is (exit status 2)."""
    found = [p for p in [_screenshot_problem(out) if out is not None else "", *problems] if p]
    found += [f"{what} {p} does not exist" for what, p in paths if p and not Path(p).exists()]
    if found:
        print(f"np-viewer: error: {'; '.join(found)}", file=sys.stderr)
    return bool(found)


def run_window(out: Path | None, make: Callable[[], W], load: Callable[[W], None],
               grab: Callable[[W], np.ndarray]) -> int:
    """``make()`` builds and sizes the window; it is shown, then ``load(window)`` opens what it
    shows (raising to fail). Without ``out``: the event loop runs until the window closes. With
    ``out``: a display is started when there is none, ``grab(window)`` is written there as PNG
    and the window is shut down. Returns the exit status; every failure is one line naming
    ``out`` and status 1."""
    from .session import user_message

    display = None
    if out is not None:
        from .display import start_headless
        display = start_headless(out)
        if display is None:
            return 1
    window = None
    try:
        app = qt_app()
        window = make()
        window.show()
        app.processEvents()
        load(window)
        if out is None:
            return app.exec()
        from .screenshot import save_settled
        return save_settled(app, lambda: grab(window), out)
    except Exception as exc:  # noqa: BLE001 - one line naming the file, non-zero exit
        target = f"no screenshot written to {out}: " if out is not None else ""
        print(f"np-viewer: error: {target}{user_message(exc)}", file=sys.stderr)
        return 1
    finally:
        if window is not None and out is not None:
            window.shutdown()
            window.close()
        if display is not None:
            display.stop()
