"""The published objective (euclidean_phi_volume), the published keys, and the faster
training step computing the same losses and gradients as the frozen reference step."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from trainer.config import ConfigError, load_config
from trainer.losses import build_loss
from trainer.model import NeuralParts
from trainer.published_keys import PUBLISHED_KEYS, check_training_config
from trainer.training.predictions import compute_predictions, euclidean_phi
from trainer.model.sparse_implicit import implicit_sparse_backward

ROOT = Path(__file__).resolve().parents[2]
VOLUME_LOSSES = ["implicit_surface_loss", "min_points_loss", "non_overlapping_regularizer"]


def _config(euclidean: bool, **loss) -> dict:
    return load_config({
        "network": {"n_primitives": 3, "n_points_on_sphere": 24, "euclidean_phi_volume": euclidean},
        "feature_extractor": {"type": "pointcloud", "feature_size": 16},
        "invertible_network": {"n_blocks": 2, "hidden_size": 16},
        "projection_layer": {"proj_dims": 8},
        "loss": {"sharpness": 20, **loss},
    })


def _model(cfg: dict, seed: int = 0) -> NeuralParts:
    torch.manual_seed(seed)
    return NeuralParts(cfg)


def _batch(B: int = 2, V: int = 96, N: int = 48, seed: int = 1) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {
        "input": torch.randn(B, 64, 3, generator=g) * 0.3,
        "surface_points": (torch.randn(B, N, 3, generator=g) * 0.3).requires_grad_(True),
        "surface_normals": torch.nn.functional.normalize(torch.randn(B, N, 3, generator=g), dim=-1),
        "volume_points": torch.rand(B, V, 3, generator=g) - 0.5,
        "occupancy": (torch.rand(B, V, generator=g) > 0.5).float(),
        "volume_weights": torch.rand(B, V, generator=g) + 0.5,
    }


def _step(model, batch, loss_fn, seed=5):
    torch.manual_seed(seed)
    model.zero_grad()
    preds = compute_predictions(model, model(batch["input"]), batch, loss_fn.needs,
                                model.config["network"]["n_points_on_sphere"])
    total, terms = loss_fn(preds, batch)
    total.backward()
    return preds, terms, {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}


def test_euclidean_phi_equals_brute_force_and_differentiates_the_surface_points():
    g = torch.Generator().manual_seed(0)
    points = torch.randn(2, 7, 3, generator=g)
    y_prim = torch.randn(2, 5, 3, 3, generator=g, dtype=torch.float64).float().requires_grad_(True)
    plain = torch.randn(2, 7, 3, generator=g)
    weights = torch.randn(2, 7, 3, generator=g)
    # brute force: every (point, surface sample, primitive) distance, min over samples
    dist = torch.linalg.vector_norm(points[:, :, None, None] - y_prim[:, None], dim=-1)  # (B, V, S, M)
    expected = dist.min(2)[0] * torch.sign(plain)
    (expected_grad,) = torch.autograd.grad((expected * weights).sum(), y_prim)
    got = euclidean_phi(points, y_prim, plain, chunk_elements=8)  # chunks of a few distances
    (grad,) = torch.autograd.grad((got * weights).sum(), y_prim)
    assert torch.allclose(got, expected, atol=1e-6)
    assert torch.allclose(grad, expected_grad, atol=1e-6)
    assert grad.abs().sum() > 0
    assert torch.equal(torch.sign(got), torch.sign(plain))


def test_euclidean_true_and_false_give_different_predictions_and_losses():
    batch = _batch()
    loss_fn = build_loss(_config(True)["loss"])
    results = {}
    for euclidean in (True, False):
        model = _model(_config(euclidean))
        results[euclidean] = _step(model, batch, loss_fn)
    (pe, te, ge), (pp, tp, gp) = results[True], results[False]
    # same model weights and sphere draws; only the volume phi differs
    assert not torch.allclose(pe["phi_volume"], pp["phi_volume"])
    assert torch.equal(torch.sign(pe["phi_volume"]), torch.sign(pp["phi_volume"].detach()))
    for name in VOLUME_LOSSES[:2]:
        assert te[name] != pytest.approx(tp[name], rel=1e-3), name
    # euclidean: the volume losses reach the flow only through the surface samples, but reach it
    assert all(torch.isfinite(g).all() for g in ge.values())
    assert ge["invertible_network.layers.0.map_s.0.weight"].abs().sum() > 0


def test_euclidean_volume_gradient_reaches_the_network_through_surface_points_only():
    cfg = _config(True, type=VOLUME_LOSSES, weights=[1.0, 1.0, 1.0])
    model, batch = _model(cfg), _batch()
    F = model(batch["input"])
    torch.manual_seed(5)
    preds = compute_predictions(model, F, batch, {"phi_volume"}, 24)
    # replay: the same sphere draw pushed to the world by hand gives the same phi
    torch.manual_seed(5)
    y = model.sample_sphere(2, 24)
    surface = model.sphere_to_world(F, y)
    with torch.no_grad():
        plain = model.implicit(F, batch["volume_points"])
    dist = torch.linalg.vector_norm(batch["volume_points"][:, :, None, None] - surface[:, None], dim=-1)
    assert torch.allclose(preds["phi_volume"], dist.min(2)[0] * torch.sign(plain), atol=1e-6)
    loss, _ = build_loss(cfg["loss"])(preds, batch)
    (grad_F,) = torch.autograd.grad(loss, F)
    assert grad_F.abs().sum() > 0


def test_euclidean_memory_stays_bounded_at_published_sizes():
    # ShapeNet sizes (B=3, V=5000, S=500, M=5): a B x V x S x M x 3 difference tensor alone
    # would be 429 MiB; the chunked search must stay far below it (peak RSS growth).
    code = r"""
