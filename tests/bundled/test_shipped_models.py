"""The models shipped in assets/models: one per bundled family, and each bundled sample mesh,
opened as a user's mesh with no category, is matched to its own family's model by Chamfer-L1."""
from pathlib import Path

import pytest

from trainer.inference import load_shape
from trainer.inference.bundled import bundled_models, choose_model

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def test_every_bundled_family_has_its_model(monkeypatch):
    monkeypatch.delenv("NP_BUNDLED_MODELS", raising=False)
    families = {p.name for p in (ASSETS / "shapes").iterdir() if p.is_dir()}
    assert set(bundled_models()) == families == {"humanoid", "chair", "airplane"}


@pytest.mark.parametrize("family", ["humanoid", "chair", "airplane"])
def test_an_uncategorised_mesh_gets_its_familys_model(monkeypatch, family):
    monkeypatch.delenv("NP_BUNDLED_MODELS", raising=False)
    mesh = ASSETS / "shapes" / family / f"{family}-010000" / "mesh.ply"
    shape = load_shape(mesh, category="")
    choice = choose_model(shape)
    assert choice.path.name == f"{family}.pt", choice.describe()
    assert "closest of 3" in choice.describe()
