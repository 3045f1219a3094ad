"""The photo editor's filter ops: each a params serializer, an apply function and an example."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageEnhance, ImageFilter, ImageOps
from rest_framework import serializers

from httpapi.serializers import StrictBooleanField, StrictFloatField, StrictIntegerField, StrictSerializer
from kinds.image import vips

Apply = Callable[[Image.Image, Mapping[str, Any], int], Image.Image]
Size = tuple[int, int]
Resize = Callable[[Size, Mapping[str, Any]], Size]  # the output size, worked out without the pixels


class OpParams(StrictSerializer):
    """Base of every op's step: `{"op": "<name>", ...params}`."""


def same_size(size: Size, params: Mapping[str, Any]) -> Size:
    return size


@dataclass(frozen=True, slots=True)
class Op:
    name: str
    summary: str
    params: type[OpParams]
    apply: Apply
    example: Mapping[str, Any]
    # CPU per megapixel of the larger of input and output, measured on RGBA (the slower mode)
    # with headroom: the cost model refuses pipelines over the caller's CPU ceiling at submit.
    ms_per_megapixel: float = 20.0
    size: Resize = same_size
    aliases: tuple[str, ...] = ()  # other names callers use (any case): "Negative" is invert


def _color_only(function: Callable[[Image.Image], Image.Image]) -> Callable[[Image.Image], Image.Image]:
    """Run an op that cannot handle alpha on the colour bands and put the alpha back."""

    def wrapped(image: Image.Image) -> Image.Image:
        if image.mode != "RGBA":
            return function(image)
        alpha = image.getchannel("A")
        result = function(image.convert("RGB")).convert("RGBA")
        result.putalpha(alpha)
        return result

    return wrapped


def _checked_size(width: int, height: int, max_pixels: int) -> tuple[int, int]:
    if width * height > max_pixels:
        raise ValueError(f"the result would be {width}x{height}, over the limit of {max_pixels:,} pixels")
    return width, height


# --- params -----------------------------------------------------------------------------------


class NoParams(OpParams):
    pass


class BlurParams(OpParams):
    radius = StrictFloatField(default=2.0, min_value=0.1, max_value=50.0, help_text="Gaussian radius in pixels.")


class FactorParams(OpParams):
    factor = StrictFloatField(min_value=0.0, max_value=10.0, help_text="1.0 keeps the image; 0 is the minimum.")


class AutocontrastParams(OpParams):
    cutoff = StrictFloatField(default=0.0, min_value=0.0, max_value=49.0, help_text="Percent clipped at each end.")


class PosterizeParams(OpParams):
    bits = StrictIntegerField(min_value=1, max_value=8, help_text="Bits kept per channel.")


class RotateParams(OpParams):
    degrees = StrictFloatField(min_value=-360.0, max_value=360.0, help_text="Counter-clockwise.")
    expand = StrictBooleanField(default=True, help_text="Grow the canvas to fit the whole rotated image.")


class FlipParams(OpParams):
    direction = serializers.ChoiceField(choices=["horizontal", "vertical"])


class ResizeParams(OpParams):
    width = StrictIntegerField(required=False, min_value=1, max_value=20_000)
    height = StrictIntegerField(required=False, min_value=1, max_value=20_000)
    keep_aspect = StrictBooleanField(
        default=True, help_text="With both sides given: fit inside them. With one: scale the other to match."
    )

    def validate(self, attrs: dict) -> dict:
        if "width" not in attrs and "height" not in attrs:
            raise serializers.ValidationError("Give width, height or both.")
        return attrs


class CropParams(OpParams):
    left = StrictIntegerField(min_value=0, max_value=100_000)
    top = StrictIntegerField(min_value=0, max_value=100_000)
    right = StrictIntegerField(min_value=1, max_value=100_000)
    bottom = StrictIntegerField(min_value=1, max_value=100_000)

    def validate(self, attrs: dict) -> dict:
        if attrs["right"] <= attrs["left"] or attrs["bottom"] <= attrs["top"]:
            raise serializers.ValidationError("The box needs right > left and bottom > top.")
        return attrs


class ThumbnailParams(OpParams):
    max_width = StrictIntegerField(min_value=1, max_value=20_000)
    max_height = StrictIntegerField(min_value=1, max_value=20_000)


# --- apply functions (image, params, max_pixels) -> image ---------------------------------------------


def _sepia(image: Image.Image) -> Image.Image:
    gray = ImageOps.grayscale(image)
    toned = ImageOps.colorize(gray, black=(40, 26, 13), white=(255, 240, 192), mid=(160, 120, 80))
    if image.mode == "RGBA":
        toned = toned.convert("RGBA")
        toned.putalpha(image.getchannel("A"))
    return toned


