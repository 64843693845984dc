"""The viewer's job service: results on the GUI thread, superseded results dropped, cancel,
intermediate results, GUI-thread step jobs, shared caches."""
from __future__ import annotations

import threading
import time

import pytest

from np_viewer.jobs import JobCancelled, JobService


@pytest.fixture
def jobs(qtbot):
    service = JobService()
    yield service
    service.shutdown()


def test_a_superseded_result_is_dropped(jobs, qtbot):
    release = threading.Event()
    delivered, owner = [], object()

    def slow(ctx):
        release.wait(10)
        return "old"

    first = jobs.submit(slow, delivered.append, owner=owner, group="scene")
    second = jobs.submit(lambda ctx: "new", delivered.append, owner=owner, group="scene")
    other = jobs.submit(lambda ctx: "other group", delivered.append, owner=owner, group="labels")
    assert first.cancel_requested and not second.cancel_requested   # the old one is asked to stop
    release.set()
    qtbot.waitUntil(lambda: not jobs.active(), timeout=10000)
    assert delivered == ["new", "other group"]
    assert first.state == "dropped" and second.state == "done" and other.state == "done"


def test_cancel_stops_a_job_and_delivers_what_it_returns(jobs, qtbot):
    started, results = threading.Event(), []

    def loop(ctx):
        started.set()
        steps = 0
        while not ctx.cancelled and steps < 10_000_000:
            steps += 1
        return ("stopped", ctx.cancelled)

    job = jobs.submit(loop, results.append, cancellable=True)
    assert started.wait(10)
    job.cancel()
    qtbot.waitUntil(lambda: job.finished, timeout=10000)
    assert results == [("stopped", True)] and job.state == "done"

    def refuses(ctx):
        ctx.report("working", 0.5)
        while True:
            ctx.check()        # raises JobCancelled once cancelled

    errors = []
    job = jobs.submit(refuses, results.append, lambda exc, tb: errors.append(exc))
    qtbot.waitUntil(lambda: job.message == "working", timeout=10000)
    assert job.fraction == 0.5
    job.cancel()
    qtbot.waitUntil(lambda: job.finished, timeout=10000)
    assert job.state == "cancelled" and not errors and len(results) == 1


def test_partials_and_progress_arrive_on_the_gui_thread_before_the_result(jobs, qtbot):
    seen = []

    def work(ctx):
        for i in range(3):
            ctx.partial(i)
            ctx.report(f"step {i}", (i + 1) / 3)
        return threading.current_thread() is threading.main_thread()

    jobs.submit(work, lambda r: seen.append(("done", r, threading.current_thread() is threading.main_thread())),
                on_progress=lambda m, f: seen.append(("progress", m)),
                on_partial=lambda v: seen.append(("partial", v, threading.current_thread() is threading.main_thread())))
    qtbot.waitUntil(lambda: bool(seen) and seen[-1][0] == "done", timeout=10000)
    assert [s for s in seen if s[0] == "partial"] == [("partial", i, True) for i in range(3)]
    assert [s[1] for s in seen if s[0] == "progress"] == ["step 0", "step 1", "step 2"]
    assert seen[-1] == ("done", False, True)     # ran off the GUI thread, delivered on it


def test_a_failure_reaches_the_gui_as_an_error(jobs, qtbot):
    errors = []

    def broken(ctx):
        raise OSError("disk full")

    jobs.submit(broken, lambda r: None, lambda exc, tb: errors.append((str(exc), "OSError" in tb)))
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert errors == [("disk full", True)]


def test_step_jobs_run_on_the_gui_thread_and_cancel_between_steps(jobs, qtbot):
    ran, done, closed = [], [], []

    def steps():
        try:
            for i in range(1000):
                ran.append(threading.current_thread() is threading.main_thread())
                time.sleep(0.01)     # a short piece of GUI-thread work (one turntable frame)
                yield f"step {i}", i / 1000
            return "all"
        finally:
            closed.append(True)

    job = jobs.steps(steps(), done.append, title="render")
    qtbot.waitUntil(lambda: len(ran) >= 3, timeout=10000)
    job.cancel()
    qtbot.waitUntil(lambda: job.finished, timeout=10000)
    assert job.state == "cancelled" and not done and closed == [True]
    assert all(ran) and len(ran) < 1000
    job = jobs.steps(iter_return([("a", 0.5)], 42), done.append)
    qtbot.waitUntil(lambda: job.finished, timeout=10000)
    assert done == [42]


def iter_return(items, value):
    yield from items
    return value


def test_closing_an_owner_drops_its_queued_and_running_jobs(jobs, qtbot):
    release = threading.Event()
    delivered, owner, keep = [], object(), object()
    jobs.submit(lambda ctx: release.wait(10) and "running", delivered.append, owner=owner)
    jobs.submit(lambda ctx: "queued", delivered.append, owner=owner)
    jobs.submit(lambda ctx: "kept", delivered.append, owner=keep)
    jobs.cancel(owner=owner)
    release.set()
    qtbot.waitUntil(lambda: not jobs.active(), timeout=10000)
    assert delivered == ["kept"]


def test_the_prediction_cache_is_shared_and_keyed_by_weights_shape_and_level(jobs, tiny_checkpoint, shape_dir):
    from trainer.inference import Predictor
    predictor = Predictor(tiny_checkpoint, device="cpu")
    path = str(shape_dir / "a_box.obj")
    p2, cached = jobs.prediction(predictor, path, 2)
    assert not cached and jobs.shapes.get(path) is not None
    again, cached = jobs.prediction(predictor, path, 2)
    assert cached and again is p2
    p1, cached = jobs.prediction(predictor, path, 1)
    assert not cached and len(p1.meshes[0][0]) < len(p2.meshes[0][0])
    many = jobs.predictions_for(predictor, [(path, jobs.shape(path)), (str(shape_dir / "b_sphere.obj"),
                                 jobs.shape(str(shape_dir / "b_sphere.obj")))], 2)
    assert many[0] is p2 and len(many) == 2


def test_inline_service_runs_jobs_now(qtbot):
    service = JobService(synchronous=True)
    out = []
    service.submit(lambda ctx: 7, out.append)
    assert out == [7]

    def stops(ctx):
        raise JobCancelled()

    job = service.submit(stops, out.append, lambda exc, tb: out.append(exc))
    assert out == [7] and job.state == "cancelled" and not service.active()


def test_stepping_on_before_a_prediction_lands_drops_it(make_window, qtbot):
    """The session's prediction for a shape the user already left never reaches the scene."""
    window, doc, session = make_window()
    original, release = session.predictor.predict, threading.Event()
    started = []

    def slow_predict(shape, *a, **k):
        started.append(shape.name)
        if shape.name == "b_sphere":
            release.wait(10)                     # still running when the user steps on
        return original(shape, *a, **k)

    session.predictor.predict = slow_predict
    scenes = []
    doc.assembly.reset.connect(lambda: scenes.append(doc.assembly.info.shape_name))
    doc.library.step(1)                          # b_sphere: starts predicting
    qtbot.waitUntil(lambda: started == ["b_sphere"], timeout=10000)
    doc.library.step(1)                          # c_cylinder supersedes it
    release.set()
    qtbot.waitUntil(lambda: not session.busy and doc.assembly.info.shape_name == "c_cylinder", timeout=30000)
    qtbot.wait(50)
    assert scenes == ["c_cylinder"] and doc.assembly.info.shape_name == "c_cylinder"
    assert started == ["b_sphere", "c_cylinder"]
