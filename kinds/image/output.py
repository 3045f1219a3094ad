"""Writing results: PNG, JPEG or WebP, without the source's metadata unless asked for."""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image

CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}
# Formats that hold an animation (PNG as APNG).
ANIMATED_FORMATS = ("gif", "webp", "png")
ORIENTATION_TAG = 0x0112


def encode(
    image: Image.Image,
    *,
    format: str,
    quality: int,
    exif: Image.Exif | None = None,
    frames: Sequence[Image.Image] = (),
    durations: Sequence[int] = (),
    loop: int = 0,
) -> bytes:
    """Encode `image` (followed by `frames`, with their `durations` in ms and `loop`, for an
    animation); EXIF (and so GPS) is written only when `exif` is passed."""
    if format == "jpeg" and image.mode in ("RGBA", "LA"):
        background = Image.new("RGB" if image.mode == "RGBA" else "L", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    options: dict = {}
    if icc := image.info.get("icc_profile"):
        options["icc_profile"] = icc  # colour fidelity, not personal data
    if exif is not None:
        exif[ORIENTATION_TAG] = 1  # the pixels are already upright
        options["exif"] = exif.tobytes()
    if format == "jpeg":
        options.update(quality=quality)
    elif format == "webp":
        options.update(quality=quality, method=4)
    else:
        options.update(compress_level=6)
    if frames:
        options.update(save_all=True, append_images=list(frames), duration=list(durations), loop=loop)
    buffer = io.BytesIO()
    image.save(buffer, format=format.upper(), **options)
    return buffer.getvalue()
