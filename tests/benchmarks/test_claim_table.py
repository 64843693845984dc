"""The claim sweep's tables: seed means, paired per-shape differences of the seed means, curves."""
from __future__ import annotations

import json

import pytest

from benchmarks.claim_table import arm_paired, arm_rows, curves, sweep_reports

KEYS = ("iou", "chamfer_l1", "fscore", "normal_consistency")


def _report(path, ious, chamfers, primitives):
    per_shape = [{"name": f"s{i}", "iou": a, "chamfer_l1": c} for i, (a, c) in enumerate(zip(ious, chamfers))]
    mean = {"iou": sum(ious) / len(ious), "chamfer_l1": sum(chamfers) / len(chamfers), "fscore": 0.5,
            "normal_consistency": 0.7}
    report = {**mean, "std": {k: 0.0 for k in KEYS}, "per_shape": per_shape, "checkpoint": str(path / "gone.pt"),
              "per_primitive": [{}] * primitives, "part_purity": None, "training": {"step": 1000, "seconds": 600.0}}
    path.with_suffix(".json").write_text(json.dumps(report))


@pytest.fixture
def sweep(tmp_path):
    for arm, primitives, offset in (("neural_parts_6", 6, 0.1), ("ellipsoids_6", 6, 0.0)):
        for seed, jitter in ((27, 0.0), (28, 0.02)):
            run = tmp_path / arm / f"seed{seed}"
            run.mkdir(parents=True)
            _report(run, [0.5 + offset + jitter, 0.4 + jitter, 0.6 + offset], [0.02, 0.03 - offset / 10, 0.02],
                    primitives)
            (run / "validation.csv").write_text("step,epoch,loss,iou\n"
                                                f"200,2,0.1,{0.3 + offset + jitter}\n1000,10,0.05,{0.5 + offset}\n")
    return tmp_path


def test_rows_give_the_seed_mean_and_spread(sweep):
    arms = sweep_reports(sweep)
    assert list(arms) == ["neural_parts_6", "ellipsoids_6"] and all(len(r) == 2 for r in arms.values())
    row = next(r for r in arm_rows(arms) if r.startswith("| neural_parts_6 "))
    # seeds' IoU means: (0.6+0.4+0.7)/3 = 0.5667 and (0.62+0.42+0.7)/3 = 0.58 -> 0.573 ± 0.009
    assert "| 6 | 2 | 0.573 ± 0.009 |" in row
    assert row.endswith("| 10.0 |")   # train minutes from the reports' training record (checkpoints gone)


def test_paired_differences_are_over_the_per_shape_seed_means(sweep):
    arms = sweep_reports(sweep)
    row = next(r for r in arm_paired("neural_parts_6", arms) if r.startswith("| ellipsoids_6 "))
    # IoU differences per shape: +0.1, 0, +0.1 -> mean +0.067, se 0.033, better on 2 of 3;
    # Chamfer differences: 0, -0.01, 0 -> -0.0033 ± 0.0033, better (lower) on 1 of 3
    # and each seed's mean IoU against each seed's: 0.567, 0.580 against 0.500, 0.513, so 4 of 4
    assert row == "| ellipsoids_6 | +0.067 ± 0.033 | 2/3 | -0.0033 ± 0.0033 | 1/3 | 4/4 |"


def test_curves_average_the_validations_of_the_seeds(sweep):
    curve = curves(sweep_reports(sweep))
    assert curve["neural_parts_6"] == pytest.approx({200: 0.41, 1000: 0.6})
    assert curve["ellipsoids_6"] == pytest.approx({200: 0.31, 1000: 0.5})