import json, resource, torch
from trainer.training.predictions import euclidean_phi
torch.set_num_threads(1)
def run(B, V, S, M):
    y = torch.randn(B, S, M, 3, requires_grad=True)
    phi = euclidean_phi(torch.rand(B, V, 3), y, torch.randn(B, V, M))
    phi.sum().backward()
run(1, 50, 10, 2)  # warm-up: allocator, thread pools
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
run(3, 5000, 500, 5)
print(json.dumps({"growth_mib": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024}))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    growth = json.loads(proc.stdout.strip().splitlines()[-1])["growth_mib"]
    assert growth < 100, f"peak RSS grew {growth:.0f} MiB"


@pytest.mark.parametrize("smooth_max", [False, True])
def test_sparse_backward_equals_dense_implicit(smooth_max):
    cfg = _config(False, type=VOLUME_LOSSES, weights=[1.0, 0.5, 2.0], smooth_max=smooth_max,
                  max_shared_points=1.2)
    model, batch = _model(cfg), _batch()
    loss_fn = build_loss(cfg["loss"])
    grads, values = [], []
    for sparse in (True, False):
        model.zero_grad()
        F = model(batch["input"])
        cond = model.condition(F)
        phi = implicit_sparse_backward(model, cond, batch["volume_points"]) if sparse \
            else model.implicit(F, batch["volume_points"], cond=cond)
        loss, _ = loss_fn({"phi_volume": phi}, batch)
        loss.backward()
        values.append(phi.detach())
        grads.append({k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None})
    assert torch.allclose(values[0], values[1], atol=1e-6)
    assert grads[0].keys() == grads[1].keys()
    for k in grads[1]:
        assert torch.allclose(grads[0][k], grads[1][k], atol=1e-6, rtol=1e-5), k


def test_new_step_equals_the_frozen_reference_step():
    sys.path.insert(0, str(ROOT))
    from benchmarks.reference_step import reference_loss

    cfg = _config(False)
    model, batch = _model(cfg), _batch()
    loss_fn = build_loss(cfg["loss"])
    _, terms, grads = _step(model, batch, loss_fn)
    model.zero_grad()
    torch.manual_seed(5)
    total, ref_terms = reference_loss(model, batch, cfg["loss"], 24)
    total.backward()
    for name, value in ref_terms.items():
        assert terms[name] == pytest.approx(value, rel=1e-5, abs=1e-6), name
    for k, p in model.named_parameters():
        if p.grad is not None:
            assert torch.allclose(grads[k], p.grad, atol=1e-5, rtol=1e-4), k


@pytest.mark.parametrize("section,key,value,loss_types", [
    ("network", "euclidean_phi_volume", "yes", None),
    ("network", "phi_surface", False, None),
    ("network", "y_prim", False, None),
    ("network", "union_surface", False, None),
    ("network", "edge_lengths", True, None),
    ("network", "n_points_on_sphere", 0, None),
    (None, "metrics", ["chamfer_l1"], None),
])
def test_unsupported_published_values_are_refused_by_name(section, key, value, loss_types):
    cfg = load_config("configs/shapenet_5.yaml")
    (cfg[section] if section else cfg)[key] = value
    with pytest.raises(ConfigError, match=key):
        check_training_config(cfg, list(cfg["loss"]["type"]))


def test_published_keys_that_are_refused_only_with_their_loss():
    cfg = load_config("configs/shapenet_5.yaml")
    cfg["network"]["phi_surface"] = False
    check_training_config(cfg, ["true_chamfer_loss", "implicit_surface_loss"])  # not read: fine
    check_training_config(load_config("configs/dfaust_6.yaml"), list(cfg["loss"]["type"]))


def test_every_key_of_the_bundled_configs_is_in_the_published_keys_table():
    import yaml

    listed = set()
    for entry in PUBLISHED_KEYS:
        section, _, keys = entry.key.partition(".")
        listed |= {f"{section}.{k.strip()}" for k in keys.split("/")} if keys else {section}
    ours = {"data.n_input_points", "training.grad_clip", "training.seed", "training.keep_checkpoints",
            "training.mixed_precision"}  # extensions, documented in README's training section
    for name in ("shapenet_5", "dfaust_6", "humanoid_default"):
        raw = yaml.safe_load((ROOT / "configs" / f"{name}.yaml").read_text())
        for section, values in raw.items():
            keys = [f"{section}.{k}" for k in values] if isinstance(values, dict) else [section]
            missing = [k for k in keys if k not in listed and k not in ours]
            assert not missing, (name, missing)


def test_np_train_refuses_an_unsupported_published_value(tmp_path, capsys):
    from trainer.train import main as train_main

    cfg = _config(True)
    cfg["network"]["edge_lengths"] = True
    path = tmp_path / "c.yaml"
    path.write_text(__import__("yaml").safe_dump(cfg))
    rc = train_main([str(path), str(tmp_path / "out"), "--dataset-directory", str(tmp_path), "--no-progress"])
    assert rc != 0
    assert "network.edge_lengths" in capsys.readouterr().err


def test_readme_shows_the_published_keys_table():
    from trainer.published_keys import markdown_table

    assert markdown_table() in (ROOT / "README.md").read_text()
