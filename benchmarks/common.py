"""Small shared helpers for the benchmark scripts (timing, machine facts, tables)."""
from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path
from typing import Callable

import torch

ROOT = Path(__file__).resolve().parents[1]  # the checkout
# The third-party meshes (cow.obj, spot.obj, ...): $NP_SHARED_DATA, else ../shared/data beside the checkout.
SHARED_DATA = Path(os.environ.get("NP_SHARED_DATA", ROOT.parent / "shared" / "data"))


def timed(fn: Callable[[], object], repeats: int = 3, warmup: int = 1) -> float:
    """Median wall time of ``fn`` in seconds."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def best_of_interleaved(fns: dict[str, Callable[[], object]], rounds: int = 5) -> dict[str, float]:
    """Best wall time (s) of each function, run in interleaved rounds.

    The best of interleaved rounds is what the code can do; on a shared 2-core machine a
    median mostly measures the neighbours, and interleaving exposes every variant to the same load.
    """
    for fn in fns.values():
        fn()
    best = {name: float("inf") for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def matmul_gflops(n: int = 2048, repeats: int = 7) -> float:
    """This machine's fp32 matmul rate (GFLOP/s, best of ``repeats``) at torch's thread count."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    seconds = best_of_interleaved({"mm": lambda: a @ b}, rounds=repeats)["mm"]
    return 2 * n**3 / seconds / 1e9


def machine_line() -> str:
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical cores, "
            f"torch {torch.__version__}, {torch.get_num_threads()} threads")


def table(headers: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
