"""The image kind's handler: progress per step, cancel honoured between steps."""

import base64

import pytest

from kinds.image.kind import run
from stores.memory.tasks import InMemoryTaskRepository
from tasks.domain import Task, TaskStatus, utcnow
from tasks.execution import run_task
from tasks.kinds import get_kind
from tasks.kinds.base import TaskCancelled
from tests.images import encoded, photo
from tests.support import FakeContext


def params(steps):
    return get_kind("image").validate({"image": base64.b64encode(encoded(photo())).decode(), "filters": steps})


def test_progress_is_reported_after_each_step():
    context = FakeContext()
    result = run(context, params([{"op": "invert"}, {"op": "grayscale"}, {"op": "flip", "direction": "vertical"}]))
    assert context.progress == pytest.approx([0.25, 0.5, 0.75])
    assert result.content_type == "image/png"


def test_cancel_is_honoured_between_steps():
    context = FakeContext(cancel_after=1)
    with pytest.raises(TaskCancelled):
        run(context, params([{"op": "invert"}, {"op": "grayscale"}, {"op": "sepia"}]))
    assert context.progress == pytest.approx([0.25])  # the first step ran, the second never started


def test_a_pipeline_past_its_cpu_limit_stops_with_a_clear_failure():
    """Issue 12 item 12: the run-time cut-off, checked on the task thread's own CPU time."""
    repo = InMemoryTaskRepository(max_tasks=10, max_bytes=10**9)
    image = base64.b64encode(encoded(photo(40, 40).resize((1000, 1000)))).decode()
    checked = get_kind("image").validate({"image": image, "filters": [{"op": "blur", "radius": 20}] * 3})
    task = Task.new(kind="image", params={**checked, "cpu_limit_s": 0.001}, now=utcnow())
    repo.add(task)
    finished = run_task(task.id, repository=repo)
    assert finished.status is TaskStatus.FAILED
    assert finished.error.startswith("ImageLimitExceeded: CPU time limit exceeded before step 0 (blur)")
    assert "the limit is 0.001 s" in finished.error
