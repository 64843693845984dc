"""Each loss against a value computed by hand on a tiny input."""
import math

import pytest
import torch

from trainer.losses import (
    LossConfigError, build_loss, chamfer_terms, chamfer_terms_naive, implicit_surface_loss,
    min_points_loss, non_overlapping_regularizer, normal_consistency_loss, true_chamfer_loss,
)


def _chamfer_case():
    y = torch.zeros(1, 2, 2, 3)
    y[0, 0, 0] = torch.tensor([0.0, 0, 0])   # on surface
    y[0, 0, 1] = torch.tensor([0.0, 2, 0])   # on surface
    y[0, 1, 0] = torch.tensor([1.0, 0, 0])   # inside another primitive
    y[0, 1, 1] = torch.tensor([0.0, 0, 3])   # on surface
    on = torch.tensor([[[True, True], [False, True]]])
    t = torch.tensor([[[0.0, 0, 1], [1.0, 0, 0]]])
    return y, on, t


def test_true_chamfer_by_hand():
    y, on, t = _chamfer_case()
    y.requires_grad_(True)
    t2p, p2t = chamfer_terms(y, on, t)
    # prim->target over on-surface points: 1, sqrt(5), 2; mean over all 4 / (3/4)
    assert p2t.item() == pytest.approx((3 + math.sqrt(5)) / 3, rel=1e-6)
    # target->prim over all points (published behaviour): 1 and 0
    assert t2p.item() == pytest.approx(0.5, rel=1e-6)
    (t2p + p2t).backward()
    assert torch.isfinite(y.grad).all()  # a zero distance must not give NaN
    t2p_on, _ = chamfer_terms(y.detach(), on, t, target_to_prim_on_surface=True)
    assert t2p_on.item() == pytest.approx(1.0, rel=1e-6)
    loss = true_chamfer_loss({"y_prim": y, "on_surface": on}, {"surface_points": t},
                             {"prim_to_target_weight": 2.0})
    assert loss.item() == pytest.approx(0.5 + 2 * (3 + math.sqrt(5)) / 3, rel=1e-6)


@pytest.mark.parametrize("on_surface_only", [False, True])
def test_chunked_chamfer_matches_naive_values_and_gradients(on_surface_only):
    g = torch.Generator().manual_seed(0)
    y = torch.randn(2, 7, 3, 3, generator=g, requires_grad=True)
    t = torch.randn(2, 11, 3, generator=g, requires_grad=True)
    on = torch.rand(2, 7, 3, generator=g) > 0.3
    a = chamfer_terms(y, on, t, on_surface_only, chunk_elements=8)  # many chunks
    ga = torch.autograd.grad(a[0] + 2 * a[1], (y, t))
    b = chamfer_terms_naive(y, on, t, on_surface_only)
    gb = torch.autograd.grad(b[0] + 2 * b[1], (y, t))
    for u, v in zip(a, b):
        assert u.item() == pytest.approx(v.item(), rel=1e-6)
    for u, v in zip(ga, gb):
        torch.testing.assert_close(u, v)


def test_implicit_surface_loss_by_hand():
    phi = torch.tensor([[[0.1, -0.2], [0.3, 0.5]]])
    targets = {"occupancy": torch.tensor([[1.0, 0.0]]), "volume_weights": torch.tensor([[1.0, 2.0]])}
    loss = implicit_surface_loss({"phi_volume": phi}, targets, {"sharpness": 10})
    # union logits: max(-1, 2) = 2 (inside), max(-3, -5) = -3 (outside)
    expected = (math.log1p(math.exp(-2)) + 2 * math.log1p(math.exp(-3))) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_min_points_loss_by_hand():
    phi = torch.tensor([[[0.1, -0.3], [-0.2, 0.4], [-5.0, -5.0]]])
    occ = torch.tensor([[1.0, 1.0, 0.0]])
    s = 10.0
    loss = min_points_loss({"phi_volume": phi}, {"occupancy": occ}, {"sharpness": s, "min_n_points": 1})
    sig = lambda z: 1 / (1 + math.exp(-z))
    # the exterior point (-5) is ignored; most-inside interior point: -0.2 and -0.3
    expected = (-math.log(sig(s * 0.2) + 1e-6) - math.log(sig(s * 0.3) + 1e-6)) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_non_overlapping_by_hand():
    phi = torch.tensor([[[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]]])
    loss = non_overlapping_regularizer({"phi_volume": phi}, {}, {"sharpness": 2.0, "max_shared_points": 1.95})
    sig = 1 / (1 + math.exp(-2.0))
    expected = (max(3 * sig - 1.95, 0) + max(3 * (1 - sig) - 1.95, 0)) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_normal_consistency_by_hand():
    # Two spheres phi_m(x) = |x - c_m| - r. Point (1,0,0) lies on sphere 0 (gradient
    # (1,0,0), matches its normal: 0); point (0,.5,0) is owned by sphere 0 too
    # (|phi| smallest), gradient (0,1,0) vs normal (1,0,0): 1 - 0 = 1. Mean 0.5.
    r = torch.tensor(1.0, requires_grad=True)
    centres = torch.tensor([[0.0, 0, 0], [3.0, 0, 0]])
    x = torch.tensor([[[1.0, 0, 0], [0.0, 0.5, 0]]], requires_grad=True)
    phi = torch.linalg.vector_norm(x[:, :, None] - centres, dim=-1) - r
    n = torch.tensor([[[1.0, 0, 0], [1.0, 0, 0]]])
    loss = normal_consistency_loss({"phi_surface": phi}, {"surface_points": x, "surface_normals": n}, {})
    assert loss.item() == pytest.approx(0.5, abs=1e-6)
    loss.backward()  # differentiable (create_graph) even though r gets no gradient here


def test_weighted_loss_and_bad_configs():
    phi = torch.tensor([[[0.1, -0.2], [0.3, 0.5]]])
    targets = {"occupancy": torch.tensor([[1.0, 0.0]]), "volume_weights": torch.ones(1, 2)}
    loss = build_loss({"type": ["implicit_surface_loss", "non_overlapping_regularizer"],
                       "weights": [2.0, 0.5], "sharpness": 10, "max_shared_points": 1.95})
    assert loss.needs == {"phi_volume"}
    total, terms = loss({"phi_volume": phi}, targets)
    assert total.item() == pytest.approx(2 * terms["implicit_surface_loss"]
                                         + 0.5 * terms["non_overlapping_regularizer"], rel=1e-6)
    with pytest.raises(LossConfigError, match="Unknown loss"):
        build_loss({"type": ["chamfer_typo"]})
    with pytest.raises(LossConfigError, match="weights"):
        build_loss({"type": ["implicit_surface_loss"], "weights": [1.0, 2.0]})
