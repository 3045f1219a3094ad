"""Reading untrusted images: checked completely at submit time, decoded safely at run time."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

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


def inspect_image(data: bytes, *, max_pixels: int) -> SourceInfo:
    """Check that `data` is a whole, decodable image of an accepted format and size.

    The header is read first, so a few-KB "bomb" claiming huge dimensions is refused before any
    pixel memory is allocated. Then the compressed stream is decoded to the end, so truncated or
    corrupt data is refused now rather than in a worker. JPEGs decode at 1/8 scale for this: the
    whole entropy-coded stream is still read, at a fraction of the cost.
    """
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
        if width * height > max_pixels:
            raise ImageRejected(f"{width}x{height} is {width * height:,} pixels; the limit is {max_pixels:,}")
        frames = getattr(image, "n_frames", 1)
        try:
            if image.format == "JPEG":
                image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
            image.load()
        except Exception as exc:
            raise ImageRejected(f"corrupt or truncated image data ({exc})") from None
        return SourceInfo(image.format, width, height, frames)


def open_image(data: bytes) -> tuple[Image.Image, Image.Exif]:
    """Decode an already-inspected image: first frame, EXIF orientation applied, a mode the ops take.

    Returns the image and its EXIF (for callers that asked to keep metadata). Transposing and
    converting each copy the whole image, so each runs only when it changes something.
    """
    image = Image.open(io.BytesIO(data))  # in memory: no file handle to close
    image.seek(0)  # animated images: the first frame only (documented in the schema)
    exif = image.getexif()
    icc = image.info.get("icc_profile")
    if exif.get(ORIENTATION_TAG, 1) != 1:
        image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    mode = "RGBA" if has_alpha else ("L" if image.mode in ("1", "L", "I;16") else "RGB")
    if image.mode != mode:
        image = image.convert(mode)
    else:
        image.load()
    if icc:
        image.info["icc_profile"] = icc
    return image, exif
