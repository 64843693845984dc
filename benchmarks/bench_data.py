"""Data pipeline speed: np-prepare shapes/s, inside-test points/s, dataset samples/s.

    .venv/bin/python benchmarks/bench_data.py [--workers 2] [--shapes 8]

Prints markdown tables (what benchmarks/results_data.md holds). Runs the real np-prepare
command in-process at its default sample counts (100k surface, 100k uniform + 100k near-surface
volume points, 32^3 voxels) on ~10k-face meshes written to OBJ files, so mesh parsing is
included. Also checks the inside labels against brute-force winding numbers (label agreement).
Takes about a minute on 2 cores.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "data"))

from benchmarks.common import SHARED_DATA  # noqa: E402
from trainer.data import PreparedDataset, load_mesh, load_prepared  # noqa: E402
from trainer.data.inside import crossing_winding_numbers, winding_numbers  # noqa: E402
from trainer.data.normalize import compute_normalization  # noqa: E402
from trainer.data.prepare import main as np_prepare  # noqa: E402
from trainer.data.sampling import sample_near_surface, sample_uniform_box  # noqa: E402
from trainer.data.synthetic import generate  # noqa: E402



def table(headers: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _cpu_seconds() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_prepare(inputs: list[Path], out: Path, workers: int) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of this process and its workers, shapes)."""
    args = [*map(str, inputs), "--out", str(out), "--workers", str(workers), "--quiet"]
    cpu0, start = _cpu_seconds(), time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = np_prepare(args)
    elapsed, cpu = time.perf_counter() - start, _cpu_seconds() - cpu0
    if code != 0:
        raise SystemExit(f"np-prepare failed with exit code {code}")
    return elapsed, cpu, len(inputs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--shapes", type=int, default=8, help="procedural ~10k-face meshes to prepare")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_data_"))
    print(f"Machine: {os.cpu_count()} logical cores; np-prepare workers: {args.workers}\n")

    # ---------------------------------------------------------------- np-prepare
    proc_dir = tmp / "humanoids"
    proc_dir.mkdir()
    faces = []
    for s in range(args.shapes):
        mesh, _, _ = generate("humanoid", 500 + s, segments=50)
        faces.append(len(mesh.faces))
        mesh.export(str(proc_dir / f"h{s}.obj"))
    real = sorted(SHARED_DATA.glob("*.obj"))
    rows = []
    t, cpu, n = run_prepare(sorted(proc_dir.glob("*.obj")), tmp / "out_proc", args.workers)
    rows.append([f"procedural humanoids as OBJ, closed ({int(np.mean(faces))} faces avg)", n,
                 f"{t:.2f}", f"**{n / t:.2f}**", f"{cpu / n:.2f}", f"{2 * n / cpu:.2f}"])
    if real:
        rf = [len(load_mesh(p).faces) for p in real]
        t, cpu, n = run_prepare(real, tmp / "out_real", args.workers)
        rows.append([f"shared real meshes ({', '.join(p.stem for p in real)}; {int(np.mean(rf))} faces avg)",
                     n, f"{t:.2f}", f"**{n / t:.2f}**", f"{cpu / n:.2f}", f"{2 * n / cpu:.2f}"])
    print("### np-prepare (default sample counts)\n")
    print(table(["input", "shapes", "wall s", "shapes/s (wall)", "CPU s/shape",
                 "shapes/s per 2 busy cores (2 / CPU s)"], rows))

    # ---------------------------------------------------------------- inside test
    rows = []
    cases = [("procedural humanoid (closed)", generate("humanoid", 500, segments=50)[0])]
    for name in ("cow", "teapot"):
        p = SHARED_DATA / f"{name}.obj"
        if p.is_file():
            cases.append((f"{name} ({'closed' if load_mesh(p).is_watertight else 'open'})", load_mesh(p)))
    for label, mesh in cases:
        norm = compute_normalization(mesh.vertices)
        import trimesh
        m = trimesh.Trimesh(norm.apply(mesh.vertices), mesh.faces, process=False)
        pts = np.concatenate([sample_uniform_box(100_000, 0), sample_near_surface(m, 100_000, 1)])
        methods = [("libigl fast winding number", lambda: winding_numbers(m, pts))]
        if m.is_watertight:
            methods.insert(0, ("ray-crossing count (used for closed meshes)", lambda: crossing_winding_numbers(m, pts)))
        for mname, fn in methods:
            fn()
            start = time.perf_counter()
            fn()
            dt = time.perf_counter() - start
            rows.append([label, len(m.faces), mname, f"{len(pts) / dt / 1e6:.2f} M"])
    print("\n### Inside test (200k points: half uniform, half near the surface; one process)\n")
    print(table(["mesh", "faces", "method", "points/s"], rows))

    # ---------------------------------------------------------------- dataset
    rows = []
    for cache in (0, 32):
        ds = PreparedDataset(tmp / "out_proc", None, seed=0, cache_size=cache)
        ds[0]
        reps = 300
        start = time.perf_counter()
        for i in range(reps):
            ds[i % len(ds)]
        dt = time.perf_counter() - start
        rows.append(["pointcloud input 2048, 2000 surface, 2000 volume (equal)",
                     "off (reads the .npz every time)" if cache == 0 else "on (32 shapes)", f"**{reps / dt:.0f}**"])
    print("\n### PreparedDataset samples/s (one process, no DataLoader workers)\n")
    print(table(["item", "cache", "samples/s"], rows))

    # ---------------------------------------------------------------- agreement
    from data_helpers import exact_winding_numbers, reference_meshes
    rows = []
    for path in reference_meshes():
        out = tmp / "agree"
        with contextlib.redirect_stdout(io.StringIO()):
            np_prepare([str(path), "--out", str(out), "--workers", "1", "--quiet", "--category", "ref",
                        "--surface", "1000", "--uniform", "5000", "--near", "5000"])
        rec = load_prepared(out / "ref" / path.stem)
        rng = np.random.default_rng(1)
        idx = rng.choice(len(rec.volume_points), 1500, replace=False)
        mesh = load_mesh(path)
        ref = exact_winding_numbers(mesh.vertices, mesh.faces,
                                    rec.normalization.invert(rec.volume_points[idx].astype(np.float64))) > 0.5
        rows.append([path.name, "closed" if mesh.is_watertight else "open", len(mesh.faces),
                     f"{(ref == rec.occupancy[idx]).mean() * 100:.2f} %"])
    print("\n### Label agreement with brute-force winding numbers (1500 stored volume points per mesh)\n")
    print(table(["mesh", "kind", "faces", "agreement"], rows))


if __name__ == "__main__":
    main()
