"""The bundled-model fixtures (tests/bundled_fixtures.py)."""
from bundled_fixtures import bundled, families, meshes, models_folder, one_family  # noqa: F401
