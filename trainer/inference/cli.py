"""``np-infer``: the model's forward pass as a batch tool.

With no checkpoint, each shape gets the bundled model of its category, or the bundled model
whose prediction is closest to it (``trainer.inference.bundled``). For every input shape it
writes the primitives' meshes and their watertight union (and,
on request, the input mesh split by owning primitive and a reopenable saved assembly)
with the same export code as the viewer. Bad inputs are listed at the end while the rest
complete; the exit status is 0 when every shape worked, 1 when some failed and 2 when
nothing could start (bad checkpoint, unwritable output folder).
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..data.mesh_io import FLAT_NOTE
from ..export import (
    EXPORT_FORMATS,
    FORMATS,
    ExportError,
    ExportExistsError,
    ExportPart,
    SavedAssembly,
    SavedPart,
    encode_parts,
    save_assembly,
    split_by_labels,
    union_parts,
    write_files,
)
from ..file_types import MESH_EXTENSIONS, POINT_EXTENSIONS, listed
from ..fsutil import unwritable_reason
from ..interrupts import EXIT_INTERRUPTED, abort_on_repeat, exit_interrupted, sigterm_as_interrupt
from ..palette import part_colour
from .outputs import OutputsManifest, output_names, remove_stale_outputs
from .resolution import MAX_RESOLUTION, resolution_problem

EXIT_OK, EXIT_SOME_FAILED, EXIT_FATAL = 0, 1, 2


@dataclass
class ShapeResult:
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="np-infer",
        description="Decompose shapes into parts with a trained Neural Parts model and export "
                    "each shape's part meshes and their watertight union.",
        epilog="Each shape gets a folder OUT/<shape name>/ with part_<k>.<fmt> (or one "
               "parts.<fmt> scene for glb/gltf) and union.<fmt>. Exit status: 0 all shapes "
               "done, 1 some shapes failed (listed at the end), 2 nothing could run, 130 "
               "interrupted (finished shapes kept). OUT/np-infer.json maps each input to its folder.",
    )
    p.add_argument("inputs", nargs="+", metavar="[CHECKPOINT] INPUT",
                   help="a model checkpoint first (ours, or a published state dict with its YAML; when it "
                        "is left out, each shape gets the bundled model of its category, or the bundled "
                        f"model whose prediction is closest to it), then mesh files ({listed(MESH_EXTENSIONS)}), "
                        f"point clouds ({listed(POINT_EXTENSIONS)}), prepared shape folders, prepared "
                        "datasets or folders of such files")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder (created if missing)")
    p.add_argument("--format", choices=FORMATS, default="obj", help="mesh format (default: obj)")
    p.add_argument("--resolution", type=int, default=3, metavar="N",
                   help=f"icosphere subdivision level of each primitive mesh, 0..{MAX_RESOLUTION} "
                        "(default 3: 642 vertices)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default: auto)")
    p.add_argument("--config", default=None, metavar="YAML", help="YAML config, for published checkpoints without one beside them")
    p.add_argument("--layout", choices=("auto", "per-part", "single"), default="auto",
                   help="one file per part, or all parts in one file (auto: single for the scene "
                        "formats glb/gltf, per-part otherwise)")
    p.add_argument("--frame", choices=("original", "normalised"), default="original",
                   help="coordinates of the output: the input's own (default) or the model's "
                        "normalised unit cube")
    p.add_argument("--no-union", action="store_true", help="skip the watertight union")
    p.add_argument("--segment", action="store_true",
                   help="also split each input mesh into parts by owning primitive (segments.*)")
    p.add_argument("--save-assembly", action="store_true",
                   help="also save a reopenable assembly folder (assembly.npasm) per shape")
    p.add_argument("--split", default=None, help="for prepared datasets: only shapes of this split")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument("--skip-done", action="store_true",
                   help="skip inputs whose folder OUT/np-infer.json lists as complete (resume an interrupted run)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def names_checkpoint(path: str) -> bool:
    """Whether a first positional argument is a checkpoint: not a folder nor a mesh / point-cloud
    file, and a file or at least a name with a suffix (a missing folder stays an input, so that
    it is reported as a missing input)."""
    from .shapes import MESH_EXTENSIONS, POINT_EXTENSIONS
    p = Path(path)
    if p.is_dir() or p.suffix.lower() in set(MESH_EXTENSIONS) | set(POINT_EXTENSIONS):
        return False
    return p.is_file() or bool(p.suffix)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """np-infer's arguments; ``checkpoint`` is the first positional when it names one (None: the
    bundled models choose per shape)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.checkpoint = None
    if names_checkpoint(args.inputs[0]):
        args.checkpoint, args.inputs = args.inputs[0], args.inputs[1:]
        if not args.inputs:
            parser.error(f"no INPUT after the checkpoint {args.checkpoint}")
    return args


