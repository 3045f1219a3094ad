"""The image kind's handler: progress per step, cancel honoured between steps."""

import base64

import pytest

from tasks.kinds import get_kind
from tasks.kinds.base import TaskCancelled
from tasks.kinds.image import run
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
