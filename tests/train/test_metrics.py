"""Evaluation metrics against shapes and values with known answers."""
import math

import numpy as np
import pytest

from trainer.metrics import PartConsistency, chamfer_l1, compare_point_clouds, fscore, iou, part_connectedness


def _sphere(n, seed, radius=1.0):
    p = np.random.default_rng(seed).normal(size=(n, 3))
    p /= np.linalg.norm(p, axis=1, keepdims=True)
    return radius * p


def test_identical_clouds_are_perfect():
    p = _sphere(500, 0)
    s = compare_point_clouds(p, p, tau=0.01, pred_normals=p, gt_normals=-p)
    assert s.chamfer_l1 == 0.0 and s.fscore == 1.0
    assert s.normal_consistency == pytest.approx(1.0)  # orientation ignored


def test_chamfer_and_fscore_by_hand():
    gt = np.array([[0.0, 0, 0], [1.0, 0, 0]])
    pred = np.array([[0.0, 0, 0.1], [0.0, 0, 3.0]])
    s = compare_point_clouds(pred, gt, tau=0.5)
    # pred->gt: 0.1, 3.0 ; gt->pred: 0.1, sqrt(1.01)
    assert s.accuracy == pytest.approx(1.55)
    assert s.completeness == pytest.approx((0.1 + math.sqrt(1.01)) / 2)
    assert s.chamfer_l1 == pytest.approx(0.5 * (1.55 + (0.1 + math.sqrt(1.01)) / 2))
    assert s.precision == 0.5 and s.recall == 0.5 and s.fscore == pytest.approx(0.5)
    assert chamfer_l1(pred, gt) == pytest.approx(s.chamfer_l1)
    assert fscore(pred, gt, 0.05) == 0.0


def test_concentric_spheres_chamfer_is_the_gap():
    # dense samples: nearest-point distance between radius-1 and radius-1.1 spheres ~ 0.1
    assert chamfer_l1(_sphere(20000, 1, 1.1), _sphere(20000, 2, 1.0)) == pytest.approx(0.1, abs=0.01)


def test_normal_consistency_perpendicular():
    p = np.array([[0.0, 0, 0]])
    s = compare_point_clouds(p, p, 0.1, pred_normals=np.array([[1.0, 0, 0]]),
                             gt_normals=np.array([[0.0, 2, 0]]))
    assert s.normal_consistency == pytest.approx(0.0)


def test_iou_by_hand_and_errors():
    assert iou([1, 1, 0, 0], [1, 0, 1, 0]) == pytest.approx(1 / 3)
    assert iou([1, 1, 0], [1, 1, 0]) == 1.0
    assert iou([1, 1, 0, 0], [1, 0, 1, 0], weights=[1, 2, 1, 5]) == pytest.approx(1 / 4)
    with pytest.raises(ValueError, match="points"):
        iou([1, 0], [1, 0, 1])
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        chamfer_l1(np.zeros((0, 3)), np.zeros((2, 3)))


def test_part_purity_by_hand():
    pc = PartConsistency(n_primitives=3)
    pc.add(owner=[0, 0, 1, 1, 2], labels=[0, 0, 1, 0, -1])
    pc.add(owner=[0, 1, 1], labels=[1, 1, 1])
    # primitive 0 owns parts {0:2, 1:1} -> part 0; primitive 1 owns {0:1, 1:3} -> part 1
    # primitive 2 owns only unknown points -> unmapped
    assert list(pc.mapping()) == [0, 1, -1]
    assert pc.purity() == pytest.approx(5 / 7)
    rows = pc.per_primitive()
    assert rows[1] == {"primitive": 1, "part": 1, "points": 4, "purity": 0.75}
    assert math.isnan(rows[2]["purity"])
    assert math.isnan(PartConsistency(2).purity())


def test_connectedness_of_one_region_per_primitive_is_one():
    p = _sphere(4000, 1)
    assert part_connectedness(p, np.zeros(len(p), int)) == 1.0
    halves = (p[:, 2] > 0).astype(int)          # two primitives, a hemisphere each
    assert part_connectedness(p, halves) == 1.0


def test_connectedness_counts_the_points_outside_each_largest_region():
    p = _sphere(4000, 2)
    polar = np.abs(p[:, 2]) > 0.5                # both polar caps to primitive 1, the band to 0
    owner = polar.astype(int)
    north = int((p[:, 2] > 0.5).sum())
    south = int((p[:, 2] < -0.5).sum())
    expected = (len(p) - min(north, south)) / len(p)
    assert part_connectedness(p, owner) == pytest.approx(expected)


def test_connectedness_of_scattered_patches_is_low():
    p = _sphere(6000, 3)
    cell = np.argmin(((p[:, None] - _sphere(32, 4)[None]) ** 2).sum(-1), 1)   # 32 Voronoi patches
    assert part_connectedness(p, cell) > 0.99          # a primitive per patch: one region each
    assert part_connectedness(p, cell % 8) < 0.75      # 8 primitives, 4 scattered patches each (0.68)


def test_connectedness_rejects_mismatched_input_and_is_nan_without_points():
    with pytest.raises(ValueError):
        part_connectedness(np.zeros((3, 3)), np.zeros(2, int))
    assert math.isnan(part_connectedness(np.zeros((0, 3)), np.zeros(0, int)))
