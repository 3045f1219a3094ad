"""A JPEG shrunk by its first step is decoded at a fraction of its size (DCT scaling, `draft`),
and every shrink goes in two passes (reduce, then LANCZOS): the pixels stay within a fraction of
a level of the full decode with one LANCZOS pass, which is what the service did before."""

import io

import pytest
from PIL import Image, ImageChops, ImageFilter, ImageStat

from kinds.image.ops import OPS
from kinds.image.source import open_image
from tests.images import encoded

MAX_PIXELS = 10**9


def photo_like(width: int, height: int) -> bytes:
    """Smooth shapes and grain, as a camera's JPEG: a draft's error shows on such detail."""
    base = Image.effect_mandelbrot((width, height), (-2.2, -1.2, 1.0, 1.2), 60)
    grain = Image.effect_noise((width, height), 24)
    rgb = Image.merge("RGB", (Image.blend(base, grain, 0.3), base.filter(ImageFilter.GaussianBlur(3)), grain))
    return encoded(rgb, "JPEG", quality=90)


def mean_difference(first: Image.Image, second: Image.Image) -> float:
    assert first.size == second.size and first.mode == second.mode
    return sum(ImageStat.Stat(ImageChops.difference(first, second)).mean) / len(first.getbands())


@pytest.mark.parametrize(
    ("size", "step", "decoded"),
    [
        ((1920, 1080), {"op": "resize", "width": 400}, 960),
        ((1920, 1080), {"op": "resize", "width": 1280}, 1920),  # 1/2 scale would be under twice the width
        ((3000, 2000), {"op": "resize", "width": 640, "height": 480, "keep_aspect": True}, 1500),
        ((6000, 4000), {"op": "resize", "width": 400}, 1500),
        ((3000, 2000), {"op": "thumbnail", "max_width": 400, "max_height": 400}, None),  # drafted by Pillow
    ],
)
def test_a_first_shrink_decodes_less_and_looks_the_same(size, step, decoded):
    data = photo_like(*size)
    image, _ = open_image(data)
    shrunk = OPS[step["op"]].apply(image, {"keep_aspect": True, **step}, MAX_PIXELS)
    if decoded is None:  # thumbnail() drafts the undecoded JPEG itself, in place: no whole copy
        assert shrunk is image
    else:  # at 1/2, 1/4 or 1/8 scale where that still leaves twice the output
        assert image.size[0] == decoded
    before = Image.open(io.BytesIO(data))
    before.load()  # what the service did: the whole image, then one LANCZOS pass
    if step["op"] == "thumbnail":
        before.thumbnail((step["max_width"], step["max_height"]), Image.Resampling.LANCZOS)
        reference = before
    else:
        reference = before.resize(shrunk.size, Image.Resampling.LANCZOS)
    assert shrunk.size == reference.size
    assert mean_difference(shrunk, reference) < 1.0  # of 255 levels, averaged over the channels


def test_the_size_comes_from_the_full_image_not_the_draft():
    """1921 x 1081 at 1/4 scale is 481 x 271, whose ratio differs: the output size must not."""
    image, _ = open_image(photo_like(1921, 1081))
    assert OPS["resize"].apply(image, {"width": 300, "keep_aspect": True}, MAX_PIXELS).size == (300, 169)


def test_other_steps_and_formats_decode_the_whole_image():
    png, _ = open_image(encoded(Image.effect_noise((800, 600), 30).convert("RGB")))
    assert OPS["resize"].apply(png, {"width": 100, "keep_aspect": True}, MAX_PIXELS).size == (100, 75)
    assert png.size == (800, 600)
    jpeg, _ = open_image(photo_like(800, 600))
    OPS["grayscale"].apply(jpeg, {}, MAX_PIXELS)  # not a shrink: no draft
    assert jpeg.size == (800, 600)
