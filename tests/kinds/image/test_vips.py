"""Blur and sharpen in libvips (kinds/image/vips.py): the pixels stay within a level of Pillow's
on average, the work libvips does on its own thread counts against the task's CPU budget, no file
format reaches libvips, and IMAGE_LIBVIPS=false keeps Pillow."""

import io
import time

import pytest
from PIL import Image, ImageChops, ImageFilter

from kinds.image import vips
from kinds.image.cost import CpuBudget, ImageLimitExceeded
from tests.kinds.image.test_shrink_first import mean_difference, photo_like


@pytest.fixture(autouse=True)
def fresh_library():
    vips._library.cache_clear()  # it reads IMAGE_LIBVIPS once
    yield
    vips._library.cache_clear()


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return Image.open(io.BytesIO(photo_like(1280, 720))).convert("RGB")


def test_this_host_runs_the_convolutions_in_libvips():
    """CI installs libvips42 (scripts/prepare-test-machine): without it this must fail, not skip."""
    assert vips.engine().startswith("libvips 8.")


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA"])
@pytest.mark.parametrize("radius", [1, 2, 5])
def test_a_blur_is_within_a_level_of_pillows(photo, mode, radius):
    image = photo.convert(mode)
    assert mean_difference(vips.gaussian_blur(image, radius), image.filter(ImageFilter.GaussianBlur(radius))) < 1.0


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_a_sharpen_is_within_a_level_of_pillows_and_keeps_the_border(photo, mode):
    image = photo.convert(mode)
    ours, pillows = vips.sharpen(image), image.filter(ImageFilter.SHARPEN)
    assert mean_difference(ours, pillows) < 1.0
    extrema = ImageChops.difference(ours, pillows).getextrema()
    assert max(high for _, high in (extrema if mode == "RGB" else [extrema])) <= 2  # rounding, no more
    width, height = image.size
    for box in ((0, 0, width, 1), (0, height - 1, width, height), (0, 0, 1, height), (width - 1, 0, width, height)):
        assert ours.crop(box).tobytes() == image.crop(box).tobytes()  # Pillow leaves the outermost pixels


def test_what_libvips_computes_on_its_thread_counts_against_the_budget(photo):
    big = photo.resize((3000, 2000))
    budget = CpuBudget(0.001)
    own, offloaded = time.thread_time(), vips.offloaded()
    vips.gaussian_blur(big, 8)
    own, offloaded = time.thread_time() - own, vips.offloaded() - offloaded
    assert offloaded > own  # most of the work was not on this thread: thread_time alone would miss it
    with pytest.raises(ImageLimitExceeded):
        budget.check("after the blur")


def test_no_file_format_reaches_libvips(photo):
    pyvips = vips._library()
    jpeg, svg = io.BytesIO(), b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>'
    photo.save(jpeg, "JPEG")
    for data in (jpeg.getvalue(), svg):
        with pytest.raises(pyvips.Error):
            pyvips.Image.new_from_buffer(data, "")
    with pytest.raises(pyvips.Error):
        pyvips.Image.black(8, 8).write_to_buffer(".png")


def test_what_libvips_does_not_take_goes_to_pillow():
    tiny = Image.new("RGB", (2, 2), "red")
    assert vips.sharpen(tiny).tobytes() == tiny.filter(ImageFilter.SHARPEN).tobytes()
    for mode in ("P", "I"):  # refused as Pillow refuses them (the ops convert before they get here)
        with pytest.raises(ValueError):
            vips.gaussian_blur(Image.new(mode, (40, 30)), 2)


def test_turned_off_it_is_pillow_throughout(photo, settings):
    settings.IMAGE_LIBVIPS = False
    assert vips.engine() == "Pillow"
    assert vips.sharpen(photo).tobytes() == photo.filter(ImageFilter.SHARPEN).tobytes()
    assert vips.gaussian_blur(photo, 2).tobytes() == photo.filter(ImageFilter.GaussianBlur(2)).tobytes()
