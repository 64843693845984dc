"""np-train's loop trains every primitive type with the same objective and saves a loadable model."""
import pytest

from primitive_kit import TYPES, type_config
from trainer import checkpoint
from trainer.training import TrainOptions, train


@pytest.mark.parametrize("name", list(TYPES))
def test_a_few_steps_lower_the_loss_and_save_the_type(tmp_path, ellipsoids, name):
    cfg = type_config(name, n_primitives=2,
                      data={"dataset_type": "prepared", "n_points_on_mesh": 64, "n_points_in_mesh": 64,
                            "n_input_points": 64},
                      network={"n_points_on_sphere": 16},
                      loss={"sharpness": 50},
                      training={"epochs": 1, "steps_per_epoch": 24, "batch_size": 2, "aggregate": 1,
                                "optimizer": "Adam", "lr": 3e-3, "seed": 3, "checkpoint_every": 24},
                      validation={"frequency": 0})
    r = train(cfg, TrainOptions(tmp_path, progress=False), dataset=ellipsoids)
    assert r.step == 24 and not r.interrupted
    first = sum(h["loss"] for h in r.history[:4]) / 4
    last = sum(h["loss"] for h in r.history[-4:]) / 4
    assert last < first, (first, last)
    assert {"true_chamfer_loss", "normal_consistency_loss", "implicit_surface_loss"} <= set(r.history[-1])
    model, saved = checkpoint.load(tmp_path / "model.pt")
    assert type(model) is type(r.model) and saved["network"]["type"] == TYPES[name][0]
