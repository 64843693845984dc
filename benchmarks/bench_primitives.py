"""Per-type throughput of the primitive models through the one protocol (trainer/model/protocol.py).

Neural Parts (4 coupling layers), ellipsoids (0 layers), superquadrics and cuboids as their
shipped configs build them (configs/humanoid_default.yaml, configs/claim/ellipsoids_6.yaml,
configs/superquadrics_6.yaml, configs/cuboids_6.yaml: f=64, flow H=64, heads 64, M=6), CPU,
measured side by side in interleaved rounds of one run, so the ratios hold on a shared machine:
- implicit, inference: phi (no gradient) at N points;
- implicit, training: phi at N points plus its backward, as the occupancy losses use it;
- surface samples, training: sample_surface plus backward (the Chamfer loss's input);
- meshes: primitive_meshes at icosphere level 3 and 5 (cuboids: their box at the same level).
Rates are (points x primitives) per second; "vs NP" is Neural Parts' time over this type's.

    python -m benchmarks.bench_primitives [--points 20000] [--rounds 5] [--threads N]
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

import torch

from trainer.config import load_config
from trainer.model import build_model

from .common import best_of_interleaved, machine_line, matmul_gflops, table

ROOT = Path(__file__).resolve().parents[1]
TYPES = {  # row name -> the shipped config of that type (same data, objective and budget)
    "Neural Parts (4 layers)": "configs/humanoid_default.yaml",
    "ellipsoids (0 layers)": "configs/claim/ellipsoids_6.yaml",
    "superquadrics": "configs/superquadrics_6.yaml",
    "cuboids": "configs/cuboids_6.yaml",
}


def build(config: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(load_config(ROOT / config)).eval()


def _training_implicit(model, F: torch.Tensor, x: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        with torch.enable_grad():
            Fg = F.detach().requires_grad_(True)
            model.implicit(Fg, x).sum().backward()
    return run


def _training_samples(model, F: torch.Tensor, n: int) -> Callable[[], None]:
    def run() -> None:
        with torch.enable_grad():
            Fg = F.detach().requires_grad_(True)
            model.sample_surface(Fg, n).sum().backward()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=20000)
    parser.add_argument("--train-points", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    models = {name: build(c) for name, c in TYPES.items()}
    M = next(iter(models.values())).n_primitives
    peak = matmul_gflops()
    torch.manual_seed(1)
    shape = torch.rand(1, 1024, 3) - 0.5
    x = torch.rand(1, args.points, 3) - 0.5
    xt = torch.rand(4, args.train_points, 3) - 0.5
    with torch.no_grad():
        feats = {name: m(shape) for name, m in models.items()}
        feats_t = {name: m(shape.expand(4, -1, -1)) for name, m in models.items()}
        tasks = {
            f"implicit, inference ({args.points} pts)":
                ({n: (lambda m=m, F=feats[n]: m.implicit(F, x)) for n, m in models.items()}, args.points),
            f"implicit + backward, training (4 x {args.train_points} pts)":
                ({n: _training_implicit(m, feats_t[n], xt) for n, m in models.items()}, 4 * args.train_points),
            f"surface samples + backward (4 x {args.train_points})":
                ({n: _training_samples(m, feats_t[n], args.train_points) for n, m in models.items()},
                 4 * args.train_points),
        }
        for level in (3, 5):
            verts = {n: len(m.primitive_meshes(feats[n], level)[0][0][0]) for n, m in models.items()}
            tasks[f"meshes, level {level}"] = (
                {n: (lambda m=m, F=feats[n], r=level: m.primitive_meshes(F, r)) for n, m in models.items()}, verts)
        rows = []
        for task, (fns, work) in tasks.items():
            times = best_of_interleaved(fns, args.rounds)
            reference = times["Neural Parts (4 layers)"]
            for name, seconds in times.items():
                n = work[name] if isinstance(work, dict) else work
                label = f"{task} [{n} verts]" if isinstance(work, dict) else task
                rows.append([label, name, f"{seconds * 1e3:.1f}", f"{n * M / seconds / 1e6:.2f}",
                             f"{reference / seconds:.1f}x"])
    params = {name: sum(p.numel() for p in m.parameters()) for name, m in models.items()}
    print(f"Machine: {machine_line()}; measured fp32 matmul peak {peak:.0f} GFLOP/s (2048^2, best of 7)")
    print("Parameters: " + ", ".join(f"{n} {p:,}" for n, p in params.items()) + f"; M = {M}\n")
    print(table(["task", "type", "best ms", "M point-primitives/s", "vs NP"], rows))


if __name__ == "__main__":
    main()
