"""Viewer timings: cold start to first frame, shape-switch latency, frame render time.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_viewer.py [--switches 20] [--frames 30] [--checkpoint PATH]

Uses the bundled default model on the bundled shapes when they exist, else a randomly initialised
model with configs/humanoid_default.yaml (same sizes) on the bundled or synthetic shapes. CPU only.
Runs under Xvfb (started when there is no display), so VTK renders with Mesa's llvmpipe.

- cold start: a fresh process (python start, imports, window, model load, first shape's inference)
  until the first frame with the parts has been rendered and read back.
- shape switch: library.set_current(i) -> worker thread loads the shape and runs the model ->
  the document is updated -> actors replaced -> frame rendered and read back. Every switch goes to
  a shape not yet seen at that resolution (no cache hits) unless marked "cached".
- frame: camera azimuth step + render + a one-pixel read-back (waits for the rasteriser).
Switch and frame times end with a one-pixel read-back of the app's own render of the new parts.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WINDOW = (1280, 800)


def _model_and_shapes(tmp: Path, checkpoint: str | None = None) -> tuple[Path, Path, str]:
    from trainer.inference.bundled import DEFAULT_MODEL
    ckpt, shapes = DEFAULT_MODEL, ROOT / "assets/shapes"
    if checkpoint:
        return Path(checkpoint), shapes, f"{Path(checkpoint).name} on assets/shapes"
    if ckpt.exists() and shapes.exists():
        return ckpt, shapes, f"default model (assets/models/{DEFAULT_MODEL.name}) on assets/shapes"
    import torch

    from trainer import checkpoint
    from trainer.config import load_config
    from trainer.model import NeuralParts
    cfg = load_config(str(ROOT / "configs/humanoid_default.yaml"))
    torch.manual_seed(0)
    model = NeuralParts.from_config(cfg)
    path = tmp / "random_default_size.pt"
    checkpoint.save(path, model, cfg)
    return path, shapes, "random model with configs/humanoid_default.yaml sizes on assets/shapes"


COLD_CHILD = r"""
import sys, time
T0 = float(sys.argv[1])
from np_viewer.app import build_app, build_parser
args = build_parser().parse_args([sys.argv[2], "--checkpoint", sys.argv[3], "--device", "cpu", "--size", "1280x800"])
app, doc, session, window = build_app(args, synchronous=False)
window.show()
def first_frame():
    window.viewport.screenshot()
    print("FIRST_FRAME", time.time() - T0, flush=True)
    window.close()
    app.quit()
