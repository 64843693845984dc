"""The primitive-type claim sweep: every arm x seed trained with one budget, then np-eval'd.

    .venv/bin/python -m benchmarks.claim_sweep --data data/humanoids --out runs/claim/humanoids \
        [--arms neural_parts_6 ellipsoids_6 ...] [--seeds 27 28 29] [--write-configs]

An arm is ``<type>_<M>`` with type neural_parts, ellipsoids, superquadrics or cuboids (plus
``neural_parts_6_sharp250``, the published sharpness). Every arm's config is written from
the base configs under ``configs/claim/cosine1k/`` (``--write-configs`` regenerates them): the
data, encoder, losses, weights, batch and optimiser of configs/humanoid_default.yaml, with
1000 steps, a cosine decay of the learning rate to 0.1x and a validation (test-split loss and
IoU, validation.csv) every 200 steps for the curve; only the network differs.
Each run is OUT/<arm>/seed<S>/ (np-train output) and its test-split evaluation
OUT/<arm>/seed<S>.json (np-eval --out). Finished runs and evaluations are skipped, so the
sweep resumes where it stopped. One thread per process: pin it with taskset.
"""
from __future__ import annotations

import argparse
import copy
import subprocess
import sys
from pathlib import Path

import yaml

from benchmarks.common import ROOT

CONFIG_DIR = ROOT / "configs" / "claim" / "cosine1k"
BASES = {"neural_parts": "humanoid_default.yaml", "ellipsoids": "humanoid_default.yaml",
         "superquadrics": "superquadrics_6.yaml", "cuboids": "cuboids_6.yaml"}
STEPS = 1000
ARMS = ["neural_parts_6", "ellipsoids_6", "ellipsoids_12", "ellipsoids_18", "superquadrics_6", "superquadrics_12",
        "superquadrics_24", "cuboids_6", "cuboids_12", "cuboids_24"]
HEADER = ("# Claim sweep arm (benchmarks/claim_sweep.py writes this file; edit the script, not it).\n"
          "# The default model's data, encoder, objective and budget: {steps} steps of batch 4, cosine lr\n"
          "# decay to 0.1x; only the network section differs between arms. Train with:\n"
          "#   np-train {path} runs/claim/{name} --dataset-directory data/humanoids --threads 1\n")


def arm_config(arm: str) -> dict:
    """The config of one arm, from its type's base config."""
    sharp250 = arm.endswith("_sharp250")
    kind, count = arm.removesuffix("_sharp250").rsplit("_", 1)
    config = copy.deepcopy(yaml.safe_load((ROOT / "configs" / BASES[kind]).read_text()))
    config["network"]["n_primitives"] = int(count)
    if kind == "ellipsoids":
        config["invertible_network"]["n_blocks"] = 0
    if sharp250:
        config["loss"]["sharpness"] = 250
    training = config["training"]
    training.update(epochs=STEPS // 100, steps_per_epoch=100, lr_schedule={"type": "cosine", "final_fraction": 0.1})
    config["validation"]["frequency"] = 2       # test-split loss and IoU every 200 steps: the curve
    return config


def write_configs(arms: list[str]) -> None:
    CONFIG_DIR.mkdir(parents=True, exist_ok=True)
    for arm in arms:
        path = CONFIG_DIR / f"{arm}.yaml"
        text = HEADER.format(steps=STEPS, path=path.relative_to(ROOT), name=arm)
        path.write_text(text + yaml.safe_dump(arm_config(arm), sort_keys=False))


def run_arm(arm: str, seed: int, data: Path, out: Path) -> None:
    run_dir, report = out / arm / f"seed{seed}", out / arm / f"seed{seed}.json"
    bin_dir = Path(sys.executable).parent
    if not (run_dir / "model.pt").exists():
        resume = ["--resume"] if (run_dir / "last.pt").exists() else []
        subprocess.run([str(bin_dir / "np-train"), str(CONFIG_DIR / f"{arm}.yaml"), str(run_dir),
                        "--dataset-directory", str(data), "--seed", str(seed), "--threads", "1", "--no-progress",
                        *resume], check=True, stdout=subprocess.DEVNULL)
    if not report.exists():
        subprocess.run([str(bin_dir / "np-eval"), str(run_dir / "model.pt"), str(data), "--out", str(report),
                        "--threads", "1", "--no-progress"], check=True, stdout=subprocess.DEVNULL)
    print(f"{arm} seed {seed}: {report}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="prepared dataset (np-prepare output)")
    parser.add_argument("--out", type=Path, help="sweep folder")
    parser.add_argument("--arms", nargs="+", default=ARMS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[27, 28, 29])
    parser.add_argument("--write-configs", action="store_true", help="(re)write configs/claim/cosine1k/ and stop")
    args = parser.parse_args(argv)
    if args.write_configs:
        write_configs(args.arms)
        return 0
    if args.data is None or args.out is None:
        parser.error("--data and --out are needed to run the sweep")
    for seed in args.seeds:  # seed-major: a cut-short sweep still has every arm at the first seed
        for arm in args.arms:
            run_arm(arm, seed, args.data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
