"""The published checkpoint layout loads unchanged and reproduces the authors' outputs."""
import torch

from trainer.model import NeuralParts

TOL = 1e-5


def _loaded(reference):
    config, state, _ = reference
    model = NeuralParts.from_config(config).eval()
    result = model.load_state_dict(state, strict=False)
    return model, result


def test_strict_load_misses_exactly_the_encoder(reference):
    model, result = _loaded(reference)
    assert result.unexpected_keys == []
    assert result.missing_keys, "the fixture has no encoder tensors, so some keys must be missing"
    assert all(k.startswith("feature_extractor._feature_extractor.") for k in result.missing_keys)
    encoder_keys = {k for k in model.state_dict() if k.startswith("feature_extractor.")}
    assert set(result.missing_keys) == encoder_keys


def test_reproduces_every_reference_output(reference):
    model, _ = _loaded(reference)
    _, _, out = reference
    with torch.no_grad():
        F = model.primitive_features(out["features"])
        torch.testing.assert_close(F, out["F"], atol=TOL, rtol=0)
        y_prim = model.sphere_to_world(F, out["sphere_points"])
        torch.testing.assert_close(y_prim, out["y_prim"], atol=TOL, rtol=0)
        latent, logdet = model.world_to_sphere(F, out["query_points"])
        torch.testing.assert_close(latent, out["latent_of_query"], atol=TOL, rtol=0)
        torch.testing.assert_close(logdet, out["ldj"], atol=TOL, rtol=0)
        phi = model.implicit(F, out["query_points"])
        torch.testing.assert_close(phi, out["phi"], atol=TOL, rtol=0)
        torch.testing.assert_close(model.implicit(F, out["query_points"], chunk_size=37), out["phi"], atol=TOL, rtol=0)


def test_plain_formulation_matches_fast_path(reference):
    from trainer.model.plain import plain_forward, plain_implicit

    model, _ = _loaded(reference)
    _, _, out = reference
    with torch.no_grad():
        F = model.primitive_features(out["features"])
        torch.testing.assert_close(plain_forward(model.invertible_network, F, out["sphere_points"]),
                                   out["y_prim"], atol=TOL, rtol=0)
        torch.testing.assert_close(plain_implicit(model.invertible_network, F, out["query_points"], 0.25),
                                   out["phi"], atol=TOL, rtol=0)


def test_shapenet_config_has_published_parameter_count():
    cfg = {"feature_extractor": {"type": "resnet18", "feature_size": 256, "freeze_bn": True},
           "network": {"n_primitives": 5}, "invertible_network": {"n_blocks": 4, "hidden_size": 256},
           "projection_layer": {"proj_dims": 128}}
    model = NeuralParts.from_config(cfg)
    trainable = sum(p.numel() for p in model.parameters())
    # Frozen batch norms keep their affine weight/bias as buffers; the published 13.85 M counts them.
    frozen_affine = sum(b.numel() for n, b in model.named_buffers() if n.endswith((".weight", ".bias")))
    assert round((trainable + frozen_affine) / 1e6, 2) == 13.85
    keys = model.state_dict().keys()
    assert "invertible_network.layers.3.map_s.0.weight" in keys
    assert model.state_dict()["invertible_network.layers.0.map_s.0.weight"].shape == (256, 128 + 512)
    assert "feature_extractor._feature_extractor.layer4.1.bn2.running_var" in keys
    assert not any(k.endswith("num_batches_tracked") for k in keys)
    assert "feature_extractor._feature_extractor.fc.2.weight" in keys
