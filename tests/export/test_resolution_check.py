"""One resolution check for Predictor, np-infer and np-fit."""
from __future__ import annotations

import pytest

from trainer.inference.resolution import MAX_RESOLUTION, check_resolution, resolution_problem


@pytest.mark.parametrize("value", [-1, MAX_RESOLUTION + 1])
def test_out_of_range_is_refused_by_every_caller(value, tmp_path, capsys):
    from trainer.fitting.cli import main as np_fit
    from trainer.inference.cli import main as np_infer

    assert resolution_problem(value) == f"must be between 0 and {MAX_RESOLUTION}"
    with pytest.raises(ValueError, match=f"resolution must be between 0 and {MAX_RESOLUTION}, got {value}"):
        check_resolution(value)
    expected = f"--resolution must be between 0 and {MAX_RESOLUTION}."
    assert np_infer(["missing.pt", "missing.obj", "--out", str(tmp_path / "i"), "--resolution", str(value)]) == 2
    assert expected in capsys.readouterr().err
    assert np_fit(["missing.obj", "--out", str(tmp_path / "f"), "--resolution", str(value)]) == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "i").exists() and not (tmp_path / "f").exists()


def test_the_whole_range_is_accepted():
    assert [check_resolution(r) for r in range(MAX_RESOLUTION + 1)] == list(range(MAX_RESOLUTION + 1))


def test_the_predictor_uses_it(tmp_path):
    from testkit import write_tiny_checkpoint
    from trainer.inference import Predictor

    predictor = Predictor(write_tiny_checkpoint(tmp_path / "m.pt"), device="cpu")
    with pytest.raises(ValueError, match="resolution must be between"):
        predictor.meshes_from_features(None, MAX_RESOLUTION + 1)
