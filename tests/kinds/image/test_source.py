import io

import pytest
from PIL import Image

from kinds.image.source import ImageRejected, inspect_image, open_image, read_header, verify_stream
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


def _cut_points(data: bytes, format: str) -> list[int]:
    """Where a transfer may stop: in the headers, in the compressed data, just before the end."""
    return [40, len(data) // 3, len(data) - 2 if format == "JPEG" else len(data) - 6]


@pytest.mark.parametrize("format", ["PNG", "JPEG", "WEBP"])
def test_data_cut_anywhere_is_refused_without_decoding(format):
    data = encoded(photo(120, 90), format)
    inspect_image(data, max_pixels=LIMIT)  # whole: accepted
    for cut in _cut_points(data, format):
        with pytest.raises(ImageRejected, match=r"truncated|corrupt|unreadable|not an image"):
            inspect_image(data[:cut], max_pixels=LIMIT)


def test_the_exif_size_is_read_from_the_structure_as_pillow_reads_it():
    exif = Image.Exif()
    exif[0x010E] = "x" * 5000  # ImageDescription
    for format in ("JPEG", "PNG", "WEBP"):
        data = encoded(photo(40, 30), format, exif=exif.tobytes())
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            expected = len(image.info["exif"])
        source = read_header(data)
        assert verify_stream(data, source) == expected, format


def test_damage_inside_whole_compressed_data_is_left_to_the_run():
    """A PNG whose chunks are whole but whose zlib stream is garbage passes the structural check;
    decoding it fails (the task then fails with the decoder's message)."""
    data = bytearray(encoded(photo(64, 48)))
    start = data.index(b"IDAT") + 4
    data[start + 2 : start + 40] = bytes(38)  # inside the compressed pixels, lengths untouched
    data = bytes(data)
    assert inspect_image(data, max_pixels=LIMIT).format == "PNG"
    with pytest.raises(OSError, match="broken data stream"):
        open_image(data)[0].load()
