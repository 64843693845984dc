"""Every primitive type through the one protocol: implicit vs mesh, closed meshes, gradients,
surface samples, checkpoints. Types: Neural Parts, ellipsoids (0 coupling layers),
superquadrics, cuboids."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import trimesh

from primitive_kit import TYPES, UNUSED, build, toy_batch, type_config
from trainer import checkpoint
from trainer.config import load_config
from trainer.data.inside import crossing_winding_numbers
from trainer.losses import build_loss
from trainer.model import MODEL_TYPES, PrimitiveModel, build_model
from trainer.model.analytic import Placement, to_local, to_world
from trainer.model.superquadrics import radial_extent
from trainer.training.predictions import compute_predictions

ALL = list(TYPES)


def features(model, seed: int = 1) -> torch.Tensor:
    return model(toy_batch(2, 64, seed=seed)["input"])


@pytest.mark.parametrize("name", ALL)
def test_registry_builds_each_type_with_the_protocol(name):
    model = build(name)
    assert isinstance(model, PrimitiveModel)
    assert type(model) is MODEL_TYPES[TYPES[name][0]]
    d = model.describe()
    assert d["type"] == TYPES[name][0] and d["primitives"] == 3 and d["primitive"]


@pytest.mark.parametrize("kind", ["superquadrics", "cuboids"])
def test_shipped_configs_build_their_type_and_flow_settings_are_not_ignored_silently(kind):
    import warnings
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "configs" / f"{kind}_6.yaml"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = build_model(load_config(path))
    assert type(model) is MODEL_TYPES[kind] and model.n_primitives == 6
    with pytest.warns(UserWarning, match="invertible_network settings are not used"):
        build_model(type_config(kind) | {"invertible_network": {"n_blocks": 2}})


def test_unknown_type_names_the_key_and_the_known_types():
    with pytest.raises(ValueError, match=r"network\.type is 'spheres'.*superquadrics.*cuboids"):
        build_model({"network": {"type": "spheres"}})


@pytest.mark.parametrize("name", ALL)
def test_meshes_are_closed_genus_0_and_agree_with_phi(name):
    model = build(name).eval()
    F = features(model)
    rng = np.random.default_rng(0)
    with torch.no_grad():
        meshes = model.primitive_meshes(F, 4)
    assert len(meshes) == 2 and all(len(parts) == 3 for parts in meshes)
    for b, parts in enumerate(meshes):
        for m, (v, f) in enumerate(parts):
            mesh = trimesh.Trimesh(v, f, process=False)
            assert mesh.is_watertight and mesh.is_winding_consistent and mesh.euler_number == 2
            assert mesh.volume > 0  # faces point outward
            centre, half = (v.max(0) + v.min(0)) / 2, (v.max(0) - v.min(0)) / 2 * 1.3
            pts = (centre + rng.uniform(-1, 1, (4000, 3)) * half).astype(np.float32)
            inside_mesh = crossing_winding_numbers(mesh, pts) > 0.5
            with torch.no_grad():
                phi = model.implicit(F[b:b + 1], torch.from_numpy(pts)[None])[0, :, m].numpy()
            assert 0.05 < inside_mesh.mean() < 0.95           # the test sees both sides
            assert ((phi < 0) == inside_mesh).mean() >= 0.99


@pytest.mark.parametrize("name", ALL)
def test_surface_samples_lie_on_the_zero_level_set(name):
    model = build(name).eval()
    F = features(model)
    with torch.no_grad():
        y = model.sample_surface(F, 200)                     # (B, S, M, 3)
        B, S, M, _ = y.shape
        phi = model.implicit(F, y.reshape(B, S * M, 3)).reshape(B, S, M, M)
    own = phi[..., torch.arange(M), torch.arange(M)]
    assert (B, S, M) == (2, 200, 3)
    assert own.abs().max() < 1e-4


@pytest.mark.parametrize("name", ALL)
def test_the_full_objective_reaches_every_parameter(name):
    """All five published losses, through compute_predictions as np-train runs them."""
    model = build(name).train()
    batch = toy_batch()
    targets = {k: v for k, v in batch.items() if k != "input"}
    targets["surface_points"] = targets["surface_points"].requires_grad_(True)
    loss_fn = build_loss(load_config({"loss": {"sharpness": 50}})["loss"])   # the published five
    F = model(batch["input"])
    preds = compute_predictions(model, F, targets, loss_fn.needs, 32)
    loss, terms = loss_fn(preds, targets)
    loss.backward()
    assert torch.isfinite(loss) and len(terms) == 5
    unused = UNUSED.get(name, ())
    for key, p in model.named_parameters():
        if key.startswith(unused):
            assert p.grad is None
            continue
        assert p.grad is not None and torch.isfinite(p.grad).all(), key
        assert p.grad.abs().sum() > 0, key


@pytest.mark.parametrize("name", ALL)
def test_checkpoint_round_trips_strict(tmp_path, name):
    model = build(name).eval()
    path = checkpoint.save(tmp_path / f"{name}.pt", model, model.config)
    loaded, cfg = checkpoint.load(path)
    assert type(loaded) is type(model) and cfg == model.config
    assert loaded.state_dict().keys() == model.state_dict().keys()
    F = features(model)
    x = torch.rand(1, 300, 3) - 0.5
    with torch.no_grad():
        np.testing.assert_array_equal(loaded.implicit(features(loaded), x).numpy(), model.implicit(F, x).numpy())


def test_a_checkpoint_under_another_types_config_is_refused(tmp_path):
    model = build("superquadrics")
    path = checkpoint.save(tmp_path / "sq.pt", model, model.config)
    with pytest.raises(checkpoint.CheckpointError, match="does not match its config"):
        checkpoint.load(path, config=type_config("cuboids"))


def test_frames_round_trip():
    torch.manual_seed(0)
    q = torch.nn.functional.normalize(torch.randn(2, 3, 4), dim=-1)
    from trainer.model.rotations import quaternion_to_matrix
    p = Placement(torch.rand(2, 3, 3), quaternion_to_matrix(q), torch.randn(2, 3, 3), None)
    local = torch.randn(2, 5, 3, 3)
    world = to_world(local, p)
    back = torch.stack([to_local(world[:, :, m], p)[:, :, m] for m in range(3)], 2)
    torch.testing.assert_close(back, local, atol=1e-5, rtol=0)


@pytest.mark.parametrize("exponents", [(0.1, 0.1), (0.1, 1.9), (1.9, 0.1), (1.9, 1.9), (1.0, 1.0)])
def test_superquadric_radial_function(exponents):
    """The axis points lie on the surface for any exponents; (1, 1) is an ellipsoid; the
    normal loss's second derivatives stay finite over the whole exponent range."""
    size = torch.tensor([[[0.1, 0.2, 0.4]]])
    eps = torch.tensor([[exponents]])
    axes = torch.eye(3)[None, :, None]                         # (1, 3, 1, 3): three unit directions
    torch.testing.assert_close(radial_extent(axes, size, eps)[0, :, 0], size[0, 0], atol=1e-6, rtol=0)
    if exponents == (1.0, 1.0):
        u = torch.nn.functional.normalize(torch.randn(1, 50, 1, 3), dim=-1)
        on = u * radial_extent(u, size, eps)[..., None]
        torch.testing.assert_close(((on / size) ** 2).sum(-1), torch.ones(1, 50, 1), atol=1e-5, rtol=0)
    model = build("superquadrics")
    with torch.no_grad():
        model.shapes[2].weight.zero_()
        model.shapes[2].bias.copy_(torch.logit((torch.tensor(exponents) - 0.1) / 1.8, eps=1e-4))
    x = (torch.rand(2, 500, 3) - 0.5).requires_grad_(True)
    F = features(model)
    centres = model.condition(F).translation.detach()          # the singular points, exactly
    pts = torch.cat([x, centres], 1)
    (grad,) = torch.autograd.grad(model.implicit(F, pts).sum(), pts, create_graph=True)
    grad.norm(dim=-1).sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_cuboid_surface_samples_are_area_weighted_and_uniform():
    model = build("cuboids").eval()
    torch.manual_seed(0)
    with torch.no_grad():
        p = model.condition(features(model))
        local = model.local_surface(p, 20000, None)                # (B, S, M, 3)
    a = p.size[:, None]
    on_axis = local.abs() == a                                 # which face pair each sample is on (exactly)
    assert (on_axis.sum(-1) == 1).all()
    share = on_axis.float().mean(1)                            # (B, M, 3)
    s = p.size
    area = torch.stack([s[..., 1] * s[..., 2], s[..., 0] * s[..., 2], s[..., 0] * s[..., 1]], -1)
    torch.testing.assert_close(share, area / area.sum(-1, keepdim=True), atol=0.02, rtol=0)
    # uniform along the face: the mean of |coordinate| / half-size off the face's axis is 1/2
    off = (local.abs() / a)[~on_axis]
    assert abs(float(off.mean()) - 0.5) < 0.01


