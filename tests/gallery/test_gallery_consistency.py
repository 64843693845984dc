"""The consistency panel shows np-eval's numbers, and its stray list is one click from the instance."""
from __future__ import annotations

import json

import numpy as np
import pytest

from trainer.inference import Predictor


@pytest.fixture(scope="module")
def np_eval_report(tiny_checkpoint, tiny_dataset, tmp_path_factory):
    """What ``np-eval CHECKPOINT DATASET --split test`` writes (its own CLI, run in-process)."""
    from trainer.evaluate import main as np_eval
    out = tmp_path_factory.mktemp("eval") / "eval.json"
    rc = np_eval([str(tiny_checkpoint), str(tiny_dataset), "--split", "test", "--out", str(out),
                  "--device", "cpu", "--n-points", "300", "--mesh-resolution", "1", "--no-progress"])
    assert rc == 0
    return json.loads(out.read_text())


@pytest.fixture
def gallery(qtbot, tiny_checkpoint, tiny_dataset):
    from np_viewer.gallery import GalleryWindow
    w = GalleryWindow(1, 2, predictor=Predictor(tiny_checkpoint, device="cpu"), dataset=tiny_dataset,
                      split="test", auto_update=False, show_dialogs=False)
    qtbot.addWidget(w)
    w.resize(900, 560)
    w.show()
    qtbot.waitUntil(lambda: w.consistency is not None and all(c.ready for c in w.model.cells), timeout=60000)
    yield w
    w.shutdown()
    w.close()
    assert w.view.plotter._closed


def test_consistency_table_matches_np_eval(gallery, np_eval_report):
    w, ev = gallery, np_eval_report
    rows = w.consistency_panel.table_rows()
    assert len(ev["per_primitive"]) == len(rows) == w.model.n_primitives
    assert sum(r["points"] for r in ev["per_primitive"]) > 0
    for shown, expected in zip(rows, ev["per_primitive"]):
        assert shown["primitive"] == expected["primitive"]
        assert shown["part"] == (expected["part_name"] if expected["points"] else "-")
        assert shown["points"] == expected["points"]
        if expected["points"]:
            assert shown["purity"] == pytest.approx(expected["purity"], abs=5e-4)   # shown with 3 decimals
    assert w.consistency.purity == pytest.approx(ev["part_purity"], abs=1e-12)
    assert f"{ev['part_purity']:.3f}" in w.consistency_panel.summary.text()
    assert w.consistency.n_shapes == ev["n_shapes"]


def test_stray_list_puts_the_worst_instances_first_and_shows_them(gallery, qtbot):
    w = gallery
    report = w.consistency
    k = int(np.argmax([r["points"] for r in report.per_primitive]))
    w.consistency_panel.select_primitive(k)
    part = report.per_primitive[k]["part"]
    # stray points per shape from the per-shape tables: the list is ordered by them, worst first
    stray = {s.path: int(s.counts[k].sum() - s.counts[k, part]) for s in report.shapes}
    listed = w.consistency_panel.stray_paths()
    assert sorted(listed) == sorted(stray)
    counts = [stray[p] for p in listed]
    assert counts == sorted(counts, reverse=True)
    # the per-shape tables add up to the totals np-eval reports
    total = sum(s.counts for s in report.shapes)
    assert [int(total[m].sum()) for m in range(len(total))] == [r["points"] for r in report.per_primitive]
    # one click: the gallery pages to that instance and highlights it
    assert w.model.page_count == 3 and w.model.page == 0     # 6 test-split shapes, 2 per page
    target = next(p for p in listed if w.model.cell_of(w.model.entries.index(
        next(e for e in w.model.entries if e.path == p))) < 0)         # one on the other page
    index = next(i for i, e in enumerate(w.model.entries) if e.path == target)
    row = listed.index(target)
    w.consistency_panel.strays.cellClicked.emit(row, 0)
    assert w.model.page == index // w.model.per_page
    assert w.model.highlighted is not None and w.model.highlighted.entry.path == target
    with qtbot.waitSignal(w.open_instance, timeout=2000) as sig:
        w.consistency_panel.strays.cellDoubleClicked.emit(row, 0)
    assert sig.args == [target]


def test_one_category_counts_exactly_its_shapes(gallery, qtbot):
    w = gallery
    everything = {s.path: s.counts for s in w.consistency.shapes}
    assert {p.split("/")[-2] for p in everything} == {"humanoid", "toy"}
    assert "categories are mixed" in w.consistency_panel.summary.text()
    with qtbot.waitSignal(w.consistency_ready, timeout=60000):
        w.category_box.setCurrentText("humanoid")
    report = w.consistency
    assert report.shapes and all(s.name.startswith("humanoid/") for s in report.shapes)
    assert {s.path for s in report.shapes} == {e.path for e in w.model.entries}
    # each shape keeps exactly the ownership it has in the whole-split (np-eval) computation
    for s in report.shapes:
        np.testing.assert_array_equal(s.counts, everything[s.path][:, :s.counts.shape[1]])
    total = sum(s.counts for s in report.shapes)
    assert [r["points"] for r in report.per_primitive] == [int(t.sum()) for t in total]
    assert "category humanoid" in w.consistency_panel.summary.text()
    assert "mixed" not in w.consistency_panel.summary.text()


def test_worst_first_orders_the_gallery_by_the_stray_list(gallery, qtbot):
    w = gallery
    dataset_order = [e.path for e in w.model.entries]
    w.consistency_panel.select_primitive(1)
    w.consistency_panel.worst_first.click()
    listed = w.consistency_panel.stray_paths()
    assert [e.path for e in w.model.entries] == listed and w.model.page == 0
    assert [c.entry.path for c in w.model.cells] == listed[:w.model.per_page]
    qtbot.waitUntil(lambda: all(c.ready for c in w.model.cells) and w.loader.pending == 0, timeout=60000)
    w.consistency_panel.select_primitive(2)            # follows the selected primitive
    assert [e.path for e in w.model.entries] == w.consistency_panel.stray_paths()
    w.consistency_panel.worst_first.click()
    assert [e.path for e in w.model.entries] == dataset_order
