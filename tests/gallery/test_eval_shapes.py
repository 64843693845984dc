"""The one per-shape evaluation loop (trainer.evaluate.shapes): what it visits, and that np-eval's
rows and the gallery's ownership tables are exactly its output."""
from __future__ import annotations

from dataclasses import asdict

import numpy as np

from trainer.checkpoint import load
from trainer.evaluate.protocol import EvalSettings
from trainer.evaluate.run import evaluate
from trainer.evaluate.shapes import ShapeEvaluations
from trainer.inference import Predictor

FAST = EvalSettings(n_points=400, mesh_resolution=1)


def test_the_loop_visits_the_split_the_chosen_shapes_and_skips_scores_on_request(tiny_checkpoint, tiny_dataset):
    model, cfg = load(tiny_checkpoint, map_location="cpu")
    every = ShapeEvaluations(model, cfg, tiny_dataset, "test", FAST, scores=False)
    names = [ev.name for ev in every]
    assert len(every) == len(names) == 6 and {n.split("/")[0] for n in names} == {"humanoid", "toy"}
    assert all(ev.scores is None and ev.owners.shape == (len(ev.shape.surface_points),) for ev in every)
    toys = [ev.path for ev in every if ev.name.startswith("toy/")]
    only = ShapeEvaluations(model, cfg, tiny_dataset, "test", FAST, only=toys, scores=False)
    assert [ev.path for ev in only] == toys
    assert len(ShapeEvaluations(model, cfg, tiny_dataset, "test", FAST, max_shapes=2)) == 2
    both = ShapeEvaluations(model, cfg, tiny_dataset, ["train", "test"], FAST, scores=False)
    assert len(both) == 8


def test_np_eval_rows_and_the_gallery_ownership_are_the_loop_output(tiny_checkpoint, tiny_dataset):
    from np_viewer.gallery.consistency import compute_consistency

    model, cfg = load(tiny_checkpoint, map_location="cpu")
    report = evaluate(model, cfg, tiny_dataset, "test", FAST, max_shapes=3, progress=False)
    direct = list(ShapeEvaluations(model, cfg, tiny_dataset, "test", FAST, max_shapes=3))
    assert [r["name"] for r in report.per_shape] == [ev.name for ev in direct]
    for row, ev in zip(report.per_shape, direct):
        assert {k: row[k] for k in asdict(ev.scores)} == asdict(ev.scores)
    gallery = compute_consistency(Predictor(tiny_checkpoint, device="cpu"), tiny_dataset, "test")
    loop = ShapeEvaluations(model, cfg, tiny_dataset, "test", scores=False)
    for table, ev in zip(gallery.shapes, loop):
        counts = np.zeros_like(table.counts)
        np.add.at(counts, (ev.owners, ev.shape.part_labels), 1)
        assert table.path == ev.path and np.array_equal(table.counts, counts)