def _grayscale(image: Image.Image) -> Image.Image:
    if image.mode == "RGBA":
        return image.convert("LA")
    return image.convert("L")


def _on_colours(function: Callable[[Image.Image], Image.Image]) -> Apply:
    return lambda image, params, max_pixels: _color_only(function)(image)


def _filter(kernel: ImageFilter.Filter) -> Apply:
    return _on_colours(lambda image: image.filter(kernel))


def _enhance(enhancer: type[ImageEnhance._Enhance]) -> Apply:
    return lambda image, params, max_pixels: _color_only(lambda im: enhancer(im).enhance(params["factor"]))(image)


def _resized(size: Size, params: Mapping[str, Any]) -> Size:
    width, height = size
    wanted_w, wanted_h = params.get("width"), params.get("height")
    if wanted_w and wanted_h and not params["keep_aspect"]:
        return wanted_w, wanted_h
    if wanted_w and wanted_h:
        scale = min(wanted_w / width, wanted_h / height)
        return max(1, round(width * scale)), max(1, round(height * scale))
    if wanted_w:
        return wanted_w, max(1, round(height * wanted_w / width))
    return max(1, round(width * wanted_h / height)), wanted_h


# Shrinking by more than this factor goes in two passes, an integer box reduce then LANCZOS, as
# Pillow's own thumbnail() does: 2-4x less CPU on photos, pixels within a fraction of a level of
# LANCZOS alone (tests/kinds/image/test_shrink_first.py measures the difference).
REDUCING_GAP = 2.0


def _undecoded_jpeg(image: Image.Image) -> bool:
    """A JPEG whose pixels are not decoded yet (the first step's input): it can still be drafted."""
    return image.format == "JPEG" and bool(image.tile)


def _draft(image: Image.Image, size: Size) -> None:
    """A JPEG not decoded yet (the first step) decodes at the smallest DCT scale (1/2, 1/4 or 1/8)
    still REDUCING_GAP times `size`: the full-size pixels are never made. Anything else is as is."""
    if _undecoded_jpeg(image):
        image.draft(image.mode, (math.ceil(size[0] * REDUCING_GAP), math.ceil(size[1] * REDUCING_GAP)))


def _resize(image: Image.Image, params: Mapping[str, Any], max_pixels: int) -> Image.Image:
    size = _checked_size(*_resized(image.size, params), max_pixels)  # from the full size, before any draft
    _draft(image, size)
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)


def _rotated(size: Size, params: Mapping[str, Any]) -> Size:
    if not params["expand"]:
        return size
    width, height = size
    angle = math.radians(params["degrees"])
    cos, sin = abs(math.cos(angle)), abs(math.sin(angle))
    return math.ceil(round(width * cos + height * sin, 6)), math.ceil(round(width * sin + height * cos, 6))


def _cropped(size: Size, params: Mapping[str, Any]) -> Size:
    return max(0, params["right"] - params["left"]), max(0, params["bottom"] - params["top"])


def _thumbnailed(size: Size, params: Mapping[str, Any]) -> Size:
    width, height = size
    scale = min(1.0, params["max_width"] / width, params["max_height"] / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _rotate(image: Image.Image, params: Mapping[str, Any], max_pixels: int) -> Image.Image:
    if params["expand"]:
        _checked_size(*_rotated(image.size, params), max_pixels)
    if params["degrees"] % 90 == 0:
        turns = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_270}
        quarter = int(params["degrees"]) % 360
        if quarter == 0:
            return image.copy()
        if params["expand"] or quarter == 180:
            return image.transpose(turns[quarter])
    return image.rotate(params["degrees"], resample=Image.Resampling.BICUBIC, expand=params["expand"])


def _crop(image: Image.Image, params: Mapping[str, Any], max_pixels: int) -> Image.Image:
    box = (params["left"], params["top"], params["right"], params["bottom"])
    if box[2] > image.width or box[3] > image.height:
        raise ValueError(f"crop box {box} does not fit in the {image.width}x{image.height} image")
    return image.crop(box)


def _thumbnail(image: Image.Image, params: Mapping[str, Any], max_pixels: int) -> Image.Image:
    # A JPEG not decoded yet is the pipeline's own: thumbnail() drafts it in place (see _draft).
    result = image if _undecoded_jpeg(image) else image.copy()
    result.thumbnail((params["max_width"], params["max_height"]), Image.Resampling.LANCZOS, REDUCING_GAP)
    return result