def _frame_transform(shape, frame: str) -> np.ndarray:
    """4x4 taking the model's normalised frame to the requested output frame."""
    t = np.eye(4)
    if frame == "original":
        norm = shape.normalization
        t[:3, :3] /= norm.scale
        t[:3, 3] = -np.asarray(norm.translation, dtype=np.float64) / norm.scale
    return t


def _encode(parts: list[ExportPart], folder: Path, stem: str, fmt: str, per_part: bool) -> dict[Path, bytes]:
    if not per_part:
        return encode_parts(parts, folder / f"{stem}.{fmt}", bake_transforms=True)
    files: dict[Path, bytes] = {}
    for part in parts:
        files.update(encode_parts([part], folder / f"{part.name}.{fmt}", bake_transforms=True))
    return files


def process_shape(predictor, ref, folder: Path, args: argparse.Namespace, shape=None) -> ShapeResult:
    """Predict one shape (``shape``: ``ref`` already loaded) and write its files into ``folder``
    (all or nothing)."""
    from .shapes import load_shape

    result = ShapeResult()
    fmt = args.format
    per_part = args.layout == "per-part" or (args.layout == "auto" and not EXPORT_FORMATS[fmt].scene)
    shape = shape if shape is not None else load_shape(ref.path, category=ref.category)
    if shape.flat:
        result.warnings.append(f"{FLAT_NOTE}; decomposed from its surface points, volume metrics are unavailable")
    prediction = predictor.predict(shape, args.resolution)
    to_out = _frame_transform(shape, args.frame)
    parts = [ExportPart(f"part_{k}", v, f, part_colour(k), to_out)
             for k, (v, f) in enumerate(prediction.meshes)]
    files = _encode(parts, folder, "parts", fmt, per_part)
    if not args.no_union:
        union = union_parts(parts)
        result.warnings += union.problems
        files.update(encode_parts([union.as_part("union")], folder / f"union.{fmt}"))
    if args.segment:
        if shape.vertices is None or shape.faces is None or len(shape.faces) == 0:
            result.warnings.append("the input has no mesh to segment (a point cloud?)")
        else:
            centres = shape.vertices[shape.faces].mean(axis=1)
            owners = predictor.owners(prediction, centres)
            segments = split_by_labels(shape.vertices, shape.faces, owners, per="face",
                                       names=lambda k: f"segment_{k}")
            for s in segments:
                s.transform = to_out
            files.update(_encode(segments, folder, "segments", fmt, per_part))

    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        result.files = write_files(files, overwrite=args.overwrite)
        if args.save_assembly:
            # Like the viewer, the saved assembly lives in the model's normalised frame
            # (identity transform = as predicted); the way back is kept in the metadata.
            norm = shape.normalization
            saved = SavedAssembly(
                parts=[SavedPart(p.name, p.vertices, p.faces, primitive=k, colour=p.colour)
                       for k, p in enumerate(parts)],
                checkpoint=str((predictor.path or Path(args.checkpoint)).resolve()),
                shape=str(Path(ref.path).resolve()),
                resolution=args.resolution,
                metadata={"frame": "normalised", "normalization": {
                    "scale": float(norm.scale),
                    "translation": [float(x) for x in np.asarray(norm.translation)]}},
            )
            result.files.append(save_assembly(saved, folder / "assembly.npasm", overwrite=args.overwrite))
        if args.overwrite:  # an earlier run with another --layout / --format leaves nothing beside
            remove_stale_outputs(folder, result.files)
    except OSError as exc:
        raise ExportError(f"Cannot create {folder}: {exc.strerror or exc}.") from exc
    finally:
        if created and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()  # leave nothing behind for a shape that failed
    return result


def _message(exc: BaseException) -> str:
    if isinstance(exc, ExportExistsError):
        return f"{exc.paths[0]} already exists (use --overwrite to replace it)."
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    known = ("ShapeLoadError", "ExportError", "AssemblyFileError", "MeshLoadError", "CheckpointError", "ConfigError",
             "NoBundledModels")
    if type(exc).__name__ in known or isinstance(exc, ExportError):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def output_folders(refs) -> list[str]:
    """The folder name under OUT of each shape (np-infer and np-fit name outputs alike)."""
    return output_names(refs)


def _collect_inputs(inputs: list[str], split: str | None, failures: list[tuple[str, str]]):
    from .shapes import ShapeLoadError, list_shapes

    refs = []
    for item in inputs:
        try:
            refs.extend(list_shapes(item, split=split))
        except ShapeLoadError as exc:
            failures.append((item, _message(exc)))
    return refs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with sigterm_as_interrupt():  # `kill` stops as cleanly as Ctrl-C
            code = _main(args)
    except KeyboardInterrupt:  # before any shape started: nothing to keep
        print("np-infer: interrupted; nothing was written.", file=sys.stderr)
        code = EXIT_INTERRUPTED
    if code == EXIT_INTERRUPTED and argv is None:  # the command itself (not a caller in Python): leave at once
        exit_interrupted()
    return code


