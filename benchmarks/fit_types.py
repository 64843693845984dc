"""Per-shape fitting, primitive type against primitive type: each shared mesh fitted from scratch
with Neural Parts, ellipsoids, superquadrics and cuboids at the same step budget and seed
(``trainer.fitting.arms``, as ``np-fit --type``), scored with np-eval's protocol.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.fit_types --steps 400 --seeds 0 1 2 \
        [--arms neural_parts:6 ellipsoids:6 superquadrics:6 ...] [--out fit_types.json] [--pictures DIR]
    .venv/bin/python -m benchmarks.fit_types --table fit_types.json

Every arm keeps the bundled humanoid model's encoder and objective (np-fit's scratch recipe);
only the primitive type and count differ. ``--pictures`` renders each shape's seed-0 fits side
by side (one PNG per shape).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.bench_fit import _score
from benchmarks.claim_table import difference_cells
from benchmarks.common import SHARED_DATA, machine_line, matmul_gflops, table

ARMS = ["neural_parts:6", "ellipsoids:6", "superquadrics:6", "cuboids:6", "ellipsoids:12", "superquadrics:12",
        "cuboids:12", "superquadrics:24", "cuboids:24"]


def fit_one(fs, arm: str, steps: int, seed: int, base_config: dict):  # noqa: ANN001, ANN201 - (row, model)
    """One scratch fit of ``arm`` (TYPE:COUNT); ``base_config``: the open model's, as np-fit uses."""
    from trainer.fitting import fit_shape
    from trainer.fitting.arms import ARM_KEYS, arm_options
    kind, count = arm.split(":")
    options = arm_options(ARM_KEYS[kind], base_config, seconds=None, steps=steps, device="cpu", seed=seed,
                          primitives=int(count), threads=1, iou_every=1e9)
    t0 = time.perf_counter()
    result = fit_shape(fs, options)
    seconds = time.perf_counter() - t0
    row = {"shape": fs.name, "arm": arm, "seed": seed, "steps": result.steps, "seconds": seconds,
           **_score(result.model, fs.input, fs.record)}
    return row, result.model


def summary_rows(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    """Per shape and arm: IoU and Chamfer-L1, mean ± std over seeds, and seconds per fit."""
    shapes = list(dict.fromkeys(r["shape"] for r in rows))
    arms = list(dict.fromkeys(r["arm"] for r in rows))
    headers = ["arm"] + [f"{s}: IoU / CD" for s in shapes] + ["mean IoU", "s / fit"]
    out = []
    for arm in arms:
        cells, means = [], []
        for shape in shapes:
            mine = [r for r in rows if r["arm"] == arm and r["shape"] == shape]
            iou, cd = np.array([r["iou"] for r in mine]), np.array([r["chamfer_l1"] for r in mine])
            sd = lambda x: f" ± {x.std(ddof=1):.3f}" if len(x) > 1 else ""  # noqa: E731
            cells.append(f"{iou.mean():.3f}{sd(iou)} / {cd.mean():.4f}")
            means.append(iou.mean())
        secs = np.mean([r["seconds"] for r in rows if r["arm"] == arm])
        out.append([arm.replace(":", " x")] + cells + [f"{np.mean(means):.3f}", f"{secs:.0f}"])
    return headers, out


def paired_rows(rows: list[dict], reference: str = "neural_parts:6") -> tuple[list[str], list[list[str]]]:
    """Reference minus each arm, paired by (shape, seed): IoU mean ± standard error, wins."""
    key = lambda r: (r["shape"], r["seed"])  # noqa: E731
    ref = {key(r): r for r in rows if r["arm"] == reference}
    out = []
    for arm in dict.fromkeys(r["arm"] for r in rows):
        if arm == reference:
            continue
        pairs = [(ref[key(r)], r) for r in rows if r["arm"] == arm and key(r) in ref]
        cells = []
        for metric, sign, digits in (("iou", 1, 3), ("chamfer_l1", -1, 4)):
            d = np.array([a[metric] - b[metric] for a, b in pairs])
            cells += difference_cells(d, sign, digits)
        out.append([arm.replace(":", " x")] + cells)
    return ["vs", "IoU difference", "better (IoU)", "Chamfer-L1 difference", "better (Chamfer)"], out


def render(models: dict[str, torch.nn.Module], fs, path: Path) -> None:  # noqa: ANN001
    """One picture: the fits of one shape side by side, each primitive in its palette colour."""
    import pyvista as pv

    from trainer.inference import Predictor
    from trainer.palette import part_colour
    arms = list(models)
    plotter = pv.Plotter(off_screen=True, shape=(1, len(arms) + 1), window_size=(300 * (len(arms) + 1), 320))
    try:
        plotter.subplot(0, 0)
        plotter.add_mesh(pv.PolyData.from_regular_faces(fs.input.vertices, fs.input.faces), color="lightgrey")
        plotter.add_text(fs.name, font_size=9)
        for i, arm in enumerate(arms, start=1):
            plotter.subplot(0, i)
            parts = Predictor(models[arm], device="cpu").predict(fs.input, 4).meshes
            for k, (v, f) in enumerate(parts):
                plotter.add_mesh(pv.PolyData.from_regular_faces(v, f), color=part_colour(k), smooth_shading=True)
            plotter.add_text(arm.replace(":", " x"), font_size=9)
        plotter.link_views()
        plotter.camera_position = "xy"
        plotter.camera.azimuth = 35
        plotter.camera.elevation = 20
        plotter.reset_camera()
        plotter.screenshot(str(path))
    finally:
        plotter.close()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--table"]:
        rows = json.loads(Path(argv[1]).read_text())["rows"]
        print(table(*summary_rows(rows)))
        print()
        print(table(*paired_rows(rows)))
        return 0
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shared", nargs="+", default=["cow", "spot", "suzanne", "teapot"])
    p.add_argument("--arms", nargs="+", default=ARMS, help="TYPE:COUNT (np-fit --type, --primitives)")
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--out", type=Path, default=Path("fit_types.json"))
    p.add_argument("--pictures", type=Path, default=None, help="folder for one picture per shape (seed 0)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    from trainer.checkpoint import load
    from trainer.fitting import prepare_shape
    from trainer.inference.bundled import DEFAULT_MODEL
    base_config = load(DEFAULT_MODEL)[0].config      # read once, not per fit
    result = {"machine": machine_line(), "gflops_start": matmul_gflops(), "steps": args.steps, "rows": []}
    for name in args.shared:
        fs = prepare_shape(SHARED_DATA / f"{name}.obj")
        seed0 = {}
        for seed in args.seeds:
            for arm in args.arms:
                row, model = fit_one(fs, arm, args.steps, seed, base_config)
                print(json.dumps(row), flush=True)
                result["rows"].append(row)
                args.out.write_text(json.dumps(result, indent=1))
                if seed == args.seeds[0]:
                    seed0[arm] = model
        if args.pictures is not None:
            args.pictures.mkdir(parents=True, exist_ok=True)
            render(seed0, fs, args.pictures / f"fit_types_{name}.png")
    result["gflops_end"] = matmul_gflops()
    args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
