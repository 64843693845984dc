"""trainer.inference.bundled: which bundled model a shape gets, and what it says about why."""
from __future__ import annotations

import pytest

from trainer.inference import load_shape
from trainer.inference.bundled import (DEFAULT_MODEL, MODELS_DIR, BundledModels, NoBundledModels, bundled_models,
                                       choose_model, model_for_category, models_dir)


def test_the_folder_comes_from_the_argument_then_the_environment(bundled, tmp_path, monkeypatch):
    assert models_dir() == bundled
    assert bundled_models() == {"chair": bundled / "chair.pt", "humanoid": bundled / "humanoid.pt"}   # no "default"
    assert model_for_category("chair") == bundled / "chair.pt"
    assert model_for_category("lamp") is None and model_for_category("") is None
    assert bundled_models(tmp_path) == {}
    monkeypatch.delenv("NP_BUNDLED_MODELS")
    assert models_dir() == MODELS_DIR and DEFAULT_MODEL == MODELS_DIR / "humanoid.pt"


def test_the_shipped_default_alias_is_the_humanoid_model():
    assert DEFAULT_MODEL.is_file()
    assert (MODELS_DIR / "default.pt").resolve() == DEFAULT_MODEL.resolve()
    assert "default" not in bundled_models(MODELS_DIR)


def test_a_shape_with_a_bundled_family_gets_that_model(bundled, families):
    for name, category in (("chair/c0", "chair"), ("humanoid/h1", "humanoid")):
        choice = choose_model(load_shape(families / name))
        assert (choice.path.name, choice.reason, choice.distances) == (f"{category}.pt", "category", {})
        assert choice.describe() == f"{category}.pt (category {category})"


@pytest.mark.parametrize("mesh, best, other", [("ball", "humanoid", "chair"), ("stick", "chair", "humanoid")])
def test_a_mesh_with_no_category_gets_the_closest_model(bundled, meshes, mesh, best, other):
    choice = choose_model(load_shape(meshes[mesh]))
    assert choice.reason == "closest" and choice.path == bundled / f"{best}.pt"
    assert set(choice.distances) == {best, other}
    assert choice.distances[best] < 0.7 * choice.distances[other]
    assert choice.describe() == f"{best}.pt (closest of 2: Chamfer-L1 {choice.distances[best]:.3f})"
    assert choice.to_json()["distances"] == choice.distances


def test_a_family_without_a_model_falls_back_to_the_closest_and_says_so(bundled, families):
    choice = choose_model(load_shape(families / "lamp" / "l0"))
    assert choice.reason == "closest" and set(choice.distances) == {"chair", "humanoid"}
    assert choice.category == min(choice.distances, key=choice.distances.get)
    assert choice.describe().endswith("; no bundled model for category lamp)")


def test_no_bundled_models_is_one_clear_error(tmp_path, meshes):
    with pytest.raises(NoBundledModels, match=str(tmp_path)):
        BundledModels(tmp_path)
    with pytest.raises(NoBundledModels, match="give a checkpoint"):
        choose_model(load_shape(meshes["ball"]), {})


def test_bundled_models_load_each_model_once_and_remember_choices(bundled, families, meshes):
    models = BundledModels(device="cpu")
    chair, c_choice = models.for_shape(load_shape(families / "chair" / "c0"))
    again, _ = models.for_shape(load_shape(families / "chair" / "c1"))
    assert again is chair and chair.n_primitives == 5
    ball = load_shape(meshes["ball"])
    first = models.choose(ball)
    assert models.choose(ball) is first            # the Chamfer comparison runs once per shape
