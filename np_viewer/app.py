"""``np-viewer``: open models and shapes, see every predicted part in colour."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Sequence

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from .document import Document
    from .session import Session
    from .widgets import MainWindow

ASSETS = Path(__file__).resolve().parent.parent / "assets"
DEFAULT_SHAPES = ASSETS / "shapes"


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1280x800, got {text!r}") from None
    if not (64 <= w <= 8192 and 64 <= h <= 8192):
        raise argparse.ArgumentTypeError(f"size {w}x{h} is out of range (64..8192 per side)")
    return w, h


def parse_budget(text: str) -> tuple[float | None, int | None]:
    """--fit-all's budget: "20" or "20s" (seconds each), "900steps" (optimizer steps each)."""
    t = text.strip().lower()
    try:
        if t.endswith("steps"):
            steps = int(t[:-5])
            if steps > 0:
                return None, steps
        else:
            seconds = float(t[:-1] if t.endswith("s") else t)
            if seconds > 0 and seconds != float("inf"):
                return seconds, None
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"a fit budget is seconds (20, 20s) or steps (900steps), got {text!r}")


def build_parser() -> argparse.ArgumentParser:
    from trainer.data.manifest import SPLITS
    p = argparse.ArgumentParser(
        prog="np-viewer",
        description="Browse shapes and the parts a Neural Parts model predicts for them. With no "
                    "arguments, opens the bundled sample shapes, each under the bundled model of its category.")
    p.add_argument("inputs", nargs="*", metavar="SHAPE_OR_FOLDER",
                   help="prepared datasets or shape folders, mesh files (OBJ, PLY, STL, OFF, GLB, GLTF), "
                        "point clouds (PLY, XYZ, NPY) or folders of them (default: assets/shapes)")
    p.add_argument("--checkpoint", "-c", metavar="PATH",
                   help="model checkpoint: ours, or a published state dict (default: each shape under the "
                        "bundled model of its category, or the bundled model closest to it)")
    p.add_argument("--config", metavar="YAML", help="YAML config for a published state dict "
                   "(default: the *.yaml beside it)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                   help="where the model runs; auto takes CUDA when available (default: auto)")
    p.add_argument("--resolution", type=int, default=3, choices=range(0, 6), metavar="0-5",
                   help="icosphere subdivision level of each part mesh (default: 3 = 642 vertices)")
    p.add_argument("--shape", metavar="NAME_OR_INDEX", help="start on this shape")
    p.add_argument("--overlay", choices=("none", "mesh", "points"), default="none",
                   help="overlay the input shape (default: none)")
    p.add_argument("--segmentation", action="store_true", help="start in segmentation mode")
    p.add_argument("--no-legend", action="store_true", help="hide the legend")
    p.add_argument("--screenshot", metavar="FILE.png",
                   help="render the initial scene to a PNG and exit (no window interaction needed)")
    p.add_argument("--size", type=parse_size, default=None, metavar="WxH",
                   help="window size, e.g. 1280x800 (default: 1280x800)")
    p.add_argument("--viewport-only", action="store_true",
                   help="with --screenshot: write only the 3D view, not the panels")
    p.add_argument("--gallery", metavar="RxC",
                   help="open a linked gallery of R x C instances of one prepared dataset "
                        "(with --screenshot: write it and exit)")
    p.add_argument("--split", choices=SPLITS,
                   help="with --gallery: only this split of the dataset (default: all of it)")
    p.add_argument("--category", metavar="NAME",
                   help="with --gallery: only this category of the dataset (default: the one its model knows)")
    p.add_argument("--compare", nargs="+", metavar="PATH",
                   help="CK1 CK2 ... SHAPE: the shape under 2 to 4 checkpoints side by side, cameras linked, "
                        "each with IoU, Chamfer-L1, primitive count and time (with --screenshot: write it and exit)")
    p.add_argument("--fit-all", type=parse_budget, metavar="BUDGET",
                   help="with --compare CK SHAPE: fit Neural Parts, ellipsoids, superquadrics and cuboids to SHAPE "
                        "from scratch (CK's architecture) with the same BUDGET each, seconds (20, 20s) or "
                        "optimizer steps (900steps), and show the four side by side")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.split or args.category) and not args.gallery:
        parser.error("--split and --category go with --gallery")
    if args.gallery:
        return _run_gallery(args)
    if args.compare:
        from .compare.cli import cli_compare
        return cli_compare([*args.compare, *args.inputs], screenshot=args.screenshot, size=args.size,
                           device=args.device, resolution=args.resolution, fit_all=args.fit_all)
    if args.screenshot:
        return _run_screenshot(args)
    return _run_interactive(args)


def _run_gallery(args: argparse.Namespace) -> int:
    from .gallery import cli_gallery, parse_grid
    try:
        rows, cols = parse_grid(args.gallery)
    except ValueError as exc:
        print(f"np-viewer: error: {exc}", file=sys.stderr)
        return 2
    if len(args.inputs) > 1:     # one dataset: its splits, categories and consistency panel
        print(f"np-viewer: error: --gallery shows one prepared dataset; {len(args.inputs)} paths were given "
              f"({', '.join(args.inputs)}). Pass one folder, or put the shapes in one dataset "
              "(np-prepare --out the same folder).", file=sys.stderr)
        return 2
    return cli_gallery(rows, cols, args.checkpoint, args.inputs[0] if args.inputs else None,
                       screenshot=args.screenshot, size=args.size, split=args.split, config=args.config,
                       device=args.device, resolution=args.resolution, category=args.category)


