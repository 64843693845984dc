"""Model throughput at the published ShapeNet size (f=256, H=256, p=128, M=5, L=4) on CPU.

Fast path (trainer/model/flow.py: per-primitive feature term, fused s/t first layer,
broadcast instead of expand+concat, cache-sized chunks) against the plain per-point
formulation of the same maths (trainer/model/plain.py), measured in the same run with
interleaved rounds, outputs compared.

    python -m benchmarks.bench_model [--points 20000] [--rounds 5] [--threads N]
"""
from __future__ import annotations

import argparse

import torch

from trainer.model import NeuralParts
from trainer.model.neural_parts import INFERENCE_CHUNK
from trainer.model.plain import plain_forward, plain_implicit
from trainer.model.sphere import sphere_mesh

from .common import best_of_interleaved, machine_line, matmul_gflops, table

SHAPENET = {
    "feature_extractor": {"type": "pointcloud", "feature_size": 256},
    "network": {"n_primitives": 5},
    "invertible_network": {"n_blocks": 4, "hidden_size": 256},
    "projection_layer": {"proj_dims": 128},
}
F_SIZE, HIDDEN, PROJ, LAYERS = 256, 256, 128, 4


def flops_per_point_primitive(fast: bool) -> float:
    """2 x multiply-adds per (point, primitive) through all coupling layers."""
    projection = 3 * 2 * PROJ + 2 * PROJ * PROJ
    first = 2 * HIDDEN * (PROJ if fast else PROJ + 2 * F_SIZE)   # map_s and map_t first layers
    rest = 2 * (HIDDEN * HIDDEN + HIDDEN * 3)
    return 2.0 * LAYERS * (projection + first + rest)


def _rows(task: str, times: dict[str, float], work: int, peak: float, diff: float) -> list[list[str]]:
    plain = times["plain per-point"]
    rows = []
    for name, seconds in times.items():
        fast = name != "plain per-point"
        gflops = flops_per_point_primitive(fast) * work / seconds / 1e9
        rows.append([task, name, f"{seconds * 1e3:.1f}", f"{work / seconds / 1e3:.0f}", f"{plain / seconds:.2f}x",
                     f"{gflops:.0f} ({gflops / peak:.0%})", f"{diff:.1e}" if fast else "-"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = NeuralParts.from_config(SHAPENET).eval()
    flow, M, radius = model.invertible_network, model.n_primitives, model.sphere_radius
    peak = matmul_gflops()
    rows = []
    with torch.no_grad():
        F = model(torch.rand(1, 2048, 3) - 0.5)
        x = torch.rand(1, args.points, 3) - 0.5
        diff = (model.implicit(F, x) - plain_implicit(flow, F, x, radius)).abs().max().item()
        times = best_of_interleaved({
            "plain per-point": lambda: plain_implicit(flow, F, x, radius),
            "fast, one pass": lambda: model.implicit(F, x, chunk_size=None),
            f"fast, chunks of {INFERENCE_CHUNK} (default)": lambda: model.implicit(F, x),
        }, args.rounds)
        rows += _rows(f"implicit, {args.points} pts", times, args.points * M, peak, diff)
        for resolution in (3, 5):
            vertices, _ = sphere_mesh(resolution, radius)
            y = torch.from_numpy(vertices)[None, :, None].expand(1, -1, M, -1).contiguous()
            mesh_diff = max((model.primitive_meshes(F, resolution)[0][m][0] - plain_forward(flow, F, y)[0, :, m].numpy())
                            .__abs__().max() for m in range(M))
            times = best_of_interleaved({
                "plain per-point": lambda: plain_forward(flow, F, y),
                "fast (primitive_meshes)": lambda: model.primitive_meshes(F, resolution),
            }, args.rounds)
            rows += _rows(f"meshes, level {resolution} ({len(vertices)} verts)", times, len(vertices) * M,
                          peak, float(mesh_diff))
    print(f"Machine: {machine_line()}; measured fp32 matmul peak {peak:.0f} GFLOP/s (2048^2, best of 7)\n")
    print(table(["task", "formulation", "best ms", "k point-primitives/s", "speed-up vs plain",
                 "GFLOP/s (of peak)", "max |diff| vs plain"], rows))


if __name__ == "__main__":
    main()
