"""Model throughput at the published ShapeNet size (f=256, H=256, p=128, M=5, L=4) on CPU.

Fast path (trainer/model/flow.py: per-primitive feature term, fused s/t first layer,
broadcast instead of expand+concat) against the plain per-point formulation of the same
maths (trainer/model/plain.py), measured in the same run, outputs compared.

    python -m benchmarks.bench_model [--points 20000] [--repeats 3]
"""
from __future__ import annotations

import argparse

import torch

from trainer.model import NeuralParts
from trainer.model.neural_parts import INFERENCE_CHUNK
from trainer.model.plain import plain_forward, plain_implicit
from trainer.model.sphere import sphere_mesh

from .common import machine_line, matmul_gflops, table, timed

SHAPENET = {
    "feature_extractor": {"type": "pointcloud", "feature_size": 256},
    "network": {"n_primitives": 5},
    "invertible_network": {"n_blocks": 4, "hidden_size": 256},
    "projection_layer": {"proj_dims": 128},
}


def flops_per_point_primitive(f: int, H: int, p: int, L: int, fast: bool) -> float:
    """Multiply-adds x 2 per (point, primitive) through all L coupling layers."""
    projection = 3 * 2 * p + 2 * p * p
    first = 2 * H * (p if fast else p + 2 * f)   # map_s and map_t first layers
    rest = 2 * (H * H + H * 3)
    return 2.0 * L * (projection + first + rest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = NeuralParts.from_config(SHAPENET).eval()
    f, H, p, L, M = 256, 256, 128, 4, model.n_primitives
    peak = matmul_gflops()
    rows = []
    with torch.no_grad():
        F = model(torch.rand(1, 2048, 3) - 0.5)
        x = torch.rand(1, args.points, 3) - 0.5
        flow = model.invertible_network
        phi_fast = model.implicit(F, x)
        phi_plain = plain_implicit(flow, F, x, model.sphere_radius)
        diff = (phi_fast - phi_plain).abs().max().item()
        t_plain = timed(lambda: plain_implicit(flow, F, x, model.sphere_radius), args.repeats)
        work = args.points * M
        variants = [("plain per-point", t_plain, False)]
        for chunk in (None, "auto"):
            t = timed(lambda: model.implicit(F, x, chunk_size=chunk), args.repeats)
            variants.append((f"fast{'' if chunk is None else f', chunks of {INFERENCE_CHUNK} (default)'}", t, True))
        for name, seconds, fast in variants:
            gflops = flops_per_point_primitive(f, H, p, L, fast) * work / seconds / 1e9
            rows.append([f"implicit, {args.points} pts", name, f"{seconds * 1e3:.0f}",
                         f"{work / seconds / 1e3:.0f}", f"{t_plain / seconds:.2f}x",
                         f"{gflops:.0f} ({gflops / peak:.0%})", f"{diff:.1e}" if fast else "-"])
        for resolution in (3, 5):
            vertices, _ = sphere_mesh(resolution, model.sphere_radius)
            y = torch.from_numpy(vertices)[None, :, None].expand(1, -1, M, -1).contiguous()
            mesh_diff = (model.sphere_to_world(F, y) - plain_forward(flow, F, y)).abs().max().item()
            t_plain_mesh = timed(lambda: plain_forward(flow, F, y), args.repeats)
            t_fast_mesh = timed(lambda: model.primitive_meshes(F, resolution), args.repeats)
            work = len(vertices) * M
            for name, seconds, fast in (("plain per-point", t_plain_mesh, False),
                                        ("fast (primitive_meshes)", t_fast_mesh, True)):
                gflops = flops_per_point_primitive(f, H, p, L, fast) * work / seconds / 1e9
                rows.append([f"meshes, level {resolution} ({len(vertices)} verts)", name,
                             f"{seconds * 1e3:.1f}", f"{work / seconds / 1e3:.0f}",
                             f"{t_plain_mesh / seconds:.2f}x", f"{gflops:.0f} ({gflops / peak:.0%})",
                             f"{mesh_diff:.1e}" if fast else "-"])
    print(f"Machine: {machine_line()}; measured fp32 matmul peak {peak:.0f} GFLOP/s\n")
    print(table(["task", "formulation", "ms", "k point-primitives/s", "speed-up", "GFLOP/s (of peak)",
                 "max |diff| vs plain"], rows))


if __name__ == "__main__":
    main()