def _fatal(text: str) -> int:
    print(f"np-infer: error: {text}", file=sys.stderr)
    return EXIT_FATAL


def _main(args: argparse.Namespace) -> int:
    problem = resolution_problem(args.resolution)
    if problem is not None:
        return _fatal(f"--resolution {problem}.")
    # Everything that can stop the run is checked before the model runs and before --out exists.
    reason = unwritable_reason(args.out) if not args.out.exists() or args.out.is_dir() else "it is a file"
    if reason is not None:
        return _fatal(f"cannot use {args.out} as the output folder: {reason}.")

    failures: list[tuple[str, str]] = []
    refs = _collect_inputs(args.inputs, args.split, failures)
    n_total = len(refs) + len(failures)

    from ..checkpoint import CheckpointError
    from ..config import ConfigError
    from .bundled import BundledModels, NoBundledModels
    from .predictor import Predictor, resolve_device

    bundled = None
    try:
        if args.checkpoint is None:
            bundled = BundledModels(device=args.device)
            predictor = None
            device, note = resolve_device(args.device)
        else:
            predictor = Predictor(args.checkpoint, config=args.config, device=args.device)
            device, note = predictor.device, predictor.device_note
    except (CheckpointError, ConfigError, NoBundledModels, ValueError, OSError) as exc:
        return _fatal(_message(exc))
    except Exception as exc:  # noqa: BLE001 - e.g. a CUDA driver error: one line, no traceback
        return _fatal(f"cannot load {args.checkpoint}: {_message(exc)}")
    if note:
        print(f"np-infer: {note}", file=sys.stderr)
    if not refs:  # every input failed: nothing to write, so no output folder either
        print(f"np-infer: 0 of {n_total} shape(s) written.")
        _report_failures(failures)
        return EXIT_SOME_FAILED
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _fatal(f"cannot use {args.out} as the output folder: {(exc.strerror or str(exc)).lower()}.")

    from tqdm import tqdm

    from .shapes import load_shape

    run = OutputsManifest(args.out, str(Path(args.checkpoint).resolve()) if args.checkpoint else "")
    warnings: list[tuple[str, str]] = []
    chosen: list[tuple[str, str]] = []   # (shape, which bundled model and why)
    done = skipped = 0
    interrupted = False
    start = time.perf_counter()
    bar = tqdm(list(zip(refs, output_folders(refs))), desc="np-infer", unit="shape", disable=args.quiet,
               file=sys.stderr, dynamic_ncols=True)
    try:
        for ref, name in bar:
            bar.set_postfix_str(name, refresh=False)
            if args.skip_done and not args.overwrite and run.complete(ref.path, name):
                skipped += 1
                continue
            choice = None
            try:
                if bundled is None:
                    result = process_shape(predictor, ref, args.out / name, args)
                else:
                    shape = load_shape(ref.path, category=ref.category)
                    shape_predictor, choice = bundled.for_shape(shape)
                    result = process_shape(shape_predictor, ref, args.out / name, args, shape)
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # noqa: BLE001 - one bad shape must not stop the batch
                failures.append((ref.path, _message(exc)))
                continue
            done += 1
            if choice is not None:
                chosen.append((name, choice.describe()))
            run.add(ref.path, name, result.files, choice)
            warnings += [(ref.path, w) for w in result.warnings]
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
        with abort_on_repeat("np-infer", note=f"{run.path} may not list the last shapes"):
            run.write()
    elapsed = time.perf_counter() - start

    rate = done / elapsed if elapsed > 0 else 0.0
    already = f", {skipped} skipped (already done)" if skipped else ""
    print(f"np-infer: {done} of {n_total} shape(s) written to {args.out}{already} on {device} in "
          f"{elapsed:.1f} s ({rate:.2f} shapes/s); {run.path.name} maps each input to its folder.")
    if chosen:
        print(f"np-infer: no checkpoint given; bundled models from {bundled.folder}:")
        for name, text in chosen:
            print(f"  {name}: {text}")
    for path, text in warnings:
        print(f"  warning: {path}: {text}", file=sys.stderr)
    if interrupted:
        print(f"np-infer: interrupted; the {done} finished shape(s) are complete and kept, the rest were not "
              "started: run the same command with --skip-done to do only the rest.", file=sys.stderr)
        return EXIT_INTERRUPTED
    if failures:
        _report_failures(failures)
        return EXIT_SOME_FAILED
    return EXIT_OK


def _report_failures(failures: list[tuple[str, str]]) -> None:
    print(f"np-infer: {len(failures)} input(s) failed:", file=sys.stderr)
    for path, text in failures:
        print(f"  {text}" if str(path) in text else f"  {path}: {text}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
