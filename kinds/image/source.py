"""Reading untrusted images: checked completely at submit time, decoded safely at run time."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

# Formats users may send. Others (TIFF, PSD, ...) are refused: each decoder is attack surface.
ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
ORIENTATION_TAG = 0x0112

# Defence in depth: Pillow's own bomb check. Our explicit pixel limit below is the real gate.
Image.MAX_IMAGE_PIXELS = None


class ImageRejected(ValueError):
    """The bytes are not an image this service will process; the message says why."""


@dataclass(frozen=True, slots=True)
class SourceInfo:
    format: str
    width: int
    height: int
    frames: int
    scans: int = 1  # JPEG: the number of scans (a progressive image has several)

    @property
    def pixels(self) -> int:
        return self.width * self.height


def read_header(data: bytes) -> SourceInfo:
    """Format, size, frames and JPEG scans, without decoding a pixel: cheap for any input."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImageRejected("not an image (or an image format this service cannot read)") from None
    except Exception as exc:
        raise ImageRejected(f"unreadable image: {exc}") from None
    with image:
        if image.format not in ACCEPTED_FORMATS:
            raise ImageRejected(f"unsupported format {image.format}; accepted: {', '.join(ACCEPTED_FORMATS)}")
        width, height = image.size
        if width < 1 or height < 1:
            raise ImageRejected("image has no pixels")
        frames = getattr(image, "n_frames", 1)
        scans = jpeg_scans(data) if image.format == "JPEG" else 1
        return SourceInfo(image.format, width, height, frames, scans)


def verify_stream(data: bytes, source: SourceInfo) -> int:
    """Decode the compressed stream to the end, so truncated or corrupt data is refused now
    rather than in a worker. JPEGs decode at 1/8 scale: the whole entropy-coded stream is still
    read, at a fraction of the cost. Call only once the size and scans are known to be allowed.
    Returns the size of the image's EXIF block (chunks after the pixels are known only now)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format == "JPEG":
                image.draft(image.mode, (max(1, source.width // 8), max(1, source.height // 8)))
            image.load()
            return len(image.info.get("exif", b""))
    except Exception as exc:
        raise ImageRejected(f"corrupt or truncated image data ({exc})") from None


def inspect_image(data: bytes, *, max_pixels: int, max_scans: int = 64) -> SourceInfo:
    """The header, then the limits, then the stream: a few-KB "bomb" claiming huge dimensions,
    or a progressive JPEG repeating a scan thousands of times, is refused before any decoding."""
    source = read_header(data)
    if source.pixels > max_pixels:
        raise ImageRejected(f"{source.width}x{source.height} is {source.pixels:,} pixels; the limit is {max_pixels:,}")
    check_scans(source, max_scans)
    verify_stream(data, source)
    return source


def check_scans(source: SourceInfo, max_scans: int) -> None:
    if source.scans > max_scans:
        raise ImageRejected(f"a JPEG of {source.scans:,} scans; at most {max_scans} are accepted")


def jpeg_scans(data: bytes) -> int:
    """Count the SOS markers of a JPEG by walking its segments (entropy-coded data is skipped to
    the next marker). Decoding cost grows with the scans: each one is a pass over the image."""
    upper = data.count(b"\xff\xda")  # every SOS marker, and any FF DA inside other segments
    if upper <= 1:
        return upper  # a baseline JPEG: no walk needed (0xFF in scan data is always stuffed)
    scans, position, end = 0, 2, len(data)
    while position + 4 <= end:
        if data[position] != 0xFF:
            return scans  # not a marker where one must be: the decoder will say what is wrong
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:  # end of image
            return scans
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # restart markers, TEM: no length
            position += 2
            continue
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        position += 2 + length
        if marker != 0xDA:
            continue
        scans += 1
        while True:  # entropy-coded data: up to a 0xFF that is neither stuffing (00) nor a restart
            position = data.find(b"\xff", position)
            if position < 0 or position + 1 >= end:
                return scans
            following = data[position + 1]
            if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                position += 2 if following != 0xFF else 1
                continue
            break
    return scans


def open_frames(data: bytes) -> tuple[Iterator[tuple[Image.Image, int]], int]:
    """Decode an already-inspected animation one frame at a time: (frame, duration in ms) in a mode
    the ops take, and the loop count (0: forever). Only one decoded source frame is held at once."""
    image = Image.open(io.BytesIO(data))
    loop = int(image.info.get("loop", 0))

    def frames() -> Iterator[tuple[Image.Image, int]]:
        for frame in ImageSequence.Iterator(image):
            duration = int(frame.info.get("duration", 100))
            yield frame.convert(_working_mode(frame)), duration

    return frames(), loop


def _working_mode(image: Image.Image) -> str:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    return "RGBA" if has_alpha else ("L" if image.mode in ("1", "L", "I;16") else "RGB")


def open_image(data: bytes) -> tuple[Image.Image, Image.Exif]:
    """Open an already-inspected image: first frame, EXIF orientation applied, a mode the ops take.

    Returns the image and its EXIF (for callers that asked to keep metadata). Transposing and
    converting each copy the whole image, so each runs only when it changes something. When
    neither is needed the pixels are left to the first step to decode: a JPEG shrunk first
    (resize, thumbnail) then decodes at a fraction of its size (ops._draft).
    """
    image = Image.open(io.BytesIO(data))  # in memory: no file handle to close
    image.seek(0)  # animated images: the first frame only (documented in the schema)
    exif = image.getexif()
    icc = image.info.get("icc_profile")
    if exif.get(ORIENTATION_TAG, 1) != 1:
        image = ImageOps.exif_transpose(image)
    mode = _working_mode(image)
    if image.mode != mode:
        image = image.convert(mode)
    if icc:
        image.info["icc_profile"] = icc
    return image, exif
