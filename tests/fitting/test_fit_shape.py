"""fit_shape: the objective goes down, IoU goes up, cancelling keeps the best state, refine keeps roles."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from trainer.fitting import FitOptions, fit_shape, prepare_shape
from trainer.inference.bundled import DEFAULT_MODEL
from trainer.inference import Predictor, load_shape
from trainer.metrics.parts import PartConsistency

pytestmark = pytest.mark.timeout(120, method="thread")


def _small(**kw) -> FitOptions:
    base = dict(seconds=None, threads=1, volume_points=400, surface_points=200, log_every=1)
    return FitOptions(**{**base, **kw})


def test_prepare_shape_normalises_and_labels_inside(capsule_obj):
    fs = prepare_shape(capsule_obj)
    pts, occ = fs.uniform
    assert np.abs(fs.record.surface_points).max() <= 0.5 + 1e-5   # normalised frame
    assert 0.05 < occ.mean() < 0.6                                # a capsule fills part of the box
    r = np.linalg.norm(pts[:, :2], axis=1)       # capsule axis z, length 3.2 -> 1, radius 0.6 -> 0.1875
    assert occ[r > 0.2].sum() == 0 and occ[(r < 0.17) & (np.abs(pts[:, 2]) < 0.3)].all()


def test_few_steps_lower_objective_and_raise_iou(capsule_obj, tiny_ckpt):
    r = fit_shape(capsule_obj, _small(steps=40, lr=1e-2), model=tiny_ckpt)
    first = r.history[0]["objective"]
    assert r.steps == 40 and r.stopped == "steps"
    assert r.best_objective < 0.7 * first
    assert r.iou_after > r.iou_before + 0.1


def test_scratch_builds_m_primitives(capsule_obj, tiny_ckpt):
    r = fit_shape(capsule_obj, _small(mode="scratch", primitives=3, steps=5), model=tiny_ckpt)
    assert r.model.n_primitives == 3 and r.config["network"]["n_primitives"] == 3
    assert r.iou_before is None and 0.0 <= r.iou_after <= 1.0


def _assert_best_of_ranking(r) -> None:
    """The result is the best-scored state on the fixed ranking draw, not the last one."""
    assert r.best_objective == min(value for _, value in r.ranking)
    assert (r.best_step, r.best_objective) in r.ranking and r.best_step <= r.steps


def test_ranking_draw_is_fixed_so_a_state_scores_the_same_twice(capsule_obj, tiny_ckpt):
    """With no update between two scorings (lr 0) every state scores alike: the ranking compares
    states, not sample draws, so the start state is returned (best_step 0)."""
    r = fit_shape(capsule_obj, _small(steps=25, lr=0.0, rank_every=5), model=tiny_ckpt)
    values = [value for _, value in r.ranking]
    assert [at for at, _ in r.ranking] == [0, 5, 10, 15, 20, 25]
    assert max(values) - min(values) < 1e-6 * abs(values[0]) and r.best_step == 0
    per_step = [h["objective"] for h in r.history]        # fresh samples each step: these differ
    assert max(per_step) - min(per_step) > 1e-4 * abs(per_step[0])


def test_cancel_returns_best_state(capsule_obj, tiny_ckpt):
    seen = []
    polls = iter(range(1000))
    r = fit_shape(capsule_obj, _small(steps=500, lr=1e-2, snapshot_every=0.0, rank_every=4), model=tiny_ckpt,
                  on_progress=seen.append, should_stop=lambda: next(polls) >= 12)
    assert r.stopped == "cancelled" and r.steps == 12
    _assert_best_of_ranking(r)
    assert [at for at, _ in r.ranking] == [0, 4, 8, 12]   # the start, then every rank_every steps
    last = seen[-1].model   # every snapshot is the best state so far
    for (k, a), b in zip(r.model.state_dict().items(), last.state_dict().values()):
        assert torch.equal(a, b), k


def test_ctrl_c_returns_best_state(capsule_obj, tiny_ckpt):
    """handle_signals: the first Ctrl-C ends the fit with the best state, and the handler is removed."""
    import os
    import signal

    def interrupt(progress):
        if progress.step == 6:
            os.kill(os.getpid(), signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)
    r = fit_shape(capsule_obj, _small(steps=500, lr=1e-2), model=tiny_ckpt, on_progress=interrupt,
                  handle_signals=True)
    assert r.stopped == "interrupted" and 6 <= r.steps <= 8
    _assert_best_of_ranking(r)
    assert [at for at, _ in r.ranking] == [0, r.steps]     # the last state is scored when the fit ends
    assert signal.getsignal(signal.SIGINT) is before


def _ownership(predictor: Predictor, shape, prediction) -> PartConsistency:
    gt = shape.ground_truth
    pc = PartConsistency(predictor.n_primitives)
    pc.add(predictor.owners(prediction, gt.surface_points), gt.part_labels)
    return pc


@pytest.mark.timeout(400, method="thread")
def test_refine_keeps_each_primitive_role(humanoid_dir):
    """100 steps (the default recipe, then features only) from humanoid.pt: IoU rises and each
    primitive keeps its part. Measured 2026-12-03 with the fixed ranking draw: IoU 0.707 -> 0.821
    (default) and 0.707 -> 0.800 (features); after 40 steps both were still at 0.69-0.70, with the
    objective down by 6% and 2%, so a shorter fit would not test the rise."""
    shape = load_shape(humanoid_dir)
    before = Predictor(DEFAULT_MODEL, device="cpu")
    pc0 = _ownership(before, shape, before.predict(shape, 1))
    r = fit_shape(shape, FitOptions(steps=100, seconds=None, threads=1), model=DEFAULT_MODEL)
    after = Predictor(r.model, device="cpu")
    pc1 = _ownership(after, shape, after.predict(shape, 1))
    d0 = pc0.counts / np.maximum(pc0.counts.sum(1, keepdims=True), 1)
    d1 = pc1.counts / np.maximum(pc1.counts.sum(1, keepdims=True), 1)
    owns = pc0.counts.sum(1) > 0.05 * pc0.counts.sum()
    assert owns.sum() >= 4
    # the leg stays the leg: with the flow at a tenth of the rate (the default recipe) most of
    # each primitive's owned-part distribution stays (total-variation distance), and with only
    # the features optimised every primitive keeps the part it owns most
    tv = 0.5 * np.abs(d0 - d1).sum(1)
    assert tv[owns].mean() < 0.35 and (pc0.mapping() == pc1.mapping())[owns].mean() >= 0.5
    assert pc1.purity() >= pc0.purity() - 0.05 and r.iou_after > r.iou_before + 0.05
    r2 = fit_shape(shape, FitOptions(steps=100, seconds=None, threads=1, trainable="features"), model=DEFAULT_MODEL)
    after2 = Predictor(r2.model, device="cpu")
    pc2 = _ownership(after2, shape, after2.predict(shape, 1))
    d2 = pc2.counts / np.maximum(pc2.counts.sum(1, keepdims=True), 1)
    assert (pc0.mapping() == pc2.mapping())[owns].all()
    assert (0.5 * np.abs(d0 - d2).sum(1))[owns].max() < 0.3
    assert r2.iou_after > r2.iou_before + 0.03 and pc2.purity() >= pc0.purity() - 0.02


def test_a_step_with_nonfinite_gradients_is_skipped(capsule_obj, tiny_ckpt, monkeypatch):
    """Three NaN losses mid-fit: those updates are skipped, the weights stay finite and the fit goes on."""
    from trainer.training import objective as objective_module   # fit_shape imports it when it runs
    real, calls = objective_module.batch_loss, []

    def poisoned(*args, **kwargs):
        loss, terms = real(*args, **kwargs)
        calls.append(len(calls))
        return (loss * float("nan"), terms) if 3 <= calls[-1] < 6 else (loss, terms)
    monkeypatch.setattr(objective_module, "batch_loss", poisoned)
    r = fit_shape(capsule_obj, _small(steps=30, lr=1e-2), model=tiny_ckpt)
    objectives = [h["objective"] for h in r.history]
    assert sum(o != o for o in objectives) == 3                          # the three poisoned steps
    assert all(o == o for o in objectives[6:]) and objectives[-1] < objectives[0]
    assert all(torch.isfinite(v).all() for v in r.model.state_dict().values())
