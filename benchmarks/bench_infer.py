"""np-infer throughput on the CPU: shapes per second, printed as a markdown table.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_infer.py [--shapes 8] [--threads 1] [--repeat 2] [--checkpoint CK]

Uses ``--checkpoint``, else the default model (``assets/models/humanoid.pt``) when it exists, else a freshly initialised model of the
default size (the published ShapeNet sizes with the point-cloud encoder: f=256, H=256,
p=128, 5 primitives, 4 coupling layers); the table says which. Inputs are the sample shapes
in ``assets/shapes`` (a prepared dataset) when present, else synthetic meshes written to OBJ files. Runs the real
command (``trainer.inference.cli.main``) in-process, so Python/torch import time is not counted.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch
import trimesh

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_SHAPES = ROOT / "assets" / "shapes"


def _model(tmp: Path, given: Path | None = None) -> tuple[Path, str]:
    from trainer.inference.bundled import DEFAULT_MODEL
    if given is not None:
        return given, f"`{given}`"
    if DEFAULT_MODEL.is_file():
        return DEFAULT_MODEL, f"`assets/models/{DEFAULT_MODEL.name}`"
    from trainer import checkpoint
    from trainer.config import load_config
    from trainer.model import NeuralParts

    torch.manual_seed(0)
    cfg = load_config({})
    model = NeuralParts.from_config(cfg)
    n = sum(p.numel() for p in model.parameters())
    path = checkpoint.save(tmp / "fresh_default.pt", model, model.config)
    return path, f"freshly initialised default-size model ({n / 1e6:.2f} M parameters; no default.pt yet)"


def _shapes(tmp: Path, n: int) -> tuple[list[Path], str]:
    from trainer.inference import ShapeLoadError, list_shapes

    try:
        found = [Path(r.path) for r in list_shapes(SAMPLE_SHAPES)] if SAMPLE_SHAPES.is_dir() else []
    except ShapeLoadError:
        found = []
    if found:
        what = (f"the first {n} of the {len(found)}" if n <= len(found)
                else f"the {len(found)} (repeated to {n})")
        return ([found[i % len(found)] for i in range(n)],
                f"{what} bundled sample shapes (assets/shapes, a prepared dataset)")
    makers = [
        lambda: trimesh.creation.icosphere(4),
        lambda: trimesh.creation.box((1.0, 0.5, 2.0)),
        lambda: trimesh.creation.capsule(1.0, 0.4, count=(32, 32)),
        lambda: trimesh.creation.torus(1.0, 0.3),
    ]
    paths = []
    for i in range(n):
        p = tmp / f"shape_{i}.obj"
        makers[i % len(makers)]().export(p)
        paths.append(p)
    return paths, "synthetic meshes (icosphere, box, capsule, torus) as OBJ files"


def _run(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) of one in-process np-infer run."""
    from trainer.inference.cli import main

    sink = io.StringIO()
    t0, c0 = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        code = main(argv)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    if code != 0:
        raise SystemExit(f"np-infer failed ({code}):\n{sink.getvalue()}")
    return elapsed, cpu


def _load_seconds(predictor: type, ckpt: Path) -> float:
    t0 = time.perf_counter()
    predictor(ckpt, device="cpu")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    ap.add_argument("--repeat", type=int, default=2, help="runs per setting; the fastest is reported")
    ap.add_argument("--checkpoint", type=Path, default=None, help="time this model instead of the default one")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    from trainer.inference import Predictor

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        ckpt, model_note = _model(tmp, args.checkpoint)
        inputs, shapes_note = _shapes(tmp, args.shapes)
        settings = [
            ("obj, parts + union (default)", ["--format", "obj"]),
            ("glb, parts + union", ["--format", "glb"]),
            ("obj, parts only (--no-union)", ["--format", "obj", "--no-union"]),
            ("obj, parts + union + --segment", ["--format", "obj", "--segment"]),
        ]
        base = [str(ckpt), *map(str, inputs), "--device", "cpu", "--resolution", "3", "--quiet"]
        _run([str(ckpt), str(inputs[0]), "--device", "cpu", "--quiet", "--out", str(tmp / "warm")])
        load_s = min(_load_seconds(Predictor, ckpt) for _ in range(3))   # warm, as in the runs below
        rows = []
        for i, (label, extra) in enumerate(settings):
            wall, cpu = min(_run(base + ["--out", str(tmp / f"out{i}_{r}")] + extra)
                            for r in range(args.repeat))
            per_shape = max(wall - load_s, 1e-9)
            rows.append((label, wall, len(inputs) / per_shape, cpu / len(inputs)))

    print(f"### np-infer on the CPU ({len(inputs)} shapes, resolution 3 = 642 vertices per primitive)\n")
    print(f"- model: {model_note}")
    print(f"- inputs: {shapes_note}")
    print(f"- machine: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} torch thread(s); checkpoint load {load_s:.2f} s\n")
    print(f"fastest of {args.repeat} runs per setting.\n")
    print("| setting | wall time (s, incl. model load) | shapes/s (excl. model load) | CPU s per shape |")
    print("|---|---:|---:|---:|")
    for label, wall, rate, cpu in rows:
        print(f"| {label} | {wall:.2f} | {rate:.2f} | {cpu:.3f} |")
    given = f" --checkpoint {args.checkpoint}" if args.checkpoint else ""
    print(f"\ncommand: `OMP_NUM_THREADS={args.threads} .venv/bin/python benchmarks/bench_infer.py "
          f"--shapes {args.shapes} --threads {args.threads} --repeat {args.repeat}{given}`")


if __name__ == "__main__":
    sys.exit(main())
