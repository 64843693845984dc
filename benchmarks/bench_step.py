"""One training step on CPU, today's (benchmarks/reference_step.py, frozen) vs the trainer's,
side by side in one run, term by term, as fractions of this machine's fp32 matmul peak.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.bench_step [--sizes default shapenet]
        [--rounds 5] [--threads 1]

Sizes: ``default`` = configs/humanoid_default.yaml with the bundled model's weights
(assets/models/humanoid.pt, the default model: a trained state, so the gradient sparsity is a realistic one);
``shapenet`` = configs/shapenet_5.yaml (ResNet-18 on 224^2 views, f=H=256, M=5, V=5000,
N=2000, S=500), seeded random weights. Data: procedural humanoids prepared into a temporary
directory (np-prepare, one view each). Two objectives per size:

- ``plain phi``: euclidean_phi_volume false in both steps; the same objective, so the
  losses must agree (checked, printed);
- ``as configured``: both configs set euclidean_phi_volume true, which today's step
  accepted and ignored (it trains the plain phi) and the trainer now honours.

Rounds interleave reference and new steps; the table gives median times and the median of
the per-round ratios. GFLOP are counted with torch's FlopCounterMode (matmuls and
convolutions, forward and backward, of the step actually run), so "% of peak" is achieved
arithmetic rate / fp32 matmul rate measured in the same run.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from trainer import checkpoint
from trainer.config import load_config
from trainer.losses import LOSSES, build_loss
from trainer.model import NeuralParts
from trainer.training.data import build_dataset, collate
from trainer.training.objective import TARGET_KEYS
from trainer.training.predictions import compute_predictions, union_surface_mask

from . import reference_step as ref
from .common import machine_line, matmul_gflops, table

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"default": "configs/humanoid_default.yaml", "shapenet": "configs/shapenet_5.yaml"}


def prepare_humanoids(out: Path) -> Path:
    cmd = [sys.executable, "-m", "trainer.data.prepare", "--synthetic", "humanoid", "--count", "4",
           "--seed", "900", "--out", str(out), "--surface", "6000", "--uniform", "6000", "--near", "2000",
           "--views", "1", "--split", "train", "--workers", "1", "--quiet", "--segments", "12"]
    subprocess.run(cmd, check=True, cwd=ROOT)
    return out


def setup(size: str, data_dir: Path):
    cfg = load_config(ROOT / SIZES[size])
    cfg["data"]["dataset_directory"] = str(data_dir)
    torch.manual_seed(0)
    model = NeuralParts(cfg)
    if size == "default":
        from trainer.inference.bundled import DEFAULT_MODEL
        model.load_state_dict(checkpoint.read(DEFAULT_MODEL)["model"])
    model.train()
    ds = build_dataset(cfg, ["train"])
    B = int(cfg["training"]["batch_size"])
    batch = collate([ds[i % len(ds)] for i in range(B)])
    batch = {k: batch[k] for k in ("input", *TARGET_KEYS) if k in batch}
    batch["surface_points"] = batch["surface_points"].detach().requires_grad_(True)
    return cfg, model, batch


def new_step(model, batch, cfg, euclidean: bool):
    model.config["network"]["euclidean_phi_volume"] = euclidean
    loss_fn = build_loss(cfg["loss"])
    F = model(batch["input"])
    preds = compute_predictions(model, F, batch, loss_fn.needs, int(cfg["network"]["n_points_on_sphere"]))
    total, terms = loss_fn(preds, batch)
    total.backward()
    model.zero_grad(set_to_none=True)
    return terms


def reference_step(model, batch, cfg):
    total, terms = ref.reference_loss(model, batch, cfg["loss"], int(cfg["network"]["n_points_on_sphere"]))
    total.backward()
    model.zero_grad(set_to_none=True)
    return terms


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _flops(fn) -> float:
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return counter.get_total_flops() / 1e9


def term_functions(model, batch, cfg) -> dict[str, tuple]:
    """name -> (reference fn, new fn); each runs its term forward and backward."""
    S = int(cfg["network"]["n_points_on_sphere"])
    c = cfg["loss"]

    def encoder():
        model(batch["input"]).sum().backward()

    def vol_ref():
        F = model(batch["input"]).detach()
        p = ref.predictions(model, F, batch, {"phi_volume"}, S)
        sum(ref.LOSSES[n][0](p, batch, c) for n in ("implicit_surface_loss", "min_points_loss",
                                                     "non_overlapping_regularizer")).backward()

    def vol_new(euclidean):
        def run():
            model.config["network"]["euclidean_phi_volume"] = euclidean
            F = model(batch["input"]).detach()
            p = compute_predictions(model, F, batch, {"phi_volume"}, S)
            sum(LOSSES[n](p, batch, c) for n in ("implicit_surface_loss", "min_points_loss",
                                                  "non_overlapping_regularizer")).backward()
        return run

    def normals_ref():
        F = model(batch["input"]).detach()
        p = ref.predictions(model, F, batch, {"phi_surface"}, S)
        ref.normal_consistency(p, batch, c).backward()

    def normals_new():
        F = model(batch["input"]).detach()
        LOSSES["normal_consistency_loss"](compute_predictions(model, F, batch, {"phi_surface"}, S),
                                          batch, c).backward()

    def chamfer_ref():  # y_prim forward flow + union mask + Chamfer
        F = model(batch["input"]).detach()
        ref.true_chamfer(ref.predictions(model, F, batch, {"y_prim"}, S), batch, c).backward()

    def chamfer_new():
        F = model(batch["input"]).detach()
        LOSSES["true_chamfer_loss"](compute_predictions(model, F, batch, {"y_prim"}, S), batch, c).backward()

    with torch.no_grad():
        F0 = model(batch["input"])
        y0 = model.sphere_to_world(F0, model.sample_sphere(F0.shape[0], S))

    def mask_ref():
        with torch.no_grad():
            cond = ref.condition(model.invertible_network, F0)
            B, _, M, _ = y0.shape
            ref.implicit(model, cond, y0.reshape(B, -1, 3))

    def mask_new():
        union_surface_mask(model, F0, y0, model.condition(F0))

    return {
        "encoder (fwd+bwd)": (encoder, encoder),
        "volume phi + 3 losses, plain phi": (vol_ref, vol_new(False)),
        "volume phi + 3 losses, euclidean (new) vs plain (ref)": (vol_ref, vol_new(True)),
        "surface phi + normal loss (double backward)": (normals_ref, normals_new),
        "y_prim flow forward + union mask + Chamfer": (chamfer_ref, chamfer_new),
        "union mask alone (no grad)": (mask_ref, mask_new),
    }


def loss_only_times(model, batch, cfg) -> list[list[str]]:
    """Each loss forward+backward on fixed predictions (leaves), ms: the losses themselves."""
    S = int(cfg["network"]["n_points_on_sphere"])
    with torch.no_grad():
        F = model(batch["input"])
    model.config["network"]["euclidean_phi_volume"] = False
    preds = compute_predictions(model, F.detach().requires_grad_(True), batch, {"phi_volume", "y_prim"}, S)
    leaves = {k: (v.detach().requires_grad_(True) if v.is_floating_point() else v) for k, v in preds.items()}
    rows = []
    for name in ("true_chamfer_loss", "implicit_surface_loss", "min_points_loss", "non_overlapping_regularizer"):
        t = statistics.median(_timed(lambda: LOSSES[name](leaves, batch, cfg["loss"]).backward()) for _ in range(3))
        rows.append([name, f"{1000 * t:.1f}"])
    return rows


class Peak:
    """The best fp32 matmul rate seen so far in this run (re-measured every round, since
    neighbours' load comes and goes; the best is what the machine can do)."""

    def __init__(self) -> None:
        self.gflops = 0.0

    def measure(self) -> float:
        self.gflops = max(self.gflops, matmul_gflops(1024, repeats=3))
        return self.gflops


def bench_size(size: str, data_dir: Path, rounds: int, peak: Peak) -> tuple[str, list]:
    cfg, model, batch = setup(size, data_dir)
    out = [f"### {size} ({SIZES[size]}, B={batch['input'].shape[0]}, "
           f"V={batch['volume_points'].shape[1]}, N={batch['surface_points'].shape[1]}, "
           f"S={cfg['network']['n_points_on_sphere']}, M={cfg['network']['n_primitives']})", ""]
    # equality of the losses (same objective, same sphere draws)
    torch.manual_seed(3)
    r_terms = reference_step(model, batch, cfg)
    torch.manual_seed(3)
    n_terms = new_step(model, batch, cfg, euclidean=False)
    worst = max(abs(r_terms[k] - n_terms[k]) / max(1e-6, abs(r_terms[k])) for k in r_terms)
    out.append(f"Losses, today's step vs new (plain phi, same draws): worst relative difference {worst:.1e}")
    out.append("")
    steps = {"plain phi": (lambda: reference_step(model, batch, cfg), lambda: new_step(model, batch, cfg, False)),
             "as configured (euclidean_phi_volume: true)":
                 (lambda: reference_step(model, batch, cfg), lambda: new_step(model, batch, cfg, True))}
    rows = []
    for label, (fr, fn) in steps.items():
        fr(), fn()  # warm-up
        g_ref, g_new = _flops(fr), _flops(fn)
        tr, tn, ratio = [], [], []
        for _ in range(rounds):
            peak.measure()
            a, b = _timed(fr), _timed(fn)
            tr.append(a), tn.append(b), ratio.append(a / b)
        rows.append((label, statistics.median(tr), statistics.median(tn), statistics.median(ratio), g_ref, g_new))
    out.append("{step table}")
    out.append("")
    term_rows = []
    reps = 3 if size == "default" else 1
    for name, (fr, fn) in term_functions(model, batch, cfg).items():
        fr(), fn()
        a = [_timed(fr) for _ in range(reps)]
        b = [_timed(fn) for _ in range(reps)]
        peak.measure()
        term_rows.append((name, statistics.median(a), statistics.median(b), _flops(fr), _flops(fn)))
        model.zero_grad(set_to_none=True)
    out.append("{term table}")
    out.append("")
    out.append(table(["loss alone, on fixed predictions (fwd+bwd)", "ms"], loss_only_times(model, batch, cfg)))
    model.config["network"]["euclidean_phi_volume"] = True
    return "\n".join(out), [rows, term_rows]


def _pct(gflop: float, seconds: float, peak: float) -> str:
    return f"{100 * gflop / seconds / peak:.0f}%"


def render(text: str, rows, term_rows, peak: float) -> str:
    steps = table(["step", "today (s)", "new (s)", "speed-up (median of per-round ratios)", "today GFLOP",
                   "new GFLOP", "today % of peak", "new % of peak"],
                  [[label, f"{tr:.3f}", f"{tn:.3f}", f"**{ratio:.2f}x**", f"{gr:.1f}", f"{gn:.1f}",
                    _pct(gr, tr, peak), _pct(gn, tn, peak)] for label, tr, tn, ratio, gr, gn in rows])
    terms = table(["term (forward + backward)", "today (ms)", "new (ms)", "speed-up", "today % of peak",
                   "new % of peak"],
                  [[name, f"{1000 * a:.0f}", f"{1000 * b:.0f}", f"{a / b:.2f}x", _pct(ga, a, peak),
                    _pct(gb, b, peak)] for name, a, b, ga, gb in term_rows])
    return text.replace("{step table}", steps).replace("{term table}", terms)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = prepare_humanoids(Path(tmp) / "humanoids")
        peak = Peak()
        peak.measure()
        results = [bench_size(size, data_dir, args.rounds if size == "default" else max(1, args.rounds // 2), peak)
                   for size in args.sizes]
        peak.measure()
        print(f"Machine: {machine_line()}; fp32 matmul peak {peak.gflops:.0f} GFLOP/s (1024^2 matmul, best "
              f"rate seen in this run, re-measured every round). The machine was shared with other jobs.\n")
        for text, (rows, term_rows) in results:
            print(render(text, rows, term_rows, peak.gflops))
            print()


if __name__ == "__main__":
    main()
