"""FitOptions.config: a scratch fit of any registered primitive type (the compare view's Fit all)."""
from __future__ import annotations

import copy

import pytest
import torch

from trainer import checkpoint
from trainer.fitting import FitOptions, fit_shape


@pytest.mark.parametrize("kind", ["superquadrics", "cuboids"])
def test_scratch_fit_of_a_flow_less_type_trains_its_heads(kind, tiny_ckpt, capsule_obj):
    base, _ = checkpoint.load(tiny_ckpt, map_location="cpu")
    cfg = copy.deepcopy(base.config)
    cfg["network"] = {**cfg["network"], "type": kind, "head_hidden_size": 16}
    for section in ("invertible_network", "projection_layer"):
        cfg.pop(section, None)
    torch.manual_seed(0)
    result = fit_shape(capsule_obj, FitOptions(mode="scratch", primitives=3, steps=4, seconds=None, device="cpu",
                                               config=cfg, lr=1e-2), model=base)
    model = result.model
    assert model.describe()["type"] == kind and model.n_primitives == 3 and result.steps == 4
    torch.manual_seed(0)                              # the fit builds its model right after this seed
    fresh_state = type(model).from_config(model.config).state_dict()
    moved = [k for k, v in model.state_dict().items() if k.startswith(("sizes.", "translations."))
             and not torch.allclose(v, fresh_state[k])]
    assert moved, "the size/translation heads did not train"
    assert 0.0 <= result.iou_after <= 1.0


def test_without_config_a_scratch_fit_keeps_the_start_model_type(tiny_ckpt, capsule_obj):
    base, _ = checkpoint.load(tiny_ckpt, map_location="cpu")
    result = fit_shape(capsule_obj, FitOptions(mode="scratch", primitives=2, steps=1, seconds=None, device="cpu"),
                       model=base)
    assert result.model.describe()["type"] == base.describe()["type"]
