"""What a photo-editor pipeline will cost, worked out at submit from sizes alone, and its cut-off.

A Pillow op is one C call that cannot be interrupted from Python, so the limits are enforced in
two places: at submit, the estimate (decode, every step on the larger of its input and output,
encode) must fit the caller's CPU and memory ceilings; while running, the task's own thread CPU
time is checked before each step and before encoding, and a pipeline past its ceiling stops
there with a `failed` reason. Weights are CPU milliseconds per megapixel measured on this
project's benchmark machine (worst case: RGBA noise), with headroom.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kinds.image import vips
from kinds.image.ops import OPS

MEGA = 1_000_000
BYTES_PER_PIXEL = 4  # RGBA, the widest mode the ops work in
DECODE_MS_PER_MEGAPIXEL = 30.0
ENCODE_MS_PER_MEGAPIXEL = {"png": 450.0, "webp": 300.0, "jpeg": 15.0}


class ImageLimitExceeded(Exception):
    """The running pipeline used more CPU than its ceiling allows; the task fails with this."""


@dataclass(frozen=True, slots=True)
class Estimate:
    cpu_seconds: float
    memory_bytes: int
    largest_pixels: int
    output_pixels: int


def estimate(
    size: tuple[int, int], steps: Sequence[Mapping[str, Any]], output_format: str, input_bytes: int
) -> Estimate:
    """The pipeline's CPU and peak memory from the sizes each step produces (no pixel touched)."""
    pixels = size[0] * size[1]
    cpu_ms = DECODE_MS_PER_MEGAPIXEL * pixels / MEGA
    peak = pixels
    largest = pixels
    for step in steps:
        op = OPS[step["op"]]
        width, height = op.size(size, step)
        out = width * height
        cpu_ms += op.ms_per_megapixel * max(pixels, out) / MEGA
        peak = max(peak, pixels + out)  # an op holds its input and its output
        largest = max(largest, out)
        size, pixels = (max(1, width), max(1, height)), max(1, out)
    cpu_ms += ENCODE_MS_PER_MEGAPIXEL.get(output_format, 450.0) * pixels / MEGA
    return Estimate(cpu_ms / 1000, peak * BYTES_PER_PIXEL + input_bytes, largest, pixels)


class CpuBudget:
    """The running task's CPU time against its ceiling: its thread's own (Pillow runs in the
    calling thread) and what libvips computed for it on a thread of its own (kinds/image/vips.py)."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._started = self._used()

    @staticmethod
    def _used() -> float:
        return time.thread_time() + vips.offloaded()

    def check(self, where: str) -> None:
        used = self._used() - self._started
        if used > self._seconds:
            raise ImageLimitExceeded(
                f"CPU time limit exceeded {where}: {used:.2f} s used, the limit is {self._seconds:g} s"
            )
