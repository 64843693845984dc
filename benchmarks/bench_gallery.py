"""Gallery frame time: 4x4 instances at the default mesh resolution, two rendering designs.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_gallery.py [--frames 40] [--grid 4x4]

Designs (same meshes, same window size, same on-screen size of each instance: parallel projection,
one cell = SPACING world units; same lighting: one headlight, back faces culled):
  subplots  one renderer per instance (pyvista subplots) sharing one vtkCamera (link_views);
            rotating any view moves the shared camera, every renderer redraws.
  layout    one renderer, instances laid out on a grid in space; "rotate all instances alike"
            means re-posing every instance actor (user_matrix = translate(cell) @ rotation).
  GalleryView  the shipped widget (np_viewer.gallery), rotating its linked camera.

Frame time = camera/pose change + Render() + a one-pixel read-back (which waits for the software
rasteriser to finish). Runs under Xvfb (started when there is no display); VTK then renders with
Mesa's llvmpipe, the software renderer the tests use.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WINDOW = (1280, 800)


def _meshes(n: int, resolution: int = 3) -> tuple[list[list[tuple[np.ndarray, np.ndarray]]], str]:
    """Part meshes for n instances: the bundled default model on the bundled shapes when present,
    else a randomly initialised model with the default config (same mesh sizes)."""
    import torch

    from trainer.inference import Predictor, list_shapes, load_shape
    from trainer.model import NeuralParts
    root = Path(__file__).resolve().parent.parent
    from trainer.inference.bundled import DEFAULT_MODEL
    ckpt, shapes = DEFAULT_MODEL, root / "assets/shapes"
    if ckpt.exists() and shapes.exists():
        pred = Predictor(ckpt, device="cpu")
        refs = list_shapes(shapes)
        out = [pred.predict(load_shape(refs[i % len(refs)].path), resolution).meshes for i in range(n)]
        return out, f"default model on {min(n, len(refs))} bundled shapes"
    from trainer.config import load_config
    torch.manual_seed(0)
    model = NeuralParts.from_config(load_config(str(root / "configs/humanoid_default.yaml"))).eval()
    pred = Predictor(model, device="cpu")
    F = pred.model.primitive_features(pred.model.encode(torch.randn(n, 1024, 3) * 0.3))
    return model.primitive_meshes(F, resolution), "random-weight model with configs/humanoid_default.yaml"


def _frame_stats(step, read_pixel, frames: int) -> tuple[float, float, float]:
    """(median wall, fastest wall, mean CPU) per frame in ms. CPU time is that of the whole process
    (llvmpipe's raster threads included): it does not grow when other jobs share the cores, so it
    bounds what a frame costs on an idle machine (wall <= CPU once the renderer has the cores)."""
    for _ in range(3):
        step()
        read_pixel()
    samples = []
    cpu0 = time.process_time()
    for _ in range(frames):
        t0 = time.perf_counter()
        step()
        read_pixel()
        samples.append(time.perf_counter() - t0)
    cpu = (time.process_time() - cpu0) / frames
    return 1000 * statistics.median(samples), 1000 * min(samples), 1000 * cpu


MULTI_SAMPLES = [0]
PAGE_MS: list[float] = []
LIGHT_KIT = [False]


def _qt_plotter(shape=(1, 1)):
    from pyvistaqt import QtInteractor
    import pyvista as pv
    p = QtInteractor(shape=shape, auto_update=False, multi_samples=MULTI_SAMPLES[0])
    p.resize(*WINDOW)
    p.show()
    for r in range(shape[0] if not LIGHT_KIT[0] else 0):   # the gallery's settings: one headlight
        for c in range(shape[1]):
            p.subplot(r, c)
            p.remove_all_lights()
            p.add_light(pv.Light(light_type="headlight"))
    p.subplot(0, 0)
    return p


MESH_STYLE = dict(smooth_shading=True, render=False, reset_camera=False, culling="back")


def _pixel(p):
    import vtk
    buf = vtk.vtkUnsignedCharArray()
    return lambda: p.ren_win.GetPixelData(0, 0, 0, 0, 1, buf, 0)


def bench_subplots(meshes, rows, cols, frames):
    from np_viewer.render import polydata
    from trainer.palette import part_colour
    p = _qt_plotter((rows, cols))
    try:
        for i, parts in enumerate(meshes[: rows * cols]):
            p.subplot(i // cols, i % cols)
            for k, (v, f) in enumerate(parts):
                p.add_mesh(polydata(v, f), color=part_colour(k), **MESH_STYLE)
        p.link_views()
        cam = p.renderers[0].camera
        # same on-screen size as the gallery: parallel projection, one cell = SPACING world units
        from np_viewer.gallery.render import SPACING
        cam.SetParallelProjection(True)
        cam.SetFocalPoint(0, 0, 0)
        cam.SetPosition(3.0, 2.1, 4.8)
        cam.SetViewUp(0, 1, 0)
        cam.SetParallelScale(SPACING / 2 * 1.01)
        cam.SetClippingRange(0.5, 20.0)

        def step():
            cam.Azimuth(3.0)
            p.ren_win.Render()
        return _frame_stats(step, _pixel(p), frames)
    finally:
        p.close()


def bench_layout(meshes, rows, cols, frames):
    import vtk

    from np_viewer.render import polydata
    from trainer.palette import part_colour
    p = _qt_plotter()
    try:
        from np_viewer.gallery.render import SPACING
        actors = []
        spacing = SPACING
        for i, parts in enumerate(meshes[: rows * cols]):
            offset = np.array([(i % cols) * spacing, -(i // cols) * spacing, 0.0])
            for k, (v, f) in enumerate(parts):
                a = p.add_mesh(polydata(v, f), color=part_colour(k), **MESH_STYLE)
                actors.append((a, offset))
        # same framing as the gallery: parallel projection looking straight at the grid
        cam = p.renderer.camera
        cx, cy = (cols - 1) * spacing / 2, -(rows - 1) * spacing / 2
        cam.SetParallelProjection(True)
        cam.SetFocalPoint(cx, cy, 0)
        cam.SetPosition(cx, cy, 10)
        cam.SetViewUp(0, 1, 0)
        cam.SetParallelScale(max(rows * spacing / 2, cols * spacing / 2 * WINDOW[1] / WINDOW[0]) * 1.01)
        cam.SetClippingRange(1.0, 20.0)
        angle = [0.0]
        t = vtk.vtkTransform()

        def step_pose():
            angle[0] += 3.0
            for a, off in actors:
                t.Identity()
                t.Translate(*off)
                t.RotateY(angle[0])
                m = np.array([[t.GetMatrix().GetElement(r, c) for c in range(4)] for r in range(4)])
                a.user_matrix = m
            p.ren_win.Render()
        return _frame_stats(step_pose, _pixel(p), frames)
    finally:
        p.close()


def bench_gallery_window(meshes, rows, cols, frames):
    """The shipped widget (GalleryView, the 3D part of GalleryWindow) at the same viewport size."""
    from trainer.inference import ShapeRef
    from np_viewer.gallery import GalleryModel, GalleryView
    model = GalleryModel(rows, cols)
    view = GalleryView(model, auto_update=False)
    try:
        view.resize(*WINDOW)
        view.show()
        model.set_entries([ShapeRef(f"mesh-{i}", f"instance {i}") for i in range(rows * cols)])
        for i, parts in enumerate(meshes[: rows * cols]):
            model.set_result(i, parts)
        view.renderer.fit()
        cam = view.camera

        def refill():   # a new page's results landing: 16 x 6 meshes into existing actors + a frame
            model.set_entries([ShapeRef(f"mesh-{i}", f"instance {i}") for i in range(rows * cols)])
            for i, parts in enumerate(meshes[: rows * cols]):
                model.set_result(i, parts)
            view.render_now()
        PAGE_MS.append(1000 * min(_seconds(refill) for _ in range(5)))

        def step():
            cam.Azimuth(3.0)
            view.render_now()
        return _frame_stats(step, _pixel(view.plotter), frames)
    finally:
        view.close_plotter()
        view.close()


def bench_inference(n: int, resolution: int) -> tuple[str, float, float]:
    """Seconds to predict n shapes: one Predictor.predict per shape vs one predict_batch call."""
    import torch

    from np_viewer.gallery.predict import predict_batch
    from trainer.config import load_config
    from trainer.inference import Predictor, list_shapes, load_shape
    from trainer.model import NeuralParts
    root = Path(__file__).resolve().parent.parent
    from trainer.inference.bundled import DEFAULT_MODEL
    ckpt = DEFAULT_MODEL
    if ckpt.exists():
        pred, what = Predictor(ckpt, device="cpu"), "default model"
    else:
        torch.manual_seed(0)
        model = NeuralParts.from_config(load_config(str(root / "configs/humanoid_default.yaml")))
        pred, what = Predictor(model, device="cpu"), "random-weight default config"
    refs = list_shapes(root / "assets/shapes")
    shapes = [load_shape(refs[i % len(refs)].path) for i in range(n)]
    import np_viewer.gallery.predict as gp
    loop = min(_seconds(lambda: [pred.predict(s, resolution) for s in shapes]) for _ in range(3))
    batch = min(_seconds(lambda: predict_batch(pred, shapes, resolution)) for _ in range(3))
    saved, gp.CPU_VERTICES_PER_PASS = gp.CPU_VERTICES_PER_PASS, 10 ** 9
    try:   # every shape in one pass, as on CUDA
        one = min(_seconds(lambda: predict_batch(pred, shapes, resolution)) for _ in range(3))
    finally:
        gp.CPU_VERTICES_PER_PASS = saved
    return f"{n} bundled shapes, {what}, CPU, {torch.get_num_threads()} torch thread(s)", loop, batch, one


def _seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grid", default="4x4")
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--resolution", type=int, default=3)
    ap.add_argument("--skip-window", action="store_true", help="do not measure GalleryWindow")
    ap.add_argument("--inference", action="store_true", help="also time batched vs per-shape inference")
    ap.add_argument("--lightkit", action="store_true",
                    help="raw designs with pyvista's default five-light kit and no back-face culling")
    ap.add_argument("--msaa", type=int, default=0, help="multi-samples of the two raw designs (default 0: off)")
    args = ap.parse_args(argv)
    rows, cols = (int(x) for x in args.grid.lower().split("x"))
    MULTI_SAMPLES[0] = args.msaa
    LIGHT_KIT[0] = args.lightkit
    if args.lightkit:
        MESH_STYLE.pop("culling")
    from np_viewer.display import VirtualDisplay
    display = VirtualDisplay()
    display.ensure()
    try:
        from PySide6.QtWidgets import QApplication
        app = QApplication.instance() or QApplication([])
        meshes, source = _meshes(rows * cols, args.resolution)
        tris = sum(len(f) for parts in meshes for _, f in parts)
        import vtk
        probe = _qt_plotter()
        gl = probe.ren_win.ReportCapabilities()
        probe.close()
        renderer = next((line.split(":", 1)[1].strip() for line in gl.splitlines()
                         if "OpenGL renderer string" in line), "?")
        rows_out = []
        load0 = f"{os.getloadavg()[0]:.2f}"
        msaa = (f", MSAA x{args.msaa}" if args.msaa else ", no MSAA") + (", light kit, no culling" if args.lightkit else "")
        for name, fn in ((f"subplots (linked cameras){msaa}", lambda: bench_subplots(meshes, rows, cols, args.frames)),
                         (f"layout, re-pose every instance{msaa}", lambda: bench_layout(meshes, rows, cols, args.frames))):
            rows_out.append((name, *fn()))
            app.processEvents()
        if not args.skip_window:
            rows_out.append(("GalleryView (shipped: layout design)", *bench_gallery_window(meshes, rows, cols, args.frames)))
        print(f"{rows}x{cols} instances, {tris} triangles, {WINDOW[0]}x{WINDOW[1]} window, "
              f"mesh level {args.resolution}; {source}")
        print(f"OpenGL renderer: {renderer}; VTK {vtk.vtkVersion.GetVTKVersion()}; "
              f"{os.cpu_count()} logical cores")
        print(f"load average before/after: {load0} / {os.getloadavg()[0]:.2f}")
        if args.inference:
            for level in sorted({args.resolution, 2}):
                what, loop, batch, one = bench_inference(rows * cols, level)
                print(f"inference, {what}, mesh level {level}: one predict() per shape {loop:.3f} s, "
                      f"predict_batch() {batch:.3f} s, predict_batch() with all shapes in one pass (as on CUDA) {one:.3f} s")
        print("| design | median frame, wall (ms) | fastest frame, wall (ms) | CPU per frame (ms) |\n|---|---|---|---|")
        for name, med, fastest, cpu in rows_out:
            print(f"| {name} | {med:.1f} | {fastest:.1f} | {cpu:.1f} |")
        if PAGE_MS:
            print(f"GalleryView: a page of predicted meshes into the actors + one frame, GUI thread: "
                  f"{PAGE_MS[0]:.0f} ms (best of 5)")
        return 0
    finally:
        display.stop()


if __name__ == "__main__":
    sys.exit(main())
