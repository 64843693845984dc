"""Per-shape fitting (``trainer.fitting``): quality against wall-clock time.

For each shape and mode (refine from the bundled model / scratch with 6 primitives) one fit
runs for the largest time mark; the best state at each mark (10, 30, 60, 120 s) is scored
afterwards with np-eval's protocol (IoU at the uniform volume samples, Chamfer-L1 of the
union surface) and, for labelled procedural shapes, part purity. The state at an early mark
comes from the longer run (its learning rate is still high there), so a fit given that
shorter budget would do at least as well. Also measures the in-process prepare against mesh
size (trimesh subdivision makes the larger meshes). Example:

    OMP_NUM_THREADS=2 .venv/bin/python -m benchmarks.bench_fit --marks 10 30 60 120 --per-family 2
    .venv/bin/python -m benchmarks.bench_fit --table fit_bench.json     # the README tables
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import SHARED_DATA
FAMILIES = ("humanoid", "chair", "airplane")


def _score(model, shape, fit_shape_record) -> dict[str, float]:
    from trainer.evaluate.protocol import EvalSettings, score_shape
    from trainer.inference import Predictor
    from trainer.metrics.parts import PartConsistency

    p = Predictor(model, device="cpu")
    F = p.features(shape)
    rec = fit_shape_record
    pts, occ = (rec.uniform_points, rec.uniform_occupancy) if rec.n_uniform else (rec.volume_points, rec.occupancy)
    s = score_shape(p.model, F, np.asarray(rec.surface_points, np.float64), None, pts, occ,
                    EvalSettings(n_points=5000, mesh_resolution=3))
    out = {"iou": s.iou, "chamfer_l1": s.chamfer_l1}
    if rec.part_labels is not None:
        pc = PartConsistency(p.n_primitives)
        pc.add(p.implicit(F, rec.surface_points).argmin(1), rec.part_labels)
        out["purity"] = pc.purity()
    return out


def _procedural(family: str, seed: int, out: Path) -> Path:
    from trainer.data.pipeline import PrepareOptions, prepare_mesh
    from trainer.data.synthetic import generate
    mesh, labels, names = generate(family, seed)
    return prepare_mesh(mesh, name=f"{family}_{seed}", category=family, split="test", out_dir=out,
                        options=PrepareOptions(n_surface=20000, n_uniform=8000, n_near=8000, voxels=False),
                        face_labels=labels, part_names=names)


def run_fit(path: Path, mode: str, marks: list[float], threads: int, flow_lr_scale: float | None = None) -> dict:
    from trainer.fitting import FitOptions, fit_shape, prepare_shape
    from trainer.inference.bundled import DEFAULT_MODEL, choose_model
    fs = prepare_shape(path)
    start = choose_model(fs.input).path if mode == "refine" else DEFAULT_MODEL   # as np-fit: the family's model
    snaps: dict[float, tuple[torch.nn.Module, int]] = {}

    def on_progress(p):
        if p.model is None:
            return
        for m in marks:
            if m not in snaps and p.elapsed >= m - 1.0:   # snapshots come every snapshot_every s
                snaps[m] = (p.model, p.step)

    options = FitOptions(mode=mode, seconds=max(marks), threads=threads, snapshot_every=2.0, iou_every=1e9,
                         flow_lr_scale=flow_lr_scale)
    r = fit_shape(fs, options, model=start, on_progress=on_progress)
    snaps[max(marks)] = (r.model, r.steps)
    row = {"shape": fs.name, "mode": mode, "prepare_s": fs.seconds, "marks": {}, "model": start.name,
           **({"flow_lr_scale": flow_lr_scale} if flow_lr_scale is not None else {})}
    if mode == "refine":
        from trainer.checkpoint import load
        row["before"] = _score(load(start)[0], fs.input, fs.record)
    for m in marks:
        model, step = snaps.get(m, (r.model, r.steps))
        row["marks"][m] = {"step": step, **_score(model, fs.input, fs.record)}
    return row


def prepare_scaling(path: Path) -> list[dict]:
    import trimesh

    from trainer.fitting import prepare_shape
    from trainer.inference.shapes import ShapeInput, load_shape
    base = load_shape(path)
    rows = []
    v, f = base.vertices, base.faces
    for _ in range(4):
        if len(f) > 150_000:
            break
        mesh = trimesh.Trimesh(v, f, process=False)
        shape = ShapeInput(**{**base.__dict__, "vertices": np.asarray(mesh.vertices, np.float32),
                              "faces": np.asarray(mesh.faces, np.int64)})
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            prepare_shape(shape)
            times.append(time.perf_counter() - t0)
        rows.append({"faces": len(f), "watertight": bool(mesh.is_watertight), "prepare_s": min(times)})
        v, f = trimesh.remesh.subdivide(v, f)
    return rows


def format_tables(result: dict) -> str:
    """Markdown: one row per (shape, mode), IoU / Chamfer-L1 / purity / steps at each mark."""
    from benchmarks.common import table
    marks = sorted({float(m) for r in result["rows"] for m in r["marks"]})
    headers = ["shape", "mode", "before: IoU / CD / purity"] + [f"{m:g} s: IoU / CD / purity (steps)" for m in marks]

    def cell(s: dict | None, steps: bool = True) -> str:
        if s is None:
            return ""
        purity = f" / {s['purity']:.2f}" if "purity" in s else ""
        tail = f" ({s['step']})" if steps and "step" in s else ""
        return f"{s['iou']:.3f} / {s['chamfer_l1']:.4f}{purity}{tail}"

    rows = []
    for r in result["rows"]:
        by_mark = {float(m): v for m, v in r["marks"].items()}
        rows.append([r["shape"], r["mode"], cell(r.get("before"), False)] + [cell(by_mark.get(m)) for m in marks])
    out = [table(headers, rows)]
    if result.get("scaling"):
        srows = [[name, f"{x['faces']:,}", "yes" if x["watertight"] else "no", f"{x['prepare_s']:.3f}"]
                 for name, xs in result["scaling"].items() for x in xs]
        out.append(table(["mesh", "faces", "watertight", "prepare_shape (s)"], srows))
    return "\n\n".join(out)


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--table"]:
        print(format_tables(json.loads(Path(argv[1]).read_text())))
        return 0
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--marks", type=float, nargs="+", default=[10, 30, 60, 120])
    p.add_argument("--per-family", type=int, default=5, help="procedural shapes per family")
    p.add_argument("--family-marks", type=float, nargs="+", default=None,
                   help="time marks for procedural shapes (default: --marks)")
    p.add_argument("--shared", nargs="*", default=["cow", "spot", "suzanne", "teapot"])
    p.add_argument("--modes", nargs="+", default=["refine", "scratch"])
    p.add_argument("--families", nargs="*", default=list(FAMILIES), choices=FAMILIES)
    p.add_argument("--flow-lr-scale", type=float, default=None,
                   help="the flow's learning rate relative to the features' (default: the recipe's)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", type=Path, default=Path("fit_bench.json"))
    p.add_argument("--skip-scaling", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    from benchmarks.common import machine_line, matmul_gflops
    result = {"machine": machine_line(), "gflops_start": matmul_gflops(), "rows": [], "scaling": {}}

    def save():
        args.out.write_text(json.dumps(result, indent=1))

    if not args.skip_scaling:
        for name in ("cow", "teapot"):
            result["scaling"][name] = prepare_scaling(SHARED_DATA / f"{name}.obj")
            print(name, result["scaling"][name], flush=True)
            save()
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(SHARED_DATA / f"{n}.obj", args.marks) for n in args.shared]
        for fam in args.families:
            for seed in range(args.per_family):
                jobs.append((_procedural(fam, 100 + seed, Path(tmp)), args.family_marks or args.marks))
        for path, marks in jobs:
            for mode in args.modes:
                row = run_fit(path, mode, marks, args.threads, args.flow_lr_scale)
                print(json.dumps(row), flush=True)
                result["rows"].append(row)
                save()
    result["gflops_end"] = matmul_gflops()
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
