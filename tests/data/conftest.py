"""Fixtures for the data tests."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Make data_helpers importable from the test modules (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def small_options():
    from trainer.data.pipeline import PrepareOptions
    return PrepareOptions(n_surface=1500, n_uniform=1500, n_near=1500)
