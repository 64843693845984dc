"""Fixtures for the robustness tests: the commands run as a user runs them, in subprocesses."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Make cli_helpers importable from the test modules (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(Path(__file__).parent))

from cli_helpers import prepare_tiny_dataset  # noqa: E402


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    from testkit import write_tiny_checkpoint
    return write_tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.pt")


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    return prepare_tiny_dataset(tmp_path_factory.mktemp("data") / "ds")


@pytest.fixture
def text_file(tmp_path) -> Path:
    path = tmp_path / "notes.pt"
    path.write_text("training:\n  batch_size: 3\n")  # a config saved under the wrong name
    return path
