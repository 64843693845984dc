"""Trains the tiny model on ellipsoids: run under torchrun by test_distributed.py
(writes this rank's final parameters to OUT/rank<r>.pt), or alone with a step count
by the Ctrl-C test (exit code 130 when interrupted)."""
import os
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from np_train_ellipsoids import EllipsoidDataset  # noqa: E402

from trainer.training import TrainOptions, train  # noqa: E402

if __name__ == "__main__":
    torch.set_num_threads(1)
    out = Path(sys.argv[1])
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    cfg = {
        "network": {"n_primitives": 2, "n_points_on_sphere": 16},
        "feature_extractor": {"type": "pointcloud", "feature_size": 16},
        "invertible_network": {"n_blocks": 1, "hidden_size": 16},
        "projection_layer": {"proj_dims": 8},
        "loss": {"sharpness": 50},
        "training": {"epochs": 1, "steps_per_epoch": steps, "batch_size": 1, "aggregate": 2,
                     "lr": 1e-3, "seed": 5, "checkpoint_every": 2},
    }
    result = train(cfg, TrainOptions(out, device="cpu", progress=False), dataset=EllipsoidDataset())
    if result.interrupted:
        sys.exit(130)
    state = {k: v.detach().clone() for k, v in result.model.state_dict().items()}
    torch.save({"state": state, "world": int(os.environ.get("WORLD_SIZE", 1)), "step": result.step},
               out / f"rank{os.environ.get('RANK', 0)}.pt")
