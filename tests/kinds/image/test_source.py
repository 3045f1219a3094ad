import pytest
from PIL import Image

from kinds.image.source import ImageRejected, inspect_image, open_image
from tests.images import encoded, photo, png_bomb

LIMIT = 40_000_000


@pytest.mark.parametrize("format", ["PNG", "JPEG", "WEBP", "GIF", "BMP"])
def test_accepts_supported_formats(format):
    info = inspect_image(encoded(photo(30, 20), format), max_pixels=LIMIT)
    assert (info.format, info.width, info.height) == (format, 30, 20)


def test_rejects_text_renamed_png():
    with pytest.raises(ImageRejected, match="not an image"):
        inspect_image(b"just some text, saved as photo.png", max_pixels=LIMIT)


@pytest.mark.parametrize("format", ["PNG", "JPEG"])
def test_rejects_truncated_data(format):
    data = encoded(photo(200, 200), format)
    with pytest.raises(ImageRejected, match=r"truncated|corrupt|unreadable"):
        inspect_image(data[: len(data) // 2], max_pixels=LIMIT)


def test_rejects_bomb_from_its_header_without_decoding():
    bomb = png_bomb()
    assert len(bomb) < 10_000
    with pytest.raises(ImageRejected, match="10,000,000,000 pixels; the limit is 40,000,000"):
        inspect_image(bomb, max_pixels=LIMIT)


def test_rejects_unsupported_format():
    with pytest.raises(ImageRejected, match="unsupported format TIFF"):
        inspect_image(encoded(photo(), "TIFF"), max_pixels=LIMIT)


def test_pixel_limit_is_configurable():
    with pytest.raises(ImageRejected):
        inspect_image(encoded(photo(30, 20)), max_pixels=599)
    assert inspect_image(encoded(photo(30, 20)), max_pixels=600).width == 30


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    image, _ = open_image(encoded(photo(40, 20), "JPEG", exif=exif.tobytes()))
    assert image.size == (20, 40)


def test_animated_image_yields_its_first_frame():
    frames = [Image.new("RGB", (8, 8), colour) for colour in ("red", "blue")]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert inspect_image(data, max_pixels=LIMIT).frames == 2
    image, _ = open_image(data)
    assert image.convert("RGB").getpixel((4, 4)) == (255, 0, 0)


def test_modes_are_normalised_for_the_ops():
    assert open_image(encoded(photo(mode="P")))[0].mode == "RGB"
    assert open_image(encoded(photo(mode="RGBA")))[0].mode == "RGBA"
    assert open_image(encoded(photo(mode="L")))[0].mode == "L"
