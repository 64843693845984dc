"""View > Compare models… with the fitted result on screen: the fit is one pane beside a checkpoint."""
from __future__ import annotations


def test_compare_includes_the_fit_on_screen(editing_window, qtbot, tiny_checkpoint):
    from np_viewer.compare.link import fitted_result, install_compare_action, open_compare_for
    from np_viewer.fitting import install_fitting
    from trainer.fitting import FitOptions
    window, controller, doc, session = editing_window
    install_compare_action(window)
    fit = install_fitting(window)
    assert fitted_result(window) is None                      # nothing fitted yet
    fit.start(FitOptions(mode="refine", steps=3, seconds=None, device="cpu"))
    qtbot.waitUntil(lambda: not fit.running and bool(doc.status.fit), timeout=60000)
    fitted = fitted_result(window)
    assert fitted is not None and fitted.source == "fit" and "IoU" in fitted.metrics
    assert fitted.prediction is session.scene_model[1]        # the parts on screen, not a new prediction
    compare = open_compare_for(window, [str(tiny_checkpoint)], fitted)
    try:
        qtbot.waitUntil(lambda: compare.ready, timeout=60000)
        assert [r.source for r in compare.results] == ["checkpoint", "fit"]
        assert compare.results[1].caption().startswith("fitted (refine)")
        assert compare.part_actor(1, 0) is not None and compare.part_actor(0, 0) is not None
    finally:
        compare.close()
