"""Generated test images (nothing binary is committed)."""

import io
import struct
import zlib

from PIL import Image


def photo(width: int = 64, height: int = 48, mode: str = "RGB") -> Image.Image:
    """A colourful gradient: every pixel differs, channels differ from each other."""
    image = Image.new("RGB", (width, height))
    image.putdata(
        [
            (x * 255 // width, y * 255 // height, (x + y) * 255 // (width + height))
            for y in range(height)
            for x in range(width)
        ]
    )
    return image.convert(mode)


def encoded(image: Image.Image, format: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG of a few hundred bytes whose header claims width x height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress(b"\x00" * (width + 1) * 8, 9)  # a few rows; the claim is the point
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


def noise(width: int = 100, height: int = 100) -> Image.Image:
    """Incompressible pixels, for tests about byte sizes."""
    import random

    rng = random.Random(width * height)
    return Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))


def repeated_scan_jpeg(width: int, height: int, repeats: int) -> bytes:
    """A progressive JPEG whose last scan is repeated `repeats` times: small on the wire, and
    each repeat is one more pass of the decoder over the whole image (a decode-time bomb)."""
    data = encoded(photo(64, 48).resize((width, height)), "JPEG", progressive=True, quality=30)
    last_scan = data.rindex(b"\xff\xda")
    scan = data[last_scan:-2]  # from the last SOS marker up to EOI
    return data[:-2] + scan * repeats + data[-2:]
