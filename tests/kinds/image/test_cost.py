"""The photo editor's cost model: sizes through the pipeline, CPU and memory from them."""

import pytest

from kinds.image.cost import CpuBudget, ImageLimitExceeded, estimate


def test_sizes_follow_resizes_crops_and_rotations():
    steps = [
        {"op": "resize", "width": 4000, "keep_aspect": True},
        {"op": "rotate", "degrees": 90, "expand": True},
        {"op": "crop", "left": 0, "top": 0, "right": 100, "bottom": 50},
    ]
    cost = estimate((2000, 1000), steps, "jpeg", 0)
    assert cost.largest_pixels == 4000 * 2000
    assert cost.memory_bytes == (2 * 4000 * 2000) * 4  # resize/rotate hold input and output


def test_cpu_grows_with_steps_pixels_and_the_output_format():
    blur = [{"op": "blur", "radius": 5}]
    one = estimate((2000, 2000), blur, "jpeg", 0).cpu_seconds
    assert estimate((2000, 2000), blur * 4, "jpeg", 0).cpu_seconds - one == pytest.approx(3 * 0.075 * 4)
    assert estimate((4000, 4000), blur, "jpeg", 0).cpu_seconds == pytest.approx(4 * one)
    assert estimate((2000, 2000), blur, "png", 0).cpu_seconds > 2 * one


def test_the_budget_raises_once_the_thread_used_its_cpu():
    budget = CpuBudget(0.01)
    budget.check("at the start")
    deadline_work = sum(i * i for i in range(2_000_000))
    assert deadline_work
    with pytest.raises(ImageLimitExceeded, match="before step 2"):
        budget.check("before step 2")
