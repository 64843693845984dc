"""``np-fit``: fit a part decomposition to each input shape and export it as ``np-infer`` does.

Per input it writes OUT/<name>/model.pt (an ordinary checkpoint: ``np-infer``, ``np-eval`` and
``np-viewer --checkpoint`` open it and, for that shape, give the fitted parts), fit.json (scores
before and after, steps, time) and the parts through ``np-infer``'s own export. Exit status as
``np-infer``: 0 every shape done, 1 some failed (listed at the end), 2 nothing could run; 130
when Ctrl-C / SIGTERM stopped the run (the shape being fitted keeps its best state so far).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ..export import FORMATS
from .arms import ARM_KEYS, arm_config
from ..file_types import MESH_EXTENSIONS, listed
from ..fsutil import write_text
from ..inference.cli import (EXIT_FATAL, EXIT_OK, EXIT_SOME_FAILED, _collect_inputs, _message,
                             output_folders, process_shape)
from ..inference.cli import parse_args as infer_args
from ..inference.resolution import MAX_RESOLUTION, resolution_problem

EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="np-fit",
        description="Fit a Neural Parts decomposition to each input shape (the training objective "
                    "optimised on that one shape) and export its parts as np-infer does.",
        epilog="Each shape gets OUT/<name>/ with model.pt, fit.json and the parts (part_<k>.<fmt> "
               "or parts.<fmt>, union.<fmt>). Ctrl-C keeps the best state so far. Exit status: 0 "
               "all shapes done, 1 some failed, 2 nothing could run, 130 interrupted.")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help=f"mesh files ({listed(MESH_EXTENSIONS)}), prepared shape folders, prepared "
                        "datasets or folders of meshes")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder (created if missing)")
    start = p.add_mutually_exclusive_group()
    start.add_argument("--checkpoint", metavar="CK", default=None,
                       help="refine this model's prediction (default: the bundled model of the shape's "
                            "category, or the bundled model whose prediction is closest to the shape)")
    start.add_argument("--primitives", type=int, metavar="M", default=None,
                       help="fit from scratch with M primitives instead of refining a model")
    p.add_argument("--type", choices=tuple(ARM_KEYS), default=None,
                   help="fit from scratch with this primitive type (neural_parts: the bundled model's flow; "
                        "ellipsoids: the same with 0 coupling layers; superquadrics, cuboids: "
                        "configs/<type>_6.yaml's network); the encoder and objective are the default "
                        "model's, --primitives M sets the count (default 6)")
    p.add_argument("--steps", type=int, default=None, metavar="N", help="stop after N steps")
    p.add_argument("--seconds", type=float, default=None, metavar="S",
                   help="stop after S seconds per shape (default 60 when --steps is not given)")
    p.add_argument("--format", choices=FORMATS, default="obj", help="mesh format (default: obj)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default: auto)")
    p.add_argument("--threads", type=int, default=None, metavar="T", help="torch threads (default: torch's)")
    p.add_argument("--resolution", type=int, default=3, metavar="N",
                   help=f"icosphere subdivision level of each exported part, 0..{MAX_RESOLUTION} (default 3)")
    p.add_argument("--seed", type=int, default=0, help="seed of the samples and the fresh model (default 0)")
    p.add_argument("--split", default=None, help="for prepared datasets: only shapes of this split")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _options(args: argparse.Namespace):
    from .fit import FitOptions
    seconds = args.seconds if args.seconds is not None else (None if args.steps is not None else 60.0)
    scratch = args.primitives is not None or args.type is not None
    return FitOptions(mode="scratch" if scratch else "refine", primitives=args.primitives or 6,
                      steps=args.steps, seconds=seconds, device=args.device, threads=args.threads,
                      seed=args.seed, snapshot_every=float("inf"))


def _with_type(options, kind: str, base_config: dict):  # noqa: ANN001, ANN202 - FitOptions
    """``options`` fitting primitive type ``kind`` (``arms.ARM_KEYS``) built on ``base_config``."""
    import dataclasses
    cfg = arm_config(ARM_KEYS[kind], base_config)
    cfg["network"]["n_primitives"] = options.primitives
    return dataclasses.replace(options, config=cfg)


def _check_args(args: argparse.Namespace) -> str | None:
    if args.type is not None and args.checkpoint is not None:
        return "--type fits from scratch on the default model's encoder; it takes no --checkpoint."
    if args.steps is not None and args.steps < 1:
        return "--steps must be at least 1."
    if args.seconds is not None and not args.seconds > 0:
        return "--seconds must be positive."
    if args.primitives is not None and args.primitives < 1:
        return "--primitives must be at least 1."
    problem = resolution_problem(args.resolution)
    return None if problem is None else f"--resolution {problem}."


class _Bar:
    """tqdm bar for one fit: steps when a step count is set, else seconds."""

    def __init__(self, name: str, options, disable: bool):
        from tqdm import tqdm
        self.by_steps = options.steps is not None
        total = options.steps if self.by_steps else options.seconds
        self.bar = tqdm(total=total, desc=name, unit="step" if self.by_steps else "s", disable=disable,
                        file=sys.stderr, dynamic_ncols=True,
                        bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} {unit} {postfix}")

    def __call__(self, p) -> None:
        self.bar.n = p.step if self.by_steps else min(p.elapsed, self.bar.total)
        iou = "?" if p.iou is None else f"{p.iou:.3f}"
        eta = "?" if p.eta is None else f"{p.eta:.0f}s"
        self.bar.set_postfix_str(f"step {p.step} objective {p.objective:.4f} IoU~{iou} ETA {eta}")

    def close(self) -> None:
        self.bar.close()


def _write_json(path: Path, data: dict) -> None:
    write_text(path, json.dumps(data, indent=1))


def fit_one(ref, folder: Path, model, options, args: argparse.Namespace,
            choice=None) -> tuple[object, list[str]]:  # noqa: ANN001
    """Fit one shape and write model.pt, fit.json and the exported parts into ``folder``
    (``choice``: the ``bundled.Choice`` that picked ``model``, recorded in fit.json)."""
    from .. import checkpoint
    from ..export import ExportExistsError
    from ..inference.predictor import Predictor
    from .fit import fit_shape

    target = folder / "model.pt"
    if target.exists() and not args.overwrite:
        raise ExportExistsError([target])
    bar = _Bar(folder.name, options, args.quiet)
    try:
        result = fit_shape(ref.path, options, model=model, on_progress=bar, handle_signals=True)
    finally:
        bar.close()
    folder.mkdir(parents=True, exist_ok=True)
    checkpoint.save(target, result.model, result.config,
                    fit={"shape": str(Path(ref.path).resolve()), "mode": options.mode, "steps": result.steps,
                         "seconds": result.elapsed, "stopped": result.stopped})
    _write_json(folder / "fit.json", {
        "shape": str(ref.path), "mode": options.mode, "steps": result.steps, "seconds": round(result.elapsed, 3),
        "stopped": result.stopped, "network_type": result.config["network"]["type"],
        "coupling_layers": (result.config.get("invertible_network") or {}).get("n_blocks"),
        "n_primitives": result.config["network"]["n_primitives"],
        "objective": result.best_objective, "best_step": result.best_step, "iou_before": result.iou_before,
        "iou_after": result.iou_after, "history": result.history,
        "ranking": [{"step": at, "objective": value} for at, value in result.ranking],
        **({"model_choice": choice.to_json()} if choice is not None else {})})
    export_args = infer_args(
        [str(target), str(ref.path), "--out", str(folder.parent), "--format", args.format,
         "--resolution", str(args.resolution), "--device", args.device] + (["--overwrite"] if args.overwrite else []))
    # model.pt was just written: np-infer's export must be allowed to write next to it
    written = process_shape(Predictor(result.model, device=args.device), ref, folder, export_args)
    return result, written.warnings


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    problem = _check_args(args)
    if problem:
        print(f"np-fit: error: {problem}", file=sys.stderr)
        return EXIT_FATAL
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        if not args.out.is_dir():
            raise NotADirectoryError
    except OSError as exc:
        reason = exc.strerror.lower() if exc.strerror else "it is not a folder"
        print(f"np-fit: error: cannot use {args.out} as the output folder: {reason}.", file=sys.stderr)
        return EXIT_FATAL

    from ..checkpoint import CheckpointError, load
    from ..config import ConfigError
    from ..inference.bundled import DEFAULT_MODEL, BundledModels, NoBundledModels
    from ..inference.predictor import resolve_device
    from ..inference.shapes import load_shape

    failures: list[tuple[str, str]] = []
    refs = _collect_inputs(args.inputs, args.split, failures)
    n_total = len(refs) + len(failures)
    options = _options(args)
    bundled = model = None
    try:
        if args.checkpoint is None and options.mode == "refine":   # each shape refines its own family's model
            bundled = BundledModels(device="cpu")
        else:             # scratch takes only the architecture: the default model's unless one is given
            model, _ = load(Path(args.checkpoint) if args.checkpoint else DEFAULT_MODEL, map_location="cpu")
        if args.type is not None:
            options = _with_type(options, args.type, model.config)
        device, note = resolve_device(args.device)
    except (CheckpointError, ConfigError, NoBundledModels, ValueError, OSError) as exc:
        print(f"np-fit: error: {_message(exc)}", file=sys.stderr)
        return EXIT_FATAL
    if note:
        print(f"np-fit: {note}", file=sys.stderr)

    warnings: list[tuple[str, str]] = []
    done, interrupted = 0, False
    start = time.perf_counter()
    summary = []
    for ref, name in zip(refs, output_folders(refs)):
        choice = None
        try:
            if bundled is not None:
                predictor, choice = bundled.for_shape(load_shape(ref.path, category=ref.category))
                model = predictor.model
            result, shape_warnings = fit_one(ref, args.out / name, model, options, args, choice)
        except KeyboardInterrupt:
            interrupted = True
            break
        except Exception as exc:  # noqa: BLE001 - one bad shape must not stop the batch
            failures.append((ref.path, _message(exc)))
            continue
        done += 1
        warnings += [(ref.path, w) for w in shape_warnings]
        before = "" if result.iou_before is None else f"{result.iou_before:.3f} -> "
        summary.append(f"  {name}: IoU~ {before}{result.iou_after:.3f} in {result.steps} steps, "
                       f"{result.elapsed:.0f} s ({result.stopped})"
                       + (f", from {choice.describe()}" if choice is not None else ""))
        if result.stopped == "interrupted":
            interrupted = True
            break
    elapsed = time.perf_counter() - start
    print(f"np-fit: {done} of {n_total} shape(s) fitted into {args.out} on {device} in {elapsed:.1f} s.")
    for line in summary:
        print(line)
    for path, text in warnings:
        print(f"  warning: {path}: {text}", file=sys.stderr)
    if interrupted:
        print(f"np-fit: interrupted; {done} shape(s) kept with their best state so far.", file=sys.stderr)
        return EXIT_INTERRUPTED
    if failures:
        print(f"np-fit: {len(failures)} input(s) failed:", file=sys.stderr)
        for path, text in failures:
            print(f"  {text}" if str(path) in text else f"  {path}: {text}", file=sys.stderr)
        return EXIT_SOME_FAILED
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
