"""Invertibility, the implicit function's sign, meshes and gradients."""
import numpy as np
import pytest
import torch
import trimesh

from trainer.model import NeuralParts

from testkit import tiny_config


def _features(model, batch=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    points = torch.rand(batch, 256, 3, generator=g) - 0.5
    return model.primitive_features(model.encode(points))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_inverse_after_forward_is_identity(tiny_model, seed):
    with torch.no_grad():
        F = _features(tiny_model, seed=seed)
        g = torch.Generator().manual_seed(seed + 10)
        y = (torch.rand(2, 100, tiny_model.n_primitives, 3, generator=g) - 0.5) * 0.6
        x = tiny_model.sphere_to_world(F, y)
        back, _ = tiny_model.invertible_network.inverse(F, x)
        torch.testing.assert_close(back, y, atol=1e-5, rtol=0)
        # and the other way round, from random world points
        w = (torch.rand(2, 100, 3, generator=g) - 0.5)
        latent, _ = tiny_model.world_to_sphere(F, w)
        again = tiny_model.sphere_to_world(F, latent)
        torch.testing.assert_close(again, w[:, :, None].expand_as(again), atol=1e-5, rtol=0)


def test_surface_points_have_zero_phi_and_interior_negative(tiny_model):
    with torch.no_grad():
        F = _features(tiny_model)
        M = tiny_model.n_primitives
        y = tiny_model.sample_sphere(2, 64, generator=torch.Generator().manual_seed(3))
        for scale, check in ((1.0, lambda phi: phi.abs().max() < 1e-5), (0.5, lambda phi: (phi < -0.1).all())):
            x = tiny_model.sphere_to_world(F, y * scale)  # (B, S, M, 3)
            for m in range(M):
                phi = tiny_model.implicit(F, x[:, :, m])[..., m]
                assert check(phi), (scale, m, phi.abs().max())


def test_primitive_meshes_are_closed_genus_zero(tiny_model):
    F = _features(tiny_model, batch=1)
    meshes = tiny_model.primitive_meshes(F, resolution=2)
    assert len(meshes) == 1 and len(meshes[0]) == tiny_model.n_primitives
    for vertices, faces in meshes[0]:
        assert vertices.shape == (162, 3) and vertices.dtype == np.float32
        mesh = trimesh.Trimesh(vertices, faces, process=False)
        assert mesh.is_watertight
        assert mesh.euler_number == 2
    # the parts are really deformed: not all the same sphere
    assert not np.allclose(meshes[0][0][0], meshes[0][1][0])


@pytest.mark.parametrize("encoder,shape", [
    ("pointcloud", (2, 128, 3)), ("resnet18", (2, 3, 64, 64)), ("voxel", (2, 1, 32, 32, 32)),
])
def test_gradients_reach_every_parameter(encoder, shape):
    torch.manual_seed(0)
    model = NeuralParts.from_config(tiny_config(encoder)).train()
    x = torch.rand(*shape)
    F = model(x)
    world = model.sphere_to_world(F, model.sample_sphere(2, 16))
    phi = model.implicit(F, torch.rand(2, 32, 3) - 0.5)
    loss = world.square().mean() + phi.mean()
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_activation_checkpointing_gives_same_gradients():
    grads = []
    for flag in (False, True):
        torch.manual_seed(0)
        model = NeuralParts.from_config(tiny_config(checkpoint=flag)).train()
        torch.manual_seed(1)
        F = model(torch.rand(2, 64, 3))
        model.implicit(F, torch.rand(2, 32, 3)).sum().backward()
        grads.append(model.invertible_network.layers[0].map_s[0].weight.grad.clone())
    torch.testing.assert_close(grads[0], grads[1])


def test_ellipsoid_baseline_has_no_coupling_layers():
    model = NeuralParts.from_config(tiny_config(n_blocks=0)).eval()
    with torch.no_grad():
        F = model(torch.rand(1, 64, 3))
        vertices, faces = model.primitive_meshes(F, resolution=1)[0][0]
        # an affine image of a sphere: an ellipsoid, still closed
        assert trimesh.Trimesh(vertices, faces, process=False).is_watertight
    assert not any("layers." in k for k in model.state_dict())


def test_frozen_batch_norm_uses_variance_with_eps_included():
    from trainer.model.encoders import FrozenBatchNorm2d

    bn = FrozenBatchNorm2d(2)
    bn.weight.copy_(torch.tensor([2.0, 0.5]))
    bn.bias.copy_(torch.tensor([1.0, -1.0]))
    bn.running_mean.copy_(torch.tensor([0.5, 2.0]))
    bn.running_var.copy_(torch.tensor([4.0, 0.25]))
    x = torch.ones(1, 2, 1, 1) * 3.0
    expected = torch.tensor([(3 - 0.5) * 2 / 2 + 1, (3 - 2.0) * 0.5 / 0.5 - 1]).view(1, 2, 1, 1)
    torch.testing.assert_close(bn(x), expected)


def test_bad_inputs_raise_clear_errors(tiny_model):
    with pytest.raises(ValueError, match=r"\(B, N, 3\)"):
        tiny_model.encode(torch.rand(2, 3))
    from trainer.config import ConfigError
    with pytest.raises(ConfigError, match="invertible_network.type"):
        NeuralParts.from_config({"invertible_network": {"type": "atlasnet"}})
    with pytest.raises(ValueError, match="resolution"):
        tiny_model.primitive_meshes(torch.zeros(1, 3, 32), resolution=11)


def test_fast_path_gradients_match_plain_formulation():
    from trainer.model.plain import plain_forward, plain_implicit

    grads = {}
    for name in ("fast", "plain"):
        torch.manual_seed(0)
        model = NeuralParts.from_config(tiny_config()).train()
        torch.manual_seed(1)
        F = model(torch.rand(2, 64, 3))
        y, x = model.sample_sphere(2, 20), torch.rand(2, 30, 3) - 0.5
        flow = model.invertible_network
        if name == "fast":
            loss = model.sphere_to_world(F, y).square().sum() + model.implicit(F, x).sum()
        else:
            loss = plain_forward(flow, F, y).square().sum() + plain_implicit(flow, F, x, 0.25).sum()
        loss.backward()
        grads[name] = {k: p.grad.clone() for k, p in model.named_parameters()}
    for key, grad in grads["fast"].items():
        torch.testing.assert_close(grad, grads["plain"][key], atol=1e-5, rtol=1e-4, msg=key)
