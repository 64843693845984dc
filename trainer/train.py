"""np-train CONFIG OUT_DIR: train Neural Parts (one process, or many with torchrun).

    np-train configs/humanoid_default.yaml runs/humanoid
    np-train configs/humanoid_default.yaml runs/humanoid --resume
    torchrun --nproc_per_node=4 -m trainer.train configs/shapenet_5.yaml runs/shapenet
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="np-train",
        description="Train a Neural Parts model. Writes OUT_DIR/config.yaml, log.csv, tensorboard/, "
                    "checkpoints/step_*.pt, last.pt (latest) and model.pt (final). Ctrl-C saves a "
                    "checkpoint and exits; --resume continues exactly where it stopped. For several "
                    "processes or machines run it under torchrun (see README.md, 'Training and evaluation').",
    )
    p.add_argument("config", help="YAML config in the published Neural Parts schema")
    p.add_argument("out_dir", help="output directory (created if missing)")
    p.add_argument("--resume", nargs="?", const=True, default=False, metavar="CHECKPOINT",
                   help="continue from OUT_DIR/last.pt, or from the given checkpoint")
    p.add_argument("--init-weights", default=None, metavar="CHECKPOINT",
                   help="fine-tune: start from this model's weights (ours or a published .pt with the same "
                        "network config) at step 0 with a fresh optimizer; with --resume the resumed run's "
                        "weights win")
    p.add_argument("--device", default="auto", help="auto (CUDA if present), cpu, cuda or cuda:N")
    p.add_argument("--max-steps", type=int, default=None,
                   help="stop after this many steps in total (a checkpoint is saved)")
    p.add_argument("--dataset-directory", default=None, help="override data.dataset_directory")
    p.add_argument("--seed", type=int, default=None, help="override training.seed")
    p.add_argument("--threads", type=int, default=None, help="CPU threads per process (torch.set_num_threads)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _preflight(cfg: dict, out: Path, resume: bool | str) -> None:
    """Refuse what would fail later (after minutes of work, or with a traceback): the dataset,
    the output folder and the checkpoint to resume from are checked before anything starts."""
    from .config import ConfigError
    from .data.manifest import read_manifest
    from .fsutil import unwritable_reason
    from .published_keys import check_training_config

    loss_types = cfg["loss"].get("type", [])  # a bad loss section itself is reported by train()
    check_training_config(cfg, [str(t) for t in loss_types] if isinstance(loss_types, list) else [str(loss_types)])
    directory = cfg["data"].get("dataset_directory")
    if not directory:
        raise ConfigError("data.dataset_directory is not set; point it at a prepared dataset (np-prepare output) "
                          "or pass --dataset-directory")
    read_manifest(directory)  # ManifestError: missing, a file, empty, not a dataset
    reason = unwritable_reason(out)
    if reason is not None:
        raise ConfigError(f"cannot write to the output folder {out}: {reason}")
    if resume is True and not (out / "last.pt").exists():
        raise ConfigError(f"--resume: {out / 'last.pt'} does not exist; nothing to resume")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from .config import ConfigError, load_config
    from .data.manifest import ManifestError

    out = Path(args.out_dir)
    try:  # before torch is even imported: a bad config or dataset is reported at once
        cfg = load_config(args.config)
        if args.dataset_directory:
            cfg["data"]["dataset_directory"] = args.dataset_directory
        if args.seed is not None:
            cfg["training"]["seed"] = args.seed
        _preflight(cfg, out, args.resume)
    except (ConfigError, ManifestError) as exc:
        print(f"np-train: error: {exc}", file=sys.stderr)
        return 2

    import torch

    from .checkpoint import CheckpointError
    from .losses import LossConfigError
    from .training import TrainOptions, train

    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        result = train(cfg, TrainOptions(out, resume=args.resume, init_weights=args.init_weights, device=args.device,
                                          max_steps=args.max_steps, progress=not args.no_progress))
    except (ConfigError, ManifestError, CheckpointError, LossConfigError, RuntimeError, FileNotFoundError,
            ValueError) as exc:
        print(f"np-train: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("np-train: aborted (second Ctrl-C); no checkpoint written for the current step", file=sys.stderr)
        return EXIT_INTERRUPTED
    if int(os.environ.get("RANK", "0")) == 0:
        where = result.checkpoint
        print(f"np-train: step {result.step}/{result.total_steps} in {result.seconds:.1f} s; checkpoint {where}")
    return EXIT_INTERRUPTED if result.interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
