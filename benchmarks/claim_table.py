"""The claim tables of benchmarks/claim_humanoid.md from np-eval JSON files.

    .venv/bin/python -m benchmarks.claim_table REFERENCE.json OTHER.json [OTHER.json ...]

Prints one row per file (means ± std over shapes, part purity, training time from the
checkpoint when it is readable) and the paired per-shape differences REFERENCE minus each
OTHER (mean ± standard error, and on how many shapes REFERENCE is better).
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path

import numpy as np

METRICS = [("iou", "IoU ↑", 3, +1), ("chamfer_l1", "Chamfer-L1 ↓", 4, -1), ("fscore", "F-score@1% ↑", 3, +1),
           ("normal_consistency", "normal cons. ↑", 3, +1)]


def _model(report: dict) -> tuple[str, int, float | None]:
    """(description, primitives, training minutes) from the evaluated checkpoint."""
    return _describe(report["checkpoint"], len(report.get("per_primitive", [])))


def model_label(config: dict) -> str:
    """A table label from the model's own ``describe()``: any primitive type, not only flows."""
    from trainer.model import build_model
    d = build_model(config).describe()
    if "coupling layers" in d:
        return f"Neural Parts (L={d['coupling layers']})" if d["coupling layers"] else "ellipsoids (L=0)"
    return str(d["type"])


@functools.lru_cache(maxsize=None)
def _describe(path: str, n_primitives: int) -> tuple[str, int, float | None]:
    """Read once per checkpoint (both tables name every model)."""
    try:
        from trainer import checkpoint
        ck = checkpoint.read(path)
    except Exception:  # the checkpoint may be gone; the JSON still has the numbers
        return Path(path).name, n_primitives, None
    net = ck["config"]["network"]
    name = model_label(ck["config"])
    minutes = float(ck["seconds"]) / 60 if "seconds" in ck else None
    sharpness = ck["config"]["loss"].get("sharpness")
    seed = ck["config"]["training"].get("seed")
    return (f"{name}, sharpness {sharpness:g}, seed {seed}, step {ck.get('step', '?')}", int(net["n_primitives"]),
            minutes)


def _per_shape(report: dict, key: str) -> dict[str, float]:
    return {r["name"]: float(r[key]) for r in report["per_shape"]}


def rows(reports: list[dict]) -> list[str]:
    head = "| model | M | " + " | ".join(m[1] for m in METRICS) + " | part purity ↑ | train time |"
    out = [head, "|" + "---|" * (len(METRICS) + 4)]
    for rep in reports:
        name, m, minutes = _model(rep)
        cells = [f"{rep[k]:.{d}f} ± {rep['std'][k]:.{d}f}" for k, _, d, _ in METRICS]
        purity = "" if rep.get("part_purity") is None else f"{rep['part_purity']:.3f}"
        t = "" if minutes is None else f"{minutes:.0f} min"
        out.append(f"| {name} | {m} | " + " | ".join(cells) + f" | {purity} | {t} |")
    return out


def paired(reference: dict, others: list[dict]) -> list[str]:
    out = ["| vs | IoU difference | better (IoU) | Chamfer-L1 difference | better (Chamfer) |", "|---|---|---|---|---|"]
    for rep in others:
        cells = []
        for key, sign in (("iou", +1), ("chamfer_l1", -1)):
            a, b = _per_shape(reference, key), _per_shape(rep, key)
            names = sorted(set(a) & set(b))
            d = np.array([a[n] - b[n] for n in names])
            se = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float("nan")
            digits = 3 if key == "iou" else 4
            cells += [f"{d.mean():+.{digits}f} ± {se:.{digits}f}", f"{int((sign * d > 0).sum())}/{len(d)}"]
        name, m, _ = _model(rep)
        out.append(f"| {name}, M={m} | " + " | ".join(cells) + " |")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("reference")
    p.add_argument("others", nargs="+")
    args = p.parse_args(argv)
    ref = json.loads(Path(args.reference).read_text())
    others = [json.loads(Path(f).read_text()) for f in args.others]
    print("\n".join(rows([ref] + others)))
    print()
    print("\n".join(paired(ref, others)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