session.scene_ready.connect(first_frame)
session.open_checkpoint(args.checkpoint)
session.open_paths(args.inputs)
app.exec()
"""


def cold_start(ckpt: Path, shapes: Path, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.time()
        r = subprocess.run([sys.executable, "-c", COLD_CHILD, repr(t0), str(shapes), str(ckpt)], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
        line = [ln for ln in r.stdout.splitlines() if ln.startswith("FIRST_FRAME")]
        if not line:
            raise RuntimeError(f"cold-start child failed: {r.stderr[-2000:]}")
        out.append(float(line[0].split()[1]))
    return out


def in_process(ckpt: Path, shapes: Path, switches: int, frames: int) -> dict[str, list[float]]:
    from PySide6.QtWidgets import QApplication

    from np_viewer.document import Document
    from np_viewer.session import Session
    from np_viewer.widgets import MainWindow

    app = QApplication.instance() or QApplication([])
    doc = Document()
    session = Session(doc, device="cpu")
    window = MainWindow(doc, session, dialogs=False)
    window.resize(*WINDOW)
    window.show()

    from PySide6.QtCore import QEventLoop, QTimer

    def wait(cond, timeout=120.0):
        """Sleep in a Qt event loop (as the app does) until cond() holds; a busy loop would compete
        with the worker thread for the GIL and inflate the numbers."""
        end = time.perf_counter() + timeout
        loop = QEventLoop()
        poll = QTimer()
        poll.setInterval(2)
        poll.timeout.connect(lambda: loop.quit() if cond() or time.perf_counter() > end else None)
        hooks = [(session.scene_ready, loop.quit), (window.viewport.rendered, loop.quit)]
        for sig, slot in hooks:
            sig.connect(slot)
        poll.start()
        while not cond():
            if time.perf_counter() > end:
                raise TimeoutError("viewer did not finish in time")
            loop.exec()
        poll.stop()
        for sig, slot in hooks:
            sig.disconnect(slot)

    session.open_checkpoint(ckpt)
    wait(lambda: session.predictor is not None and not session.busy)
    session.open_paths([shapes])
    wait(lambda: len(doc.assembly) > 0 and not session.busy)
    session.wait_thumbnails(120000)      # thumbnails would otherwise compete for the CPU
    app.processEvents()
    n = len(doc.library)
    results: dict[str, list[float]] = {"switch": [], "switch_cached": [], "predict": [], "frame": []}
    # the moment the new scene lands in the document, and the moment of the app's next frame
    marks = {"ready": 0.0, "frame": 0.0, "n": 0}
    session.scene_ready.connect(lambda: marks.update(ready=time.perf_counter(), n=marks["n"] + 1))
    viewport = window.viewport
    viewport.rendered.connect(lambda: marks.update(frame=time.perf_counter()))

    def switch_to(i: int) -> float:
        before = marks["n"]
        t0 = time.perf_counter()
        doc.library.set_current(i)
        wait(lambda: marks["n"] > before and not session.busy and marks["frame"] > marks["ready"])
        _read_pixel(viewport)                    # read back: the frame is finished
        return time.perf_counter() - t0

    # uncached switches: each (shape, resolution) once; cycle resolutions 3 and, if needed, a cache clear
    order = [(k % (n - 1)) + 1 if k % 2 == 0 else 0 for k in range(switches)]
    for i in order:
        session._predictions.clear()
        results["switch"].append(switch_to(i))
        if doc.status.inference_ms is not None:
            results["predict"].append(doc.status.inference_ms / 1000.0)
    for k in range(switches):                    # cached: back and forth between two seen shapes
        results["switch_cached"].append(switch_to(1 - doc.library.current if doc.library.current <= 1 else 0))
    cam = window.viewport.plotter.camera
    window.viewport.screenshot()
    for _ in range(frames):
        t0 = time.perf_counter()
        cam.azimuth = cam.azimuth + 5.0
        viewport.render_now()
        _read_pixel(viewport)
        results["frame"].append(time.perf_counter() - t0)
    window.close()
    return results


def _read_pixel(viewport) -> None:  # noqa: ANN001
    """Read one pixel back: returns only when the renderer has finished the frame."""
    import vtk
    viewport.plotter.render_window.GetPixelData(0, 0, 0, 0, 1, vtk.vtkUnsignedCharArray(), 0)


def _drop_qapplication() -> None:
    """Destroy the QApplication before its X server goes away (else Qt aborts on the lost display)."""
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance()
    if app is not None:
        import shiboken6
        shiboken6.delete(app)


def _row(name: str, xs: list[float], target: str = "") -> str:
    ms = sorted(1000 * x for x in xs)
    p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
    return f"| {name} | {len(ms)} | {statistics.median(ms):.0f} | {p90:.0f} | {min(ms):.0f} | {target} |"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--switches", type=int, default=20)
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--cold-runs", type=int, default=3)
    ap.add_argument("--checkpoint", help="time this checkpoint instead of the default model")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from np_viewer.display import VirtualDisplay
    display = VirtualDisplay()
    display.ensure()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ckpt, shapes, what = _model_and_shapes(Path(tmp), args.checkpoint)
            cold = cold_start(ckpt, shapes, args.cold_runs)
            res = in_process(ckpt, shapes, args.switches, args.frames)
    finally:
        _drop_qapplication()
        display.stop()
    import torch
    print(f"### Viewer timings ({what})\n")
    print(f"CPU, torch {torch.__version__}, {torch.get_num_threads()} torch thread(s), window "
          f"{WINDOW[0]}x{WINDOW[1]}, mesh level 3 (642 vertices per part), Mesa llvmpipe under Xvfb.\n")
    print("| measure | n | median ms | p90 ms | min ms | target |")
    print("|---|---|---|---|---|---|")
    print(_row("cold start to first frame (new process)", cold))
    print(_row("shape switch, uncached (select -> parts rendered)", res["switch"], "median < 200 ms"))
    print(_row("  of which model inference (worker thread)", res["predict"]))
    print(_row("shape switch, cached", res["switch_cached"]))
    print(_row("frame render (rotate + render + 1-pixel read back)", res["frame"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
