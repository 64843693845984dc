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
