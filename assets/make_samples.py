"""Regenerate the bundled sample shapes in assets/shapes (a prepared dataset).

    .venv/bin/python assets/make_samples.py [--out assets/shapes]

The samples come from the procedural families with seeds from 10000 upwards; training and
evaluation data for the default model use seeds below 10000, so the samples stay unseen.
Sample counts are modest and arrays compressed to keep the folder small (~2 MB).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trainer.data.prepare import main as np_prepare

SAMPLES = (("humanoid", 6), ("chair", 3), ("airplane", 3))
FIRST_SEED = 10_000
COUNTS = ["--surface", "3000", "--uniform", "3000", "--near", "1500"]


def make_samples(out: Path) -> int:
    worst = 0
    for family, count in SAMPLES:
        code = np_prepare(["--synthetic", family, "--count", str(count), "--seed", str(FIRST_SEED),
                           "--out", str(out), "--split", "test", "--compress", "--overwrite",
                           "--workers", "1", "--quiet", *COUNTS])
        worst = max(worst, code)
    return worst


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "shapes")
    sys.exit(make_samples(parser.parse_args().out))