@pytest.mark.parametrize("exponents", [(0.1, 0.1), (1.0, 1.0), (1.9, 1.9), (0.1, 1.9), (1.9, 0.1)])
def test_elongated_superquadric_meshes_have_no_spikes(exponents):
    """A long thin superquadric's mesh covers its ends with short edges too (unstretched radial
    directions left them to a few long triangles, up to 0.32 of its length)."""
    from trainer.model.analytic import Placement
    from trainer.model.superquadrics import Superquadrics
    p = Placement(torch.tensor([[(0.4, 0.1, 0.03)]]), torch.eye(3)[None, None], torch.zeros(1, 1, 3),
                  torch.tensor([[exponents]]))
    v, f = Superquadrics.local_mesh(Superquadrics.__new__(Superquadrics), p, 3)
    v = v[0, :, 0].numpy()
    edges = np.concatenate([v[f[:, i]] - v[f[:, (i + 1) % 3]] for i in range(3)])
    assert np.linalg.norm(edges, axis=1).max() < 0.18 * 0.8      # 0.8: the primitive's length


def test_cuboid_phi_has_finite_second_derivatives_on_and_inside_the_box():
    """The normal loss differentiates phi's gradient again; |max(q, 0)| at q <= 0 gave 0/0 (NaN
    weights in a cuboid training run after 15 steps)."""
    from trainer.model.analytic import Placement
    from trainer.model.cuboids import Cuboids
    size = torch.tensor([[[0.3, 0.2, 0.1]]], requires_grad=True)
    p = Placement(size, torch.eye(3)[None, None], torch.zeros(1, 1, 3), None)
    x = torch.tensor([[[0.3, 0.0, 0.0], [0.0, 0.0, 0.0], [0.1, -0.2, 0.05], [0.5, 0.3, 0.0]]],
                     requires_grad=True)                 # on a face, centre, on a face, outside
    phi = Cuboids.local_distance(Cuboids.__new__(Cuboids), x[:, :, None], p)
    np.testing.assert_allclose(phi.detach()[0, :, 0], [0.0, -0.1, 0.0, np.hypot(0.2, 0.1)], atol=1e-6)
    (grad,) = torch.autograd.grad(phi.sum(), x, create_graph=True)
    grad.square().sum().backward()
    assert torch.isfinite(grad).all() and torch.isfinite(size.grad).all() and torch.isfinite(x.grad).all()