def _resolve_inputs(args: argparse.Namespace) -> tuple[list[str], str | None, list[str]]:
    """(inputs, checkpoint, problems): the defaults when nothing was given (checkpoint None: the
    bundled models choose per shape)."""
    problems = []
    inputs = list(args.inputs)
    if not inputs:
        if DEFAULT_SHAPES.exists():
            inputs = [str(DEFAULT_SHAPES)]
        else:
            problems.append(f"the bundled sample shapes {DEFAULT_SHAPES} are missing; pass shapes to open")
    if args.checkpoint is None:
        from trainer.inference.bundled import bundled_models, models_dir
        if not bundled_models():
            problems.append(f"no bundled models in {models_dir()}; pass --checkpoint")
    return inputs, args.checkpoint, problems


class StudioApp(NamedTuple):
    """What ``build_app`` returns: the Qt application, the document, the session and the main
    window (with editing, fitting, gallery and compare attached)."""

    app: "QApplication"
    doc: "Document"
    session: "Session"
    window: "MainWindow"


def build_app(args: argparse.Namespace, synchronous: bool) -> StudioApp:
    """The app as ``np-viewer`` starts it, from parsed ``build_parser()`` arguments; nothing is
    opened yet. ``synchronous``: jobs run inline and no dialog waits for a person (screenshots,
    benchmarks)."""
    from .compare.link import install_compare_action
    from .document import Document
    from .editing import install_editing
    from .fitting import install_fitting
    from .gallery.link import install_gallery_action
    from .launch import qt_app
    from .session import Session
    from .widgets import MainWindow

    app = qt_app()
    doc = Document()
    doc.view.update(resolution=args.resolution, overlay=args.overlay, segmentation=args.segmentation,
                    show_legend=not args.no_legend)
    session = Session(doc, device=args.device, synchronous=synchronous)
    window = MainWindow(doc, session, dialogs=not synchronous)
    install_editing(window)
    install_fitting(window)
    install_gallery_action(window)
    install_compare_action(window)
    window.resize(*(args.size or (1280, 800)))
    window.fit_panels()
    return StudioApp(app, doc, session, window)


def _select_start_shape(doc, wanted: str | None) -> None:  # noqa: ANN001
    if not wanted or not len(doc.library):
        return
    entries = doc.library.entries
    if wanted.isdigit() and int(wanted) < len(entries):
        doc.library.set_current(int(wanted))
        return
    for i, e in enumerate(entries):
        if wanted in (e.name, Path(e.path).name):
            doc.library.set_current(i)
            return
    raise ValueError(f"no shape named {wanted!r} among the {len(entries)} opened")


def _run_interactive(args: argparse.Namespace) -> int:
    from .widgets.errors import install_excepthook

    app, doc, session, window = build_app(args, synchronous=False)
    restore_hook = install_excepthook(show_dialog=True)
    interrupted = _close_on_signals(window)
    inputs, checkpoint, problems = _resolve_inputs(args)
    window.show()
    if problems:
        doc.status.message = "; ".join(problems)
    if checkpoint:
        session.open_checkpoint(checkpoint, config=args.config)
    else:
        session.open_bundled_models()
    if inputs:
        session.open_paths(inputs)
        if args.shape:
            session.idle.connect(lambda: _start_shape_once(doc, args, window))
    try:
        code = app.exec()
        return 130 if interrupted else code
    finally:
        restore_hook()


def _close_on_signals(window) -> list[int]:
    """Ctrl-C in the terminal and SIGTERM close the window as its close button does; the
    returned list gets the signal number. Qt's event loop runs no Python code on its own,
    so a timer wakes the interpreter for the handler."""
    import signal

    from PySide6.QtCore import QTimer

    received: list[int] = []

    def handler(signum, frame):
        if received:                       # a second signal while closing: leave now
            raise SystemExit(130)
        received.append(signum)
        # close from the event loop, never from inside whatever Python code the signal
        # interrupted (a render in progress aborted VTK once)
        QTimer.singleShot(0, window.close)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, handler)
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(200)
    return received


def _start_shape_once(doc, args, window) -> None:  # noqa: ANN001
    if not args.shape or not len(doc.library):
        return          # the shapes are not open yet (the model may have finished loading first)
    wanted, args.shape = args.shape, None
    try:
        _select_start_shape(doc, wanted)
    except ValueError as exc:
        window.show_error("Cannot select shape", str(exc))


def _run_screenshot(args: argparse.Namespace) -> int:
    """Render the initial scene to a PNG; every problem is printed, naming the file, exit code 1."""
    from .launch import bad_arguments, run_window

    out = Path(args.screenshot)
    if bad_arguments(out, []):
        return 2
    inputs, checkpoint, problems = _resolve_inputs(args)
    if problems:
        print(f"np-viewer: error: {'; '.join(problems)}", file=sys.stderr)
        return 1
    errors: list[str] = []

    def make():  # noqa: ANN202 - a MainWindow
        studio = build_app(args, synchronous=True)
        studio.session.error.connect(lambda title, msg: errors.append(msg))
        studio.session.config_needed.connect(
            lambda p: errors.append(f"{p} is a published state dict and needs its YAML config (--config)"))
        if args.viewport_only:      # the 3D view fills the window, so the PNG is exactly --size
            studio.window.set_panels_visible(False)
        studio.window.viewport.set_high_quality()
        return studio.window

    def load(window) -> None:  # noqa: ANN001 - a MainWindow
        session = window.session
        if checkpoint:
            session.open_checkpoint(checkpoint, config=args.config)
        else:
            session.open_bundled_models()
        if not errors:
            session.open_paths(inputs)
        if not errors and args.shape:
            _select_start_shape(window.doc, args.shape)
        if errors:
            raise RuntimeError(errors[0])
        session.wait_thumbnails(60000)   # thumbnails are part of the picture

    from .screenshot import grab_window
    return run_window(out, make, load, lambda window: grab_window(window, viewport_only=args.viewport_only))


if __name__ == "__main__":
    sys.exit(main())
