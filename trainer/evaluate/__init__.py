"""np-eval [CHECKPOINT] DATASET: the paper's metrics and part consistency on a prepared split.

    np-eval assets/models/humanoid.pt data/humanoids --split test --out eval.json
    np-eval assets/shapes          # no checkpoint: each category under its bundled model

With no checkpoint each category of the split is evaluated with its own bundled model (or, for a
category with none, the bundled model closest to its first shape: ``trainer.inference.bundled``),
one table per category; ``--out`` then holds one report per category under ``categories``
(a single category writes the usual report, with ``model_choice``).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..fsutil import write_text
from .protocol import EvalSettings, ShapeScores, score_shape, union_surface_samples
from .run import EvalReport, evaluate, format_table


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="np-eval",
        description="Evaluate a Neural Parts checkpoint on a prepared dataset (np-prepare output): "
                    "volumetric IoU, Chamfer-L1, F-score@1%% and normal consistency on the union of the "
                    "primitive meshes, plus part purity where the shapes have part labels. "
                    "See README.md ('Evaluate') for exactly how each number is computed.",
    )
    p.add_argument("checkpoint", nargs="?", default=None,
                   help="our checkpoint (.pt), or a published state dict with --config (default: each "
                        "category under its bundled model, see README 'Which bundled model')")
    p.add_argument("dataset", help="prepared dataset directory")
    p.add_argument("--split", default="test", help="split to evaluate (default: test)")
    p.add_argument("--out", default=None, help="write the results as JSON to this file")
    p.add_argument("--config", default=None, help="YAML config (needed for published state dicts)")
    p.add_argument("--device", default="auto", help="auto (CUDA if present), cpu, cuda or cuda:N")
    p.add_argument("--n-points", type=int, default=EvalSettings.n_points,
                   help="surface samples per shape, prediction and ground truth (default %(default)s)")
    p.add_argument("--mesh-resolution", type=int, default=EvalSettings.mesh_resolution,
                   help="icosphere subdivision of primitive meshes (default %(default)s)")
    p.add_argument("--max-shapes", type=int, default=None, help="evaluate only the first N shapes")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (torch.set_num_threads)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _preflight(args: argparse.Namespace) -> str | None:
    """What stops the evaluation before it starts (checked before the work, not after it)."""
    from ..data.manifest import ManifestError, read_manifest
    from ..fsutil import unwritable_reason

    from ..data.prepared import is_prepared_shape_dir
    if is_prepared_shape_dir(Path(args.dataset)):
        entries = None  # one prepared shape: evaluated whatever its split
    else:
        try:
            entries = read_manifest(args.dataset)
        except ManifestError as exc:
            return str(exc)
    if entries is not None and not any(e.split == args.split for e in entries):
        have = ", ".join(sorted({e.split for e in entries})) or "none"
        return f"{args.dataset} has no shapes in split '{args.split}' (its splits: {have}); choose one with --split"
    if args.out:
        out = Path(args.out)
        if out.is_dir():
            return f"--out {out} is a folder; give a file name such as {out / 'eval.json'}"
        reason = unwritable_reason(out.parent)
        if reason is not None:
            return f"cannot write --out {out}: {reason}"
    return None


def _models(args: argparse.Namespace) -> dict:
    """{category: (checkpoint, shape folders to evaluate or None for all, bundled Choice or None)}:
    the given checkpoint for everything, else each category of the split under its bundled model."""
    if args.checkpoint is not None:
        return {"": (args.checkpoint, None, None)}
    from ..data.manifest import read_manifest
    from ..data.prepared import is_prepared_shape_dir
    from ..inference.bundled import choose_model
    from ..inference.shapes import load_shape

    root = Path(args.dataset)
    if is_prepared_shape_dir(root):
        dirs = {"": [root]}
    else:
        dirs = {}
        for e in read_manifest(root):
            if e.split == args.split:
                dirs.setdefault(e.category, []).append(root / e.dir)
    out = {}
    for category, shapes in sorted(dirs.items()):
        choice = choose_model(load_shape(shapes[0], category=category))   # the category's model, or the closest
        out[category or choice.shape_category] = (choice.path, None if len(dirs) == 1 else shapes, choice)
    return out


def _heading(category: str, report: EvalReport) -> str:
    """Which bundled model evaluated ``category`` and why ("" when a checkpoint was given)."""
    choice = report.extra.get("model_choice")
    return f"{category or 'shapes'}: {choice['description']}\n" if choice else ""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    problem = _preflight(args)
    if problem is not None:
        print(f"np-eval: error: {problem}", file=sys.stderr)
        return 2

    import torch

    from ..checkpoint import CheckpointError, load, provenance
    from ..config import ConfigError
    from ..interrupts import EXIT_INTERRUPTED, sigterm_as_interrupt
    from ..training.distributed import pick_device

    if args.threads:
        torch.set_num_threads(args.threads)
    from ..inference.bundled import NoBundledModels
    from ..inference.shapes import ShapeLoadError

    try:
        with sigterm_as_interrupt():
            device = pick_device(args.device)
            settings = EvalSettings(n_points=args.n_points, mesh_resolution=args.mesh_resolution, seed=args.seed)
            reports = {}
            for category, (path, only, choice) in _models(args).items():
                model, cfg = load(path, config=args.config, map_location=device)
                reports[category] = evaluate(model, cfg, args.dataset, args.split, settings, args.max_shapes,
                                             progress=not args.no_progress, checkpoint_name=str(path), only=only)
                if choice is not None:
                    reports[category].extra["model_choice"] = choice.to_json()
                trained = provenance(path)
                if trained is not None:
                    reports[category].extra["training"] = trained
    except (CheckpointError, ConfigError, NoBundledModels, ShapeLoadError, RuntimeError, ValueError,
            OSError) as exc:
        print(f"np-eval: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("np-eval: interrupted; nothing written (an evaluation is short: run it again).", file=sys.stderr)
        return EXIT_INTERRUPTED
    print("\n\n".join(_heading(c, r) + format_table(r) for c, r in reports.items()))
    if len(reports) == 1:
        document = next(iter(reports.values())).to_json()
    else:
        document = {"categories": {c: r.to_json() for c, r in reports.items()}}
    if args.out:
        out = Path(args.out)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            write_text(out, json.dumps(document, indent=2))
        except OSError as exc:
            print(f"np-eval: error: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"wrote {out}")
    return 0


__all__ = ["main", "evaluate", "EvalReport", "EvalSettings", "ShapeScores", "score_shape",
           "union_surface_samples", "format_table"]

if __name__ == "__main__":
    sys.exit(main())
