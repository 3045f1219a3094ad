"""libvips for the photo editor's convolutions (blur, sharpen), where the host has it.

Measured on a 1280x720 photo (bench/image.py's): Pillow's gaussian blur sigma 2 takes 31-33 ms of
CPU, libvips's 10 ms; Pillow's 3x3 sharpen 16 ms, libvips's 7-8 ms, each with the copy of the
pixels in and out (1.3 ms). The pixels stay within a level of Pillow's on average
(`tests/kinds/image/test_vips.py`); every other op stays Pillow's, where libvips is no faster
or differs more.

Only pixels cross: Pillow decodes and encodes, libvips gets a raw buffer and gives one back, and
every libvips loader and saver is blocked besides, so no file format (PDF, SVG, FITS, Magick...)
can reach it. libvips computes on one thread of its own (concurrency 1) while the task's thread
waits, so the wall time of each call is counted for the calling thread (`offloaded`), and the
task's CPU budget adds it to the thread's own CPU time.
IMAGE_LIBVIPS=false, or a host without Debian's libvips42, keeps Pillow for everything.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from PIL import Image, ImageFilter

_counted = threading.local()
logger = logging.getLogger(__name__)

MODES = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}  # one byte a band: a buffer libvips takes as it is
GAUSSIAN_MIN_AMPLITUDE = 0.2  # libvips's default: Pillow's box-blur approximation within 0.7 level


@cache
def _library() -> Any | None:
    """pyvips, set up (one thread, no cache, no loaders), or None without it or when turned off."""
    if not settings.IMAGE_LIBVIPS:
        return None
    try:
        import pyvips
    except (ImportError, OSError) as exc:  # pyvips not installed, or libvips42 missing on the host
        logger.info("photo editor: convolutions in Pillow (libvips unavailable: %s)", exc)
        return None
    logging.getLogger("pyvips").setLevel(logging.WARNING)  # it logs every convolution's path at INFO
    pyvips.concurrency_set(1)
    pyvips.cache_set_max(0)  # each image is new: a cache would only hold a task's memory longer
    pyvips.block_untrusted_set(True)
    pyvips.operation_block_set("VipsForeignLoad", True)
    pyvips.operation_block_set("VipsForeignSave", True)
    return pyvips


def engine() -> str:
    """What runs the convolutions, for /readyz."""
    pyvips = _library()
    if pyvips is None:
        return "Pillow"
    return f"libvips {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}"


def offloaded() -> float:
    """Seconds libvips has computed for the calling thread so far."""
    return getattr(_counted, "seconds", 0.0)


def _through(image: Image.Image, compute: Callable[[Any, Any], Any]) -> Image.Image | None:
    """`compute(pyvips, pixels)` in libvips, or None when libvips is not used for this image."""
    pyvips = _library()
    bands = MODES.get(image.mode)
    if pyvips is None or bands is None or min(image.size) < 3:
        return None
    started = time.monotonic()
    try:
        pixels = pyvips.Image.new_from_memory(image.tobytes(), image.width, image.height, bands, "uchar")
        data = compute(pyvips, pixels).write_to_memory()
        del pixels  # and with it the copy it was made from, before the result's copy is made
    finally:
        _counted.seconds = offloaded() + time.monotonic() - started
    return Image.frombytes(image.mode, image.size, data)


def gaussian_blur(image: Image.Image, radius: float) -> Image.Image:
    blurred = _through(image, lambda _, pixels: pixels.gaussblur(radius, min_ampl=GAUSSIAN_MIN_AMPLITUDE))
    return blurred if blurred is not None else image.filter(ImageFilter.GaussianBlur(radius))


def sharpen(image: Image.Image) -> Image.Image:
    """Pillow's SHARPEN kernel, and as Pillow does, the outermost pixels left as they were."""
    sharpened = _through(image, _sharpened)
    return sharpened if sharpened is not None else image.filter(ImageFilter.SHARPEN)


def _sharpened(pyvips: Any, pixels: Any) -> Any:
    (size, _), scale, offset, kernel = ImageFilter.SHARPEN.filterargs
    rows = [list(kernel[row * size : (row + 1) * size]) for row in range(size)]
    mask = pyvips.Image.new_from_array(rows, scale=scale, offset=offset)
    inner = pixels.conv(mask, precision="integer").cast("uchar").crop(1, 1, pixels.width - 2, pixels.height - 2)
    return pixels.insert(inner, 1, 1)