OPS: dict[str, Op] = {
    op.name: op
    for op in (
        Op(
            "grayscale",
            "Shades of grey.",
            NoParams,
            lambda im, p, m: _grayscale(im),
            {"op": "grayscale"},
            20,
            aliases=("greyscale", "gray", "grey"),
        ),
        Op("sepia", "Warm brown tones.", NoParams, lambda im, p, m: _sepia(im), {"op": "sepia"}, 15),
        Op(
            "invert",
            "Negative.",
            NoParams,
            lambda im, p, m: _color_only(ImageOps.invert)(im),
            {"op": "invert"},
            25,
            aliases=("negative", "negate"),
        ),
        Op(
            "blur",
            "Gaussian blur.",
            BlurParams,
            lambda im, p, m: vips.gaussian_blur(im, p["radius"]),
            {"op": "blur", "radius": 2.5},
            75,
            aliases=("gaussian", "gaussian_blur"),
        ),
        Op("sharpen", "Sharpen edges.", NoParams, _on_colours(vips.sharpen), {"op": "sharpen"}, 60),
        Op(
            "edges",
            "Find edges.",
            NoParams,
            _filter(ImageFilter.FIND_EDGES),
            {"op": "edges"},
            60,
            aliases=("edge", "find_edges"),
        ),
        Op("emboss", "Emboss.", NoParams, _filter(ImageFilter.EMBOSS), {"op": "emboss"}, 60),
        Op("contour", "Contour lines.", NoParams, _filter(ImageFilter.CONTOUR), {"op": "contour"}, 60),
        Op(
            "brightness",
            "Brighter (>1) or darker (<1).",
            FactorParams,
            _enhance(ImageEnhance.Brightness),
            {"op": "brightness", "factor": 1.3},
            45,
        ),
        Op(
            "contrast",
            "More (>1) or less (<1) contrast.",
            FactorParams,
            _enhance(ImageEnhance.Contrast),
            {"op": "contrast", "factor": 1.5},
            30,
        ),
        Op(
            "saturation",
            "More (>1) or less (<1) colour.",
            FactorParams,
            _enhance(ImageEnhance.Color),
            {"op": "saturation", "factor": 0.5},
            30,
            aliases=("color", "colour"),
        ),
        Op(
            "autocontrast",
            "Stretch the histogram.",
            AutocontrastParams,
            lambda im, p, m: _color_only(lambda x: ImageOps.autocontrast(x, cutoff=p["cutoff"]))(im),
            {"op": "autocontrast", "cutoff": 1},
            15,
        ),
        Op(
            "equalize",
            "Equalize the histogram.",
            NoParams,
            lambda im, p, m: _color_only(ImageOps.equalize)(im),
            {"op": "equalize"},
            15,
        ),
        Op(
            "posterize",
            "Fewer colour levels.",
            PosterizeParams,
            lambda im, p, m: _color_only(lambda x: ImageOps.posterize(x, p["bits"]))(im),
            {"op": "posterize", "bits": 3},
            15,
        ),
        Op("rotate", "Rotate counter-clockwise.", RotateParams, _rotate, {"op": "rotate", "degrees": 90}, 90, _rotated),
        Op(
            "flip",
            "Mirror.",
            FlipParams,
            lambda im, p, m: ImageOps.mirror(im) if p["direction"] == "horizontal" else ImageOps.flip(im),
            {"op": "flip", "direction": "horizontal"},
            5,
        ),
        Op(
            "resize",
            "Resize; keeps the aspect ratio unless told not to.",
            ResizeParams,
            _resize,
            {"op": "resize", "width": 800},
            45,
            _resized,
            aliases=("scale",),
        ),
        Op(
            "crop",
            "Cut out a box (left, top, right, bottom) in pixels.",
            CropParams,
            _crop,
            {"op": "crop", "left": 0, "top": 0, "right": 400, "bottom": 300},
            5,
            _cropped,
        ),
        Op(
            "thumbnail",
            "Shrink to fit a box, never enlarging.",
            ThumbnailParams,
            _thumbnail,
            {"op": "thumbnail", "max_width": 256, "max_height": 256},
            15,
            _thumbnailed,
            aliases=("thumb",),
        ),
    )
}


def _normal(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


NAMES = {_normal(alias): name for name, op in OPS.items() for alias in (name, *op.aliases)}


def resolve(name: str) -> str | None:
    """The op a caller's name means, in any case and with the aliases ("Negative" -> invert)."""
    return NAMES.get(_normal(name))
