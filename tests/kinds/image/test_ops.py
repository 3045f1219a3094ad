"""Pixel-level checks of every op on small generated images."""

import pytest
from PIL import Image, ImageChops

from kinds.image.kind import STEPS
from kinds.image.ops import OPS
from tests.images import photo

MAX = 40_000_000


def apply(name, image=None, **params):
    image = image if image is not None else photo()
    step = {"op": name, **params}
    validated = STEPS[name]().run_validation(step)
    return OPS[name].apply(image, validated, MAX)


def test_grayscale_makes_r_g_b_equal():
    result = apply("grayscale").convert("RGB")
    assert all(r == g == b for r, g, b in result.get_flattened_data())


def test_grayscale_keeps_alpha():
    assert apply("grayscale", photo(mode="RGBA")).mode == "LA"


def test_invert_twice_gives_the_original():
    original = photo()
    assert ImageChops.difference(apply("invert", apply("invert", original)), original).getbbox() is None


def test_invert_keeps_alpha_untouched():
    image = photo(mode="RGBA")
    image.putalpha(77)
    result = apply("invert", image)
    assert result.getchannel("A").getextrema() == (77, 77)
    assert result.getpixel((0, 0))[:3] == tuple(255 - c for c in image.getpixel((0, 0))[:3])


def test_sepia_is_warm():
    r, g, b = apply("sepia").resize((1, 1)).getpixel((0, 0))
    assert r > g > b


@pytest.mark.parametrize("name", ["sharpen", "edges", "emboss", "contour", "equalize"])
def test_filters_change_pixels_but_not_size(name):
    original = photo()
    original.paste((255, 255, 255), (20, 15, 40, 30))  # an edge to find
    result = apply(name, original)
    assert result.size == original.size and ImageChops.difference(result, original).getbbox() is not None


def test_blur_smooths():
    image = Image.new("L", (21, 21), 0)
    image.putpixel((10, 10), 255)
    result = apply("blur", image, radius=2)
    assert 0 < result.getpixel((10, 10)) < 255 and result.getpixel((12, 10)) > 0


@pytest.mark.parametrize(("name", "factor"), [("brightness", 0.0), ("contrast", 0.0), ("saturation", 0.0)])
def test_enhance_factor_zero(name, factor):
    result = apply(name, factor=factor)
    if name == "brightness":
        assert result.getextrema() == ((0, 0), (0, 0), (0, 0))
    elif name == "contrast":
        assert len(set(result.get_flattened_data())) == 1  # one flat colour
    else:
        assert all(r == g == b for r, g, b in result.get_flattened_data())


def test_enhance_factor_one_keeps_the_image():
    original = photo()
    assert ImageChops.difference(apply("brightness", original, factor=1.0), original).getbbox() is None


def test_autocontrast_stretches_to_full_range():
    dull = Image.new("L", (10, 1))
    dull.putdata([100 + i for i in range(10)])
    assert apply("autocontrast", dull).getextrema() == (0, 255)


def test_posterize_keeps_only_the_top_bits():
    result = apply("posterize", bits=2)
    assert {value & 0b00111111 for pixel in result.get_flattened_data() for value in pixel} == {0}


def test_rotate_90_swaps_dimensions():
    original = photo(64, 48)
    rotated = apply("rotate", original, degrees=90)
    assert rotated.size == (48, 64)
    assert rotated.getpixel((0, 47 + 16)) == original.getpixel((0, 0))  # top-left went to bottom-left


def test_rotate_without_expand_keeps_size():
    assert apply("rotate", photo(64, 48), degrees=30, expand=False).size == (64, 48)


def test_rotate_expand_grows_canvas():
    width, height = apply("rotate", photo(64, 48), degrees=45).size
    assert width > 64 and height > 48


def test_flip_horizontal_and_vertical():
    original = photo()
    mirrored = apply("flip", original, direction="horizontal")
    assert mirrored.getpixel((0, 0)) == original.getpixel((original.width - 1, 0))
    flipped = apply("flip", original, direction="vertical")
    assert flipped.getpixel((0, 0)) == original.getpixel((0, original.height - 1))


def test_resize_gives_the_asked_size():
    assert apply("resize", photo(64, 48), width=32).size == (32, 24)
    assert apply("resize", photo(64, 48), height=12).size == (16, 12)
    assert apply("resize", photo(64, 48), width=10, height=10).size == (10, 8)  # fits inside
    assert apply("resize", photo(64, 48), width=10, height=10, keep_aspect=False).size == (10, 10)


def test_resize_refuses_results_over_the_pixel_limit():
    step = STEPS["resize"]().run_validation({"op": "resize", "width": 20000, "height": 20000, "keep_aspect": False})
    with pytest.raises(ValueError, match="over the limit"):
        OPS["resize"].apply(photo(), step, MAX)


def test_crop_cuts_the_box_and_refuses_boxes_outside():
    original = photo(64, 48)
    cropped = apply("crop", original, left=10, top=5, right=30, bottom=25)
    assert cropped.size == (20, 20) and cropped.getpixel((0, 0)) == original.getpixel((10, 5))
    with pytest.raises(ValueError, match="does not fit"):
        apply("crop", original, left=0, top=0, right=65, bottom=10)


def test_thumbnail_fits_and_never_enlarges():
    assert apply("thumbnail", photo(64, 48), max_width=16, max_height=16).size == (16, 12)
    assert apply("thumbnail", photo(64, 48), max_width=500, max_height=500).size == (64, 48)


@pytest.mark.parametrize(
    ("step", "field"),
    [
        ({"op": "blur", "radius": 51}, "radius"),
        ({"op": "blur", "radius": "big"}, "radius"),
        ({"op": "posterize", "bits": 9}, "bits"),
        ({"op": "flip", "direction": "diagonal"}, "direction"),
        ({"op": "brightness"}, "factor"),
        ({"op": "grayscale", "amount": 2}, "amount"),
        ({"op": "resize"}, "non_field_errors"),
        ({"op": "rotate", "degrees": 10, "expand": 1}, "expand"),
        ({"op": "crop", "left": 5, "top": 0, "right": 5, "bottom": 3}, "non_field_errors"),
    ],
)
def test_bad_params_name_the_field(step, field):
    from rest_framework.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        STEPS[step["op"]]().run_validation(step)
    assert field in caught.value.detail


def test_every_op_has_a_valid_example():
    for name, op in OPS.items():
        assert STEPS[name]().run_validation(dict(op.example))["op"] == name
