"""Peak memory and time of the Chamfer (pairwise-distance) loss: chunked nearest-neighbour
search (trainer.losses, what training uses) vs the naive formulation that materialises
the B x S x M x N distance tensor (the published code's).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_train.py [--repeats 3]

Each (case, method) runs forward + backward in a fresh subprocess; peak memory is the
growth of the process's peak RSS over its state just before the first call (CPU), or
torch.cuda.max_memory_allocated (CUDA).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

CASES = {
    # name: (B, S points per primitive, M primitives, N target points)
    "dfaust_6 (B=1,S=200,M=6,N=1500)": (1, 200, 6, 1500),
    "shapenet_5 (B=3,S=500,M=5,N=2000)": (3, 500, 5, 2000),
    "large (B=8,S=500,M=6,N=4000)": (8, 500, 6, 4000),
}


def _child(method: str, shape: tuple[int, int, int, int], repeats: int, device: str) -> dict:
    import torch

    from trainer.losses import chamfer_terms, chamfer_terms_naive

    torch.set_num_threads(1)
    B, S, M, N = shape
    g = torch.Generator().manual_seed(0)
    y = torch.randn(B, S, M, 3, generator=g).to(device).requires_grad_(True)
    t = torch.randn(B, N, 3, generator=g).to(device)
    on = (torch.rand(B, S, M, generator=g) > 0.3).to(device)
    fn = chamfer_terms if method == "chunked" else chamfer_terms_naive
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
        base_cuda = torch.cuda.memory_allocated()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        a, b = fn(y, on, t)
        (a + b).backward()
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
        y.grad = None
    if device == "cuda":
        peak = (torch.cuda.max_memory_allocated() - base_cuda) / 2**20
    else:
        peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
    return {"seconds": min(times), "peak_mib": peak, "value": float(a + b)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        method, B, S, M, N, device = args.child
        print(json.dumps(_child(method, (int(B), int(S), int(M), int(N)), args.repeats, device)))
        return
    rows = []
    for name, shape in CASES.items():
        res = {}
        for method in ("naive", "chunked"):
            out = subprocess.run([sys.executable, __file__, "--repeats", str(args.repeats), "--child", method,
                                  *map(str, shape), args.device], capture_output=True, text=True)
            res[method] = json.loads(out.stdout) if out.returncode == 0 else {"error": out.stderr[-300:]}
        rows.append((name, res))
    print("| case | naive time (s) | naive peak (MiB) | chunked time (s) | chunked peak (MiB) | same value |")
    print("|---|---|---|---|---|---|")
    for name, r in rows:
        n, c = r["naive"], r["chunked"]
        if "error" in n or "error" in c:
            print(f"| {name} | {n.get('error', '')} | | {c.get('error', '')} | | |")
            continue
        same = abs(n["value"] - c["value"]) <= 1e-5 * max(1.0, abs(n["value"]))
        print(f"| {name} | {n['seconds']:.3f} | {n['peak_mib']:.0f} | {c['seconds']:.3f} | {c['peak_mib']:.0f} | {same} |")


if __name__ == "__main__":
    main()
