"""``np-prepare``: mesh files, folders and procedural families -> a prepared dataset."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from trainer.data.manifest import (DEFAULT_FRACTIONS, MANIFEST_FILE, ManifestError, SPLITS, assign_split,
                                   read_splits_file, reindex)
from trainer.data.mesh_io import DEFAULT_MAX_FACES, MESH_EXTENSIONS, MeshLoadError, load_mesh
from trainer.data.pipeline import NoInsideError, PrepareOptions, prepare_mesh
from trainer.data.prepared import INCOMPLETE_DIR, is_prepared_shape_dir, shape_dir_for
from trainer.data.sources import Job, SourceError, discover, in_shard, synthetic_jobs
from trainer.data.synthetic import FAMILIES
from trainer.fsutil import unwritable_reason, write_text
from trainer.interrupts import EXIT_INTERRUPTED, abort_on_repeat, exit_interrupted, sigterm_as_interrupt
from trainer.processes import kill_processes, pid_alive, safe_context, stop_processes

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2
RESUME_HINT = "finished shapes are kept; run the same command again to resume (they are skipped)"
ABORT_NOTE = "manifest not updated: run `np-prepare --reindex --out DIR`, then the same command to resume"


@dataclass(frozen=True)
class Task:
    job: Job
    split: str
    out_dir: Path
    options: PrepareOptions
    max_faces: int
    segments: int


@dataclass(frozen=True)
class Outcome:
    job: Job
    ok: bool
    reason: str = ""
    seconds: float = 0.0


def run_task(task: Task) -> Outcome:
    """Prepare one shape; every error becomes a one-line reason instead of an exception."""
    t0 = time.perf_counter()
    job = task.job
    try:
        if job.family is not None:
            from trainer.data.synthetic import generate
            mesh, labels, names = generate(job.family, int(job.seed), segments=task.segments)
            prepare_mesh(mesh, name=job.name, category=job.category, split=task.split,
                         out_dir=task.out_dir, options=task.options, source=job.source,
                         face_labels=labels, part_names=names,
                         extra_meta={"family": job.family, "family_seed": int(job.seed)})
        else:
            mesh = load_mesh(job.path, max_faces=task.max_faces)
            prepare_mesh(mesh, name=job.name, category=job.category, split=task.split,
                         out_dir=task.out_dir, options=task.options, source=str(job.path))
    except MeshLoadError as exc:
        return Outcome(job, False, str(exc), time.perf_counter() - t0)
    except NoInsideError as exc:
        return Outcome(job, False, f"{job.source}: {exc}.", time.perf_counter() - t0)
    except MemoryError:
        return Outcome(job, False, f"{job.source}: ran out of memory.", time.perf_counter() - t0)
    except OSError as exc:
        return Outcome(job, False, f"{job.source}: could not write the prepared shape ({exc.strerror or exc}).",
                       time.perf_counter() - t0)
    except Exception as exc:  # keep the batch going whatever one shape does
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return Outcome(job, False, f"{job.source}: {type(exc).__name__}{': ' + msg[:200] if msg else ''}.",
                       time.perf_counter() - t0)
    return Outcome(job, True, "", time.perf_counter() - t0)


def _init_worker() -> None:
    # Workers share the machine: one thread each for the numeric libraries.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # A terminal's Ctrl-C reaches the whole process group: the parent alone decides what
    # stops (it terminates the workers), so a worker never dies half-way through a reply.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker_processes(pool: ProcessPoolExecutor) -> list:
    # The executor keeps its workers in ``_processes`` (pid -> Process); there is no public accessor.
    return list((getattr(pool, "_processes", None) or {}).values())


@contextmanager
def _worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool that, when left by an exception (Ctrl-C, SIGTERM, a closed generator),
    terminates its workers instead of waiting for them: a stuck worker must never keep us alive."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=safe_context(), initializer=_init_worker)
    try:
        yield pool
    except BaseException:
        procs = _worker_processes(pool)
        with abort_on_repeat("np-prepare", lambda: kill_processes(procs), ABORT_NOTE):
            pool.shutdown(wait=False, cancel_futures=True)
            stop_processes(procs)
        raise
    pool.shutdown(wait=True)


def run_tasks(tasks: list[Task], workers: int, progress: bool = True) -> Iterator[Outcome]:
    """Yield an ``Outcome`` per task, in completion order, surviving crashed workers."""
    from tqdm import tqdm
    bar = tqdm(total=len(tasks), unit="shape", disable=None if progress else True, file=sys.stderr,
               dynamic_ncols=True)
    try:
        if workers <= 1:
            for t in tasks:
                out = run_task(t)
                bar.update(1)
                yield out
            return
        pending = list(reversed(tasks))
        while pending:
            crashed: list[Task] = []
            with _worker_pool(workers) as pool:
                running: dict = {}
                while (pending or running) and not crashed:
                    while pending and len(running) < 2 * workers:
                        t = pending.pop()
                        try:
                            running[pool.submit(run_task, t)] = t
                        except BrokenProcessPool:
                            pending.append(t)
                            break
                    if not running:
                        break
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for fut in done:
                        t = running.pop(fut)
                        try:
                            out = fut.result()
                        except BrokenProcessPool:
                            crashed.append(t)
                            continue
                        bar.update(1)
                        yield out
                    if crashed:  # the pool is unusable: everything still running is suspect too
                        crashed.extend(running.values())
                        running.clear()
            # A worker died (segfault, OOM kill): retry those tasks one by one in isolation
            # so that only the culprit is reported.
            for t in crashed:
                with _worker_pool(1) as solo:
                    try:
                        out = solo.submit(run_task, t).result()
                    except BrokenProcessPool:
                        out = Outcome(t.job, False, f"{t.job.source}: the worker process crashed "
                                                    "(out of memory or a fault in a geometry library).")
                bar.update(1)
                yield out
    finally:
        bar.close()


def _parse_shard(text: str) -> tuple[int, int]:
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard must look like i/n (e.g. 0/4), not '{text}'") from None
    if n < 1 or not 0 <= i < n:
        raise argparse.ArgumentTypeError(f"--shard {text}: need 0 <= i < n (shards count from 0)")
    return i, n


def _parse_fractions(text: str) -> tuple[float, float, float]:
    try:
        parts = tuple(float(x) for x in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 3 or min(parts) < 0 or sum(parts) <= 0:
        raise argparse.ArgumentTypeError(f"--split-fractions must be three non-negative numbers like 0.8,0.1,0.1, not '{text}'")
    return parts  # type: ignore[return-value]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="np-prepare",
        description="Prepare meshes or procedural shapes for Neural Parts training, evaluation and "
                    "viewing: normalise, sample the surface (points, normals, part labels) and the "
                    "volume (points, inside/outside), and write a manifest with train/val/test splits.",
        epilog="Examples:\n  np-prepare meshes/ --out data/mine\n"
               "  np-prepare ShapeNetCore.v2/03001627 --out data/chairs --shard 0/4\n"
               "  np-prepare --synthetic humanoid --count 500 --seed 0 --out data/humans\n"
               "Exit status: 0 all shapes done, 1 some shapes failed (see failures.txt), 2 bad usage,\n"
               "130 interrupted (Ctrl-C or SIGTERM: finished shapes are kept and listed; run again to resume).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="*", metavar="INPUT",
                   help="mesh files (OBJ, PLY, STL, OFF, GLB, GLTF) or folders (any tree of meshes, "
                        "ShapeNet v1/v2 <synset>/<model>/, D-FAUST <sequence>/mesh_seq/)")
    p.add_argument("--out", required=False, type=Path, metavar="DIR", help="output dataset directory")
    p.add_argument("--synthetic", choices=FAMILIES, metavar="FAMILY",
                   help=f"procedural family with part labels: {', '.join(FAMILIES)}")
    p.add_argument("--count", type=int, default=100, help="number of procedural shapes (default 100)")
    p.add_argument("--seed", type=int, default=0,
                   help="first procedural seed, and the seed of all sampling (default 0)")
    p.add_argument("--segments", type=int, default=24, help="tessellation of round procedural parts (default 24)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="parallel worker processes (default: number of CPUs)")
    p.add_argument("--shard", type=_parse_shard, default=(0, 1), metavar="i/n",
                   help="only prepare shard i of n (counting from 0), for splitting across machines")
    p.add_argument("--category", help="category for meshes given directly (default: their folder name)")
    p.add_argument("--surface", type=int, default=PrepareOptions.n_surface, metavar="N",
                   help=f"surface samples per shape (default {PrepareOptions.n_surface})")
    p.add_argument("--uniform", type=int, default=PrepareOptions.n_uniform, metavar="N",
                   help=f"uniform volume samples per shape (default {PrepareOptions.n_uniform})")
    p.add_argument("--near", type=int, default=PrepareOptions.n_near, metavar="N",
                   help=f"near-surface volume samples per shape (default {PrepareOptions.n_near})")
    p.add_argument("--padding", type=float, default=PrepareOptions.padding,
                   help="padding of the uniform-sampling box around [-0.5,0.5]^3 (default 0.05)")
    p.add_argument("--views", type=int, default=0, metavar="K", help="rendered views per shape for image encoders (default 0)")
    p.add_argument("--view-size", type=int, default=224, help="view size in pixels (default 224)")
    p.add_argument("--no-voxels", action="store_true", help="do not store the 32^3 occupancy grid")
    p.add_argument("--compress", action="store_true", help="compress the sample arrays (smaller, slower)")
    p.add_argument("--split", choices=SPLITS, help="put every shape in this split")
    p.add_argument("--splits-file", type=Path, help="CSV of splits (the authors' ShapeNet / D-FAUST files or category,name,split)")
    p.add_argument("--split-fractions", type=_parse_fractions, default=DEFAULT_FRACTIONS,
                   help="train,val,test fractions for hashed splits (default 0.8,0.1,0.1)")
    p.add_argument("--max-faces", type=int, default=DEFAULT_MAX_FACES, help="refuse meshes with more faces")
    p.add_argument("--overwrite", action="store_true", help="redo shapes that are already prepared")
    p.add_argument("--reindex", action="store_true", help="only rebuild manifest.json from the shapes in --out")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with sigterm_as_interrupt():  # `kill` stops as cleanly as Ctrl-C
            return _main(parser, args)
    except KeyboardInterrupt:
        code = _interrupted(args.out)
        if argv is None:  # the command itself (not a caller in Python): leave at once
            exit_interrupted()
        return code


def _interrupted(out_dir: Path | None) -> int:
    """After Ctrl-C / SIGTERM (workers already stopped): list what is complete, say how to resume."""
    listed = ""
    with abort_on_repeat("np-prepare", note=ABORT_NOTE):
        if out_dir is not None and out_dir.is_dir():
            try:
                _clean_incomplete(out_dir)  # the stopped workers' half-written shapes
                listed = f" {out_dir / MANIFEST_FILE} lists {len(reindex(out_dir))} shapes;"
            except OSError:
                pass
    print(f"np-prepare: interrupted;{listed} {RESUME_HINT}.", file=sys.stderr)
    return EXIT_INTERRUPTED


def _main(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    def usage(msg: str) -> int:
        print(f"np-prepare: error: {msg}", file=sys.stderr)
        return EXIT_USAGE

    if args.out is None:
        return usage("--out DIR is required.")
    out_dir: Path = args.out
    if out_dir.exists() and not out_dir.is_dir():
        return usage(f"{out_dir} exists and is not a directory.")
    if args.reindex:
        entries = reindex(out_dir)
        print(f"np-prepare: manifest of {out_dir} lists {len(entries)} shapes.")
        return EXIT_OK
    if args.synthetic and args.inputs:
        return usage("give either INPUT files/folders or --synthetic FAMILY, not both.")
    if not args.synthetic and not args.inputs:
        return usage("nothing to prepare: give INPUT files/folders or --synthetic FAMILY.")
    for flag in ("count", "surface", "uniform", "near", "views", "workers", "max_faces"):
        if getattr(args, flag) < 0 or (flag in ("count", "workers", "max_faces", "surface") and getattr(args, flag) < 1):
            return usage(f"--{flag.replace('_', '-')} must be positive.")
    if args.uniform + args.near < 1:
        return usage("--uniform and --near cannot both be 0.")

    try:
        jobs = synthetic_jobs(args.synthetic, args.count, args.seed) if args.synthetic \
            else discover(args.inputs, args.category, exclude=out_dir)
    except SourceError as exc:
        return usage(str(exc))
    if not jobs:
        return usage(f"no mesh files ({', '.join(s[1:] for s in MESH_EXTENSIONS)}) found in "
                     f"{' '.join(args.inputs)}.")
    out_resolved = out_dir.resolve()
    # never re-ingest our own output (e.g. `np-prepare . --out prepared`)
    jobs = [j for j in jobs if j.path is None or out_resolved not in j.path.resolve().parents]
    if not jobs:
        return usage(f"no mesh files found outside the output folder {out_dir}.")
    shard_i, shard_n = args.shard
    jobs = [j for j in jobs if in_shard(j, shard_i, shard_n)]

    splits: dict[tuple[str, str], str] = {}
    if args.splits_file is not None:
        try:
            splits = read_splits_file(args.splits_file)
        except (OSError, ManifestError) as exc:
            return usage(str(exc) if isinstance(exc, ManifestError) else f"{args.splits_file}: {exc.strerror}.")

    reason = unwritable_reason(out_dir)
    if reason is not None:
        return usage(f"cannot write to {out_dir}: {reason}.")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return usage(f"cannot write to {out_dir} ({exc.strerror or exc}).")
    _clean_incomplete(out_dir)

    options = PrepareOptions(n_surface=args.surface, n_uniform=args.uniform, n_near=args.near,
                             padding=args.padding, voxels=not args.no_voxels, views=args.views,
                             view_size=args.view_size, compress=args.compress, seed=args.seed)
    tasks, skipped = [], 0
    for j in jobs:
        if not args.overwrite and is_prepared_shape_dir(shape_dir_for(out_dir, j.category, j.name)):
            skipped += 1
            continue
        split = args.split or splits.get((j.category, j.name)) or assign_split(j.category, j.name, args.split_fractions)
        tasks.append(Task(j, split, out_dir, options, args.max_faces, args.segments))

    workers = max(1, min(args.workers, len(tasks)))
    t0 = time.perf_counter()
    failures: list[Outcome] = []
    done = 0
    for outcome in run_tasks(tasks, workers, progress=not args.quiet):
        if outcome.ok:
            done += 1
        else:
            failures.append(outcome)
    elapsed = time.perf_counter() - t0

    entries = reindex(out_dir)
    _clean_incomplete(out_dir)
    suffix = "" if shard_n == 1 else f".shard-{shard_i}-of-{shard_n}"
    report = out_dir / f"failures{suffix}.txt"
    if failures:
        write_text(report, "".join(f"{f.job.source}\t{f.reason}\n" for f in failures))
    elif report.exists():
        report.unlink()

    rate = f" in {elapsed:.1f} s ({done / elapsed:.2f} shapes/s)" if done and elapsed > 0 else ""
    print(f"np-prepare: prepared {done}, skipped {skipped} already done, failed {len(failures)}{rate}; "
          f"{out_dir} now holds {len(entries)} shapes.")
    if failures:
        for f in failures[:10]:
            print(f"  failed: {f.reason}", file=sys.stderr)
        if len(failures) > 10:
            print(f"  ... and {len(failures) - 10} more", file=sys.stderr)
        print(f"np-prepare: the reasons are listed in {report}", file=sys.stderr)
        return EXIT_SOME_FAILED
    return EXIT_OK


def _clean_incomplete(out_dir: Path) -> None:
    """Remove leftovers of interrupted runs whose process is gone (name holds the pid)."""
    import shutil
    tmp_root = out_dir / INCOMPLETE_DIR
    if not tmp_root.is_dir():
        return
    for entry in tmp_root.iterdir():
        parts = entry.name.split(".")
        pid = int(parts[-2]) if len(parts) >= 3 and parts[-2].isdigit() else None
        if pid is None or not pid_alive(pid):
            shutil.rmtree(entry, ignore_errors=True)
    try:
        tmp_root.rmdir()  # only succeeds when nothing is left in it
    except OSError:
        pass


if __name__ == "__main__":
    sys.exit(main())
