"""Picture for benchmarks/claim_humanoid.md: the primitives of a few held-out shapes, one
row per checkpoint, the ground-truth surface as grey points beside them.

    .venv/bin/python -m benchmarks.claim_figure DATASET OUT.png CHECKPOINT [CHECKPOINT ...] \\
        [--shapes 0 1 2] [--split test]

Starts a virtual display when there is none (as np-viewer --screenshot does).
"""
from __future__ import annotations

import argparse
import sys

import numpy as np


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dataset")
    p.add_argument("out")
    p.add_argument("checkpoints", nargs="+")
    p.add_argument("--shapes", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--split", default="test")
    p.add_argument("--tile", type=int, default=320, help="pixels per picture")
    args = p.parse_args(argv)

    import pyvista as pv
    import torch

    from benchmarks.claim_table import model_label
    from np_viewer.display import start_headless
    from trainer import checkpoint
    from trainer.data import load_prepared
    from trainer.palette import part_colour
    from trainer.training.data import build_dataset

    display = start_headless(args.out)
    if display is None:
        return 1
    rows, cols = len(args.checkpoints), len(args.shapes)
    plotter = pv.Plotter(off_screen=True, shape=(rows, cols), window_size=(args.tile * cols, args.tile * rows))
    try:
        for r, path in enumerate(args.checkpoints):
            model, cfg = checkpoint.load(path)
            cfg["data"]["dataset_directory"] = args.dataset
            ds = build_dataset(cfg, args.split, seed=0, equal=False)   # np-eval's inputs
            label = f"{model_label(cfg)}, M={model.n_primitives}, sharpness {cfg['loss']['sharpness']:g}"
            for c, i in enumerate(args.shapes):
                with torch.no_grad():
                    F = model(ds[i]["input"][None])
                plotter.subplot(r, c)
                for k, (v, f) in enumerate(model.primitive_meshes(F, 4)[0]):
                    faces = np.hstack([np.full((len(f), 1), 3), f]).ravel()
                    plotter.add_mesh(pv.PolyData(np.asarray(v), faces), color=part_colour(k), smooth_shading=True)
                gt = load_prepared(ds.shape_dirs[i]).surface_points[::4] + np.array([0.75, 0.0, 0.0])
                plotter.add_points(gt, color="lightgrey", point_size=2, render_points_as_spheres=False)
                if c == 0:
                    plotter.add_text(label, font_size=9)
                plotter.view_xy()
                plotter.camera.zoom(1.15)
        plotter.screenshot(args.out)
    finally:
        plotter.close()
        display.stop()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
