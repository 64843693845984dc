"""The app opens a checkpoint of every primitive type and draws every part in its colour."""
from __future__ import annotations

import pytest

from np_viewer.render.pixels import colour_counts
from primitive_kit import TYPES, write_checkpoints
from trainer.palette import part_colour

M = 4


@pytest.fixture(scope="module")
def spread_checkpoints(tmp_path_factory):
    return write_checkpoints(tmp_path_factory.mktemp("types"), spread=True, n_primitives=M)


def test_every_type_opens_and_shows_every_part_colour(make_window, qtbot, spread_checkpoints):
    window, doc, session = make_window(open_model=False)
    for name, path in spread_checkpoints.items():
        session.open_checkpoint(path)
        qtbot.waitUntil(lambda: session.predictor is not None and session.predictor.path == path
                        and not session.busy and len(doc.assembly) == M, timeout=30000)
        assert doc.status.model_summary["type"] == TYPES[name][0]
        assert doc.status.model_summary["primitive"] in window.info_panel.label.text()
        r = doc.assembly.info.resolution      # the parts on screen are this type's meshes
        box, sphere = 6 * 4 ** r + 2, 10 * 4 ** r + 2
        assert {len(p.vertices) for p in doc.assembly} == {box if name == "cuboids" else sphere}
        counts = colour_counts(window.viewport.screenshot(), [part_colour(k) for k in range(M)])
        assert all(c > 150 for c in counts), (name, counts)
