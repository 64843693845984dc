"""The claim tables of benchmarks/claim_humanoid.md from np-eval JSON files.

    .venv/bin/python -m benchmarks.claim_table REFERENCE.json OTHER.json [OTHER.json ...]
    .venv/bin/python -m benchmarks.claim_table --sweep OUT [--reference-arm neural_parts_6] [--curve-png P]

Files: one row per file (means ± std over shapes, part purity, training time from the
checkpoint when it is readable) and the paired per-shape differences REFERENCE minus each
OTHER (mean ± standard error, and on how many shapes REFERENCE is better).

``--sweep`` (benchmarks/claim_sweep.py output, OUT/<arm>/seed<S>.json): one row per arm with
the mean over seeds and the spread of the seeds' means; paired differences of the per-shape
seed means; and the curve, the test-split IoU of the validations during training (seed mean).
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
    name, m, minutes = _describe(report["checkpoint"], len(report.get("per_primitive", [])))
    if minutes is None and "seconds" in report.get("training", {}):   # np-eval kept it: the file may be gone
        minutes = float(report["training"]["seconds"]) / 60
    return name, m, minutes


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
    head = "| model | M | " + " | ".join(m[1] for m in METRICS) + " | part purity ↑ | connectedness ↑ | train time |"
    out = [head, "|" + "---|" * (len(METRICS) + 5)]
    for rep in reports:
        name, m, minutes = _model(rep)
        cells = [f"{rep[k]:.{d}f} ± {rep['std'][k]:.{d}f}" for k, _, d, _ in METRICS]
        purity = "" if rep.get("part_purity") is None else f"{rep['part_purity']:.3f}"
        connected = "" if rep.get("part_connectedness") is None else f"{rep['part_connectedness']:.3f}"  # np-eval >= Dec 2026
        t = "" if minutes is None else f"{minutes:.0f} min"
        out.append(f"| {name} | {m} | " + " | ".join(cells) + f" | {purity} | {connected} | {t} |")
    return out


def difference_cells(d: np.ndarray, sign: int, digits: int) -> list[str]:
    """Paired differences (reference minus other) as table cells: mean ± standard error, and on
    how many pairs the reference is better (``sign`` +1: higher is better, -1: lower)."""
    se = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float("nan")
    return [f"{d.mean():+.{digits}f} ± {se:.{digits}f}", f"{int((sign * d > 0).sum())}/{len(d)}"]


def paired(reference: dict, others: list[dict]) -> list[str]:
    out = ["| vs | IoU difference | better (IoU) | Chamfer-L1 difference | better (Chamfer) |", "|---|---|---|---|---|"]
    for rep in others:
        cells = []
        for key, sign in (("iou", +1), ("chamfer_l1", -1)):
            a, b = _per_shape(reference, key), _per_shape(rep, key)
            names = sorted(set(a) & set(b))
            d = np.array([a[n] - b[n] for n in names])
            digits = 3 if key == "iou" else 4
            cells += difference_cells(d, sign, digits)
        name, m, _ = _model(rep)
        out.append(f"| {name}, M={m} | " + " | ".join(cells) + " |")
    return out


def sweep_reports(folder: Path) -> dict[str, list[dict]]:
    """{arm: its seeds' np-eval reports} of a claim sweep folder, arms in the sweep's order."""
    from benchmarks.claim_sweep import ARMS
    order = {arm: i for i, arm in enumerate(ARMS)}
    arms = {}
    for arm in sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: (order.get(p.name, len(order)),
                                                                                   p.name)):
        files = sorted(arm.glob("seed*.json"))
        if files:
            arms[arm.name] = [json.loads(f.read_text()) | {"seed_file": str(f)} for f in files]
    return arms


def _seed_mean_per_shape(reports: list[dict], key: str) -> dict[str, float]:
    """Per shape, the mean over the seeds that scored it."""
    per = [_per_shape(r, key) for r in reports]
    names = set.intersection(*(set(p) for p in per))
    return {n: float(np.mean([p[n] for p in per])) for n in names}


def _spread(values: list[float], digits: int) -> str:
    if len(values) < 2:
        return f"{np.mean(values):.{digits}f}"
    return f"{np.mean(values):.{digits}f} ± {np.std(values, ddof=1):.{digits}f}"


def arm_rows(arms: dict[str, list[dict]]) -> list[str]:
    head = "| arm | M | seeds | " + " | ".join(m[1] for m in METRICS) + " | part purity ↑ | train min/run |"
    out = [head, "|" + "---|" * (len(METRICS) + 5)]
    for arm, reps in arms.items():
        described = [_model(r) for r in reps]
        cells = [_spread([r[k] for r in reps], d) for k, _, d, _ in METRICS]
        purities = [r["part_purity"] for r in reps if r.get("part_purity") is not None]
        minutes = [m for _, _, m in described if m is not None]
        out.append(f"| {arm} | {described[0][1]} | {len(reps)} | " + " | ".join(cells) + " | "
                   + (_spread(purities, 3) if purities else "") + " | "
                   + (f"{np.mean(minutes):.1f}" if minutes else "") + " |")
    return out


def arm_paired(reference: str, arms: dict[str, list[dict]]) -> list[str]:
    out = [f"| {reference} vs | IoU difference | better (IoU) | Chamfer-L1 difference | better (Chamfer) "
           "| seed pairs ahead (IoU) |", "|---|---|---|---|---|---|"]
    for arm, reps in arms.items():
        if arm == reference:
            continue
        cells = []
        for key, sign, digits in (("iou", +1, 3), ("chamfer_l1", -1, 4)):
            a, b = _seed_mean_per_shape(arms[reference], key), _seed_mean_per_shape(reps, key)
            d = np.array([a[n] - b[n] for n in sorted(set(a) & set(b))])
            cells += difference_cells(d, sign, digits)
        pairs = [(a["iou"], b["iou"]) for a in arms[reference] for b in reps]   # every seed against every seed
        cells.append(f"{sum(a > b for a, b in pairs)}/{len(pairs)}")
        out.append(f"| {arm} | " + " | ".join(cells) + " |")
    return out


def curves(arms: dict[str, list[dict]]) -> dict[str, dict[int, float]]:
    """{arm: {step: seed-mean test IoU}} from each run's validation.csv (steps every run has)."""
    import csv
    out = {}
    for arm, reps in arms.items():
        runs = []
        for r in reps:
            log = Path(r["seed_file"]).with_suffix("") / "validation.csv"
            if log.is_file():
                with log.open() as f:
                    runs.append({int(row["step"]): float(row["iou"]) for row in csv.DictReader(f)})
        if runs:
            steps = sorted(set.intersection(*(set(run) for run in runs)))
            out[arm] = {s: float(np.mean([run[s] for run in runs])) for s in steps}
    return out


def curve_rows(curve: dict[str, dict[int, float]]) -> list[str]:
    steps = sorted({s for c in curve.values() for s in c})
    out = ["| arm | " + " | ".join(f"step {s}" for s in steps) + " |", "|---|" + "---|" * len(steps)]
    for arm, c in curve.items():
        out.append(f"| {arm} | " + " | ".join(f"{c[s]:.3f}" if s in c else "" for s in steps) + " |")
    return out


def plot_curves(curve: dict[str, dict[int, float]], path: Path, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    for arm, c in curve.items():
        steps = sorted(c)
        ax.plot(steps, [c[s] for s in steps], marker="o", lw=2.2 if arm.startswith("neural_parts") else 1.2,
                label=arm)
    ax.set_xlabel("training step (batch 4)")
    ax.set_ylabel("test IoU (validation, mean of seeds)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def sweep_main(folder: Path, reference: str, curve_png: Path | None) -> int:
    arms = sweep_reports(folder)
    if reference not in arms:
        print(f"claim_table: no finished {reference} runs in {folder}", file=sys.stderr)
        return 1
    print("\n".join(arm_rows(arms)))
    print()
    print("\n".join(arm_paired(reference, arms)))
    curve = curves(arms)
    if curve:
        print()
        print("\n".join(curve_rows(curve)))
        if curve_png is not None:
            plot_curves(curve, curve_png, folder.name)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("reference", nargs="?")
    p.add_argument("others", nargs="*")
    p.add_argument("--sweep", type=Path, help="a claim_sweep folder (OUT/<arm>/seed<S>.json)")
    p.add_argument("--reference-arm", default="neural_parts_6", help="with --sweep: the arm the others are paired with")
    p.add_argument("--curve-png", type=Path, help="with --sweep: draw the validation curves here")
    args = p.parse_args(argv)
    if args.sweep is not None:
        return sweep_main(args.sweep, args.reference_arm, args.curve_png)
    if args.reference is None or not args.others:
        p.error("give REFERENCE.json and at least one OTHER.json, or --sweep OUT")
    ref = json.loads(Path(args.reference).read_text())
    others = [json.loads(Path(f).read_text()) for f in args.others]
    print("\n".join(rows([ref] + others)))
    print()
    print("\n".join(paired(ref, others)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
