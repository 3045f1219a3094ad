"""The read-ahead worker builds on gthread's internals: on a gunicorn it was not built for, it
refuses to start and says why, instead of breaking quietly."""

from gunicorn.workers.gthread import ThreadWorker

from taskservice.gunicorn_worker import unfit


def test_the_installed_gunicorn_fits():
    import gunicorn

    assert unfit(gunicorn.__version__) == []


def test_another_release_or_a_missing_method_is_named():
    class Renamed:
        pass

    assert unfit("28.0.0", {ThreadWorker: ("accept",)}) == ["gunicorn 28.0.0 (built for 27.x)"]
    assert unfit("27.0.1", {Renamed: ("enqueue_req",)}) == ["Renamed.enqueue_req is gone"]
