"""How often the viewer's "Fit to this shape" shows new parts while a fit runs.

Runs the fit as the app's fit job does (``Predictor.fit``; every progress report that carries a
model snapshot becomes a preview, meshed at the scene's mesh level on the job service's own
"preview" lane while the fit goes on), and reports the wall-clock gaps between consecutive
snapshots and what meshing one snapshot costs.

    .venv/bin/python -m benchmarks.fit_preview [--seconds 20] [--threads 2]
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from benchmarks.common import ROOT, SHARED_DATA


def run(predictor, shape, mode: str, seconds: float, resolution: int = 3) -> dict:
    from trainer.fitting import FitOptions
    from trainer.inference import Predictor
    previews, snapshots, mesh_costs = [], [], []

    def progress(p) -> None:
        if p.model is not None:
            previews.append(time.perf_counter())
            snapshots.append(p.model)

    start = time.perf_counter()
    result = predictor.fit(shape, FitOptions(mode=mode, seconds=seconds, device="cpu"), on_progress=progress)
    total = time.perf_counter() - start
    for model in snapshots[:5]:
        t0 = time.perf_counter()
        Predictor(model, device="cpu").predict(shape, resolution)
        mesh_costs.append(time.perf_counter() - t0)
    gaps = np.diff([start, *previews])
    return {"steps": result.steps, "total": total, "previews": len(previews), "first": gaps[0] if len(gaps) else None,
            "median_gap": float(np.median(gaps[1:])) if len(gaps) > 1 else None,
            "max_gap": float(gaps[1:].max()) if len(gaps) > 1 else None,
            "mesh_ms": 1000 * float(np.median(mesh_costs)) if mesh_costs else None,
            "iou": (result.iou_before, result.iou_after)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from trainer.inference import Predictor, load_shape
    from trainer.inference.bundled import DEFAULT_MODEL
    predictor = Predictor(DEFAULT_MODEL, device="cpu")
    shapes = [("spot (third-party mesh)", str(SHARED_DATA / "spot.obj")),
              ("chair-010000 (bundled)", str(ROOT / "assets" / "shapes" / "chair" / "chair-010000"))]
    print(f"Machine: {os.cpu_count()} logical cores, shared with other jobs; torch threads {args.threads}; "
          f"budget {args.seconds:.0f} s; mesh level 3\n")
    print("| shape | mode | steps | previews | first preview after (s, from the click: load + prepare + 1 step) | median gap (s) | max gap (s) | "
          "meshing one preview (ms) | IoU before -> after |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, path in shapes:
        shape = load_shape(path)
        for mode in ("refine", "scratch"):
            r = run(predictor, shape, mode, args.seconds)
            before = "–" if r["iou"][0] is None else f"{r['iou'][0]:.3f}"
            print(f"| {name} | {mode} | {r['steps']} | {r['previews']} | {r['first']:.2f} | {r['median_gap']:.2f} | "
                  f"{r['max_gap']:.2f} | {r['mesh_ms']:.0f} | {before} -> {r['iou'][1]:.3f} |")


if __name__ == "__main__":
    main()
