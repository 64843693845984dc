"""One spelling for the kind of input an encoder takes; the published encoder names still load."""
from __future__ import annotations

import pytest

from trainer.input_kinds import ENCODER_INPUT, INPUT_KINDS, POINTS, input_kind_of
from trainer.model.encoders import ENCODERS, build_encoder


@pytest.mark.parametrize("encoder", sorted(ENCODERS))
def test_each_published_encoder_type_builds_and_takes_its_mapped_kind(encoder):
    built = build_encoder({"type": encoder, "feature_size": 8})
    assert built.input_kind == ENCODER_INPUT[encoder] == input_kind_of({"feature_extractor": {"type": encoder}})
    assert built.input_kind in INPUT_KINDS


def test_a_config_without_an_encoder_takes_points():
    assert input_kind_of({}) == POINTS
    assert sorted(ENCODER_INPUT) == sorted(ENCODERS)
