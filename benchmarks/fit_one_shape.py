"""Optimisation diagnostic: how well does a config fit ONE shape when it sees nothing else?

Prepares one procedural humanoid (or uses --data, a prepared directory whose 'train'
split is used), trains the config on it alone (batch 1) and logs the validation pass
(loss terms and np-eval's IoU, on that same shape) every --every steps. A config that
cannot fit one shape well will not fit a dataset; this separates optimisation problems
from generalisation. Example (benchmarks/claim_humanoid.md, "Sharpness"):

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.fit_one_shape configs/humanoid_default.yaml \\
        --steps 1500 --set loss.sharpness=50 --set invertible_network.n_blocks=0
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def _prepare_one(out: Path, seed: int) -> Path:
    cmd = [sys.executable, "-m", "trainer.data.prepare", "--synthetic", "humanoid", "--count", "1",
           "--seed", str(seed), "--out", str(out), "--surface", "20000", "--uniform", "20000",
           "--near", "20000", "--split", "train", "--workers", "1", "--quiet"]
    subprocess.run(cmd, check=True)
    return out


def _override(cfg: dict, assignment: str) -> None:
    """--set section.key=JSON_VALUE"""
    key, _, value = assignment.partition("=")
    section, _, name = key.partition(".")
    cfg.setdefault(section, {})[name] = json.loads(value)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("config")
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--every", type=int, default=250, help="steps between IoU measurements")
    p.add_argument("--seed", type=int, default=5, help="procedural humanoid seed")
    p.add_argument("--data", default=None, help="prepared directory (its 'train' split) instead")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=JSON")
    p.add_argument("--out", default=None, help="run directory (default: a temporary one)")
    args = p.parse_args(argv)

    import torch

    from trainer.config import load_config
    from trainer.training import TrainOptions, train

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(args.data) if args.data else _prepare_one(Path(tmp) / "data", args.seed)
        cfg = load_config(args.config)
        for a in args.set:
            _override(cfg, a)
        cfg["data"]["dataset_directory"] = str(data)
        cfg["training"].update(splits=["train"], batch_size=1, aggregate=1, steps_per_epoch=args.every,
                               epochs=-(-args.steps // args.every), checkpoint_every=args.steps)
        cfg["validation"] = {"splits": ["train"], "frequency": 1, "batch_size": 1, "max_shapes": 1}
        out = Path(args.out) if args.out else Path(tmp) / "run"
        r = train(cfg, TrainOptions(out, max_steps=args.steps, progress=False))
        rows = list(csv.DictReader((out / "validation.csv").open()))
    print(f"{Path(args.config).name} {' '.join(args.set)}: {r.seconds:.0f} s")
    print("| step | IoU | loss | Chamfer term | occupancy term |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['step']} | {float(row['iou']):.3f} | {float(row['loss']):.4f} | "
              f"{float(row['true_chamfer_loss']):.4f} | {float(row['implicit_surface_loss']):.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
