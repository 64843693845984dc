"""TrainRun's parts (set-up, update, save_checkpoint) driven one by one give what train() gives."""
import torch

from trainer import checkpoint
from trainer.config import load_config
from trainer.training import TrainOptions, train
from trainer.training import distributed as D
from trainer.training.loop import TrainRun, _Settings
from trainer.training.objective import Objective


def _run(cfg, options, dataset) -> TrainRun:
    cfg = load_config(cfg)
    return TrainRun(cfg, _Settings.from_config(cfg["training"]), Objective.from_config(cfg),
                    D.setup("cpu"), options, dataset)


def test_updates_and_checkpoints_by_hand_match_train(tmp_path, ellipsoids, tiny_config):
    cfg = tiny_config(aggregate=2, epochs=1, steps_per_epoch=6, checkpoint_every=2, keep_checkpoints=2)
    full = train(cfg, TrainOptions(tmp_path / "full", progress=False, handle_sigint=False), dataset=ellipsoids)

    run = _run(cfg, TrainOptions(tmp_path / "hand", progress=False), ellipsoids)
    run.model.train()
    batches = iter(run.loader)
    assert [run.update(batches) for _ in range(3)] == [2, 2, 2] and run.step == 6
    for h_full, h_hand in zip(full.history, run.history):
        assert h_full["loss"] == h_hand["loss"] and h_full["step"] == h_hand["step"]
    path = run.save_checkpoint(final=True)
    assert path == tmp_path / "hand" / "checkpoints" / "step_00000006.pt"
    assert (tmp_path / "hand" / "last.pt").read_bytes() == path.read_bytes()
    assert (tmp_path / "hand" / "model.pt").read_bytes() == path.read_bytes()
    a, b = checkpoint.read(tmp_path / "full" / "model.pt")["model"], checkpoint.read(path)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    run.tb.close()


def test_save_checkpoint_keeps_only_the_newest(tmp_path, ellipsoids, tiny_config):
    cfg = tiny_config(epochs=1, steps_per_epoch=4, keep_checkpoints=2)
    run = _run(cfg, TrainOptions(tmp_path, progress=False), ellipsoids)
    batches = iter(run.loader)
    for _ in range(4):
        run.update(batches)
        run.save_checkpoint()
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["step_00000003.pt", "step_00000004.pt"]
    assert checkpoint.read(tmp_path / "last.pt")["step"] == 4 and not (tmp_path / "model.pt").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    run.tb.close()


def _poison(run, steps):
    """NaN gradients in the first parameter on the given (1-based) steps."""
    param = next(run.model.parameters())
    param.register_hook(lambda g: torch.full_like(g, float("nan")) if run.step + 1 in steps else g)


def test_a_step_with_nonfinite_gradients_is_skipped_and_training_goes_on(tmp_path, ellipsoids, tiny_config):
    cfg = tiny_config(epochs=1, steps_per_epoch=4)
    run = _run(cfg, TrainOptions(tmp_path, progress=False), ellipsoids)
    _poison(run, {2, 3})
    batches = iter(run.loader)
    run.update(batches)
    before = {k: v.clone() for k, v in run.model.state_dict().items()}
    run.update(batches)
    run.update(batches)
    after = run.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)       # the poisoned steps changed nothing
    run.update(batches)
    assert all(torch.isfinite(v).all() for v in run.model.state_dict().values())
    assert not all(torch.equal(before[k], run.model.state_dict()[k]) for k in before)   # step 4 trained
    assert run.skipped_steps == 2
    assert [h["grad_norm"] != h["grad_norm"] for h in run.history] == [False, True, True, False]
    run.tb.close()


def test_nonfinite_gradients_step_after_step_stop_with_the_last_finite_weights_saved(tmp_path, ellipsoids,
                                                                                     tiny_config):
    import pytest

    from trainer.training.loop import MAX_NONFINITE_STEPS, NonFiniteGradients
    cfg = tiny_config(epochs=1, steps_per_epoch=MAX_NONFINITE_STEPS + 5)
    run = _run(cfg, TrainOptions(tmp_path, progress=False), ellipsoids)
    _poison(run, set(range(2, 100)))
    batches = iter(run.loader)
    run.update(batches)
    good = {k: v.clone() for k, v in run.model.state_dict().items()}
    with pytest.raises(NonFiniteGradients, match=f"not finite for {MAX_NONFINITE_STEPS} steps in a row"):
        for _ in range(MAX_NONFINITE_STEPS):
            run.update(batches)
    saved = checkpoint.read(tmp_path / "last.pt")
    assert saved["step"] == MAX_NONFINITE_STEPS + 1
    assert all(torch.equal(good[k], saved["model"][k]) for k in good)
    run.tb.close()
