"""The photo editor: an image plus a pipeline of filter steps, run with Pillow.

Everything that can be checked is checked at submit time (the image is decoded to the end, every
step validated), so a task that starts has only run-time failures left (e.g. a crop box that
does not fit the image after earlier steps).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from PIL import Image
from rest_framework import serializers

from core.limits import Limit
from httpapi.serializers import StrictBooleanField, StrictIntegerField, StrictSerializer
from kinds.image import vips
from kinds.image.cost import BYTES_PER_PIXEL, CpuBudget, estimate
from kinds.image.ops import OPS, Op, resolve
from kinds.image.output import ANIMATED_FORMATS, CONTENT_TYPES, encode
from kinds.image.source import (
    ImageRejected,
    SourceInfo,
    check_scans,
    open_frames,
    open_image,
    read_header,
    verify_stream,
)
from tasks.domain import TaskResult
from tasks.errors import InputTooLarge, InvalidParams
from tasks.kinds.base import (
    Catalog,
    Ceilings,
    Context,
    Documented,
    FlatShape,
    OneOf,
    ParamsSerializer,
    TaskCancelled,
    TaskKind,
    Upload,
    documented,
    shared_validator,
    unknown_keys,
)

MIB = 1024 * 1024
JPEG_MAX_EXIF_BYTES = 65_533  # one APP1 segment; Pillow fails at encoding past it
STILL_DEFAULTS = ("png", "jpeg", "webp")  # sources whose format is the default output's


def _step_serializer(op: Op) -> type[serializers.Serializer]:
    return type(
        f"{op.name.title()}Step",
        (op.params,),
        {"__doc__": op.summary, "op": serializers.ChoiceField(choices=[op.name])},
    )


STEPS = {name: _step_serializer(op) for name, op in OPS.items()}


class FilterStepField(OneOf, serializers.Field):
    """One `{"op": ..., ...params}` step, validated by its op's serializer."""

    # An explicit mapping, op -> step schema: from the serializers alone a schema generator reads
    # each op's value as `ChoiceField.to_representation(None)`, and every mapping key came out null.
    component, discriminator, variants = "FilterStep", "op", STEPS

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping) or not isinstance(data.get("op"), str):
            raise serializers.ValidationError({"op": [f"Each step is an object with an op: one of {', '.join(OPS)}."]})
        name = resolve(data["op"])  # any case, and the aliases GET /filters lists
        if name is None:
            raise serializers.ValidationError({"op": [f"Unknown op {data['op']!r}; known ops: {', '.join(OPS)}."]})
        return dict(shared_validator(STEPS[name]).run_validation({**data, "op": name}))


class ImageDataField(Documented, serializers.Field):
    """The image: an uploaded file (multipart) or base64 text (JSON, `data:` URLs accepted)."""

    schema = {"type": "string", "format": "byte"}

    def to_internal_value(self, data: Any) -> bytes:
        limit = settings.IMAGE_MAX_BYTES
        if isinstance(data, UploadedFile):
            if data.size is not None and data.size > limit:
                raise InputTooLarge("image", limit)
            return data.read()
        if not isinstance(data, str):
            raise serializers.ValidationError("Expected an uploaded file or base64-encoded image data.")
        text = data.split(",", 1)[1] if data.startswith("data:") else data
        if len(text) * 3 // 4 > limit:
            raise InputTooLarge("image", limit)
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError("Not valid base64.") from None


class OutputParams(StrictSerializer):
    format = serializers.ChoiceField(
        choices=list(CONTENT_TYPES),
        required=False,
        help_text="Default: the input's format if PNG/JPEG/WebP, else PNG; when animated, the input's if GIF/WebP/PNG, "
        "else WebP.",
    )
    quality = StrictIntegerField(default=85, min_value=1, max_value=100, help_text="JPEG and WebP quality.")
    keep_metadata = StrictBooleanField(
        default=False, help_text="Copy the source's EXIF (including any GPS position) into the result."
    )
    animated = StrictBooleanField(
        default=False,
        help_text="Run the pipeline on every frame of an animated GIF or WebP (at most IMAGE_MAX_FRAMES; pixels "
        "times frames within the pixel limit), keeping durations and loop. Output: GIF, WebP or PNG (APNG).",
    )


class ImageParams(ParamsSerializer):
    """Parameters of the `image` kind. Animated images (GIF, WebP): the first frame only, unless
    `output.animated` asks for every frame."""

    image = ImageDataField(help_text="PNG, JPEG, WebP, GIF or BMP; at most IMAGE_MAX_BYTES and IMAGE_MAX_PIXELS.")
    filters = serializers.ListField(
        child=FilterStepField(),
        min_length=0,
        help_text="0..IMAGE_MAX_STEPS steps (none: the image is only encoded again, e.g. as WebP).",
    )
    output = OutputParams(required=False)

    def validate_filters(self, steps: list) -> list:
        if len(steps) > settings.IMAGE_MAX_STEPS:
            raise serializers.ValidationError(f"At most {settings.IMAGE_MAX_STEPS} steps.")
        return steps

    def validate(self, attrs: dict) -> dict:
        # The header only: the stream is decoded in `restrict`, once the caller's ceilings allow it.
        try:
            source = read_header(attrs["image"])
        except ImageRejected as exc:
            raise serializers.ValidationError({"image": [str(exc)]}) from None
        if source.pixels > settings.IMAGE_MAX_PIXELS:
            limit = settings.IMAGE_MAX_PIXELS
            message = f"{source.width}x{source.height} is {source.pixels:,} pixels; the limit is {limit:,}"
            raise serializers.ValidationError({"image": [message]})
        output = {"quality": 85, "keep_metadata": False, "animated": False, **attrs.get("output", {})}
        own = source.format.lower()
        if output["animated"]:
            output.setdefault("format", own if own in ANIMATED_FORMATS else "webp")
            if output["format"] not in ANIMATED_FORMATS:
                message = f"{output['format'].upper()} holds no animation: ask for {', '.join(ANIMATED_FORMATS)}."
                raise serializers.ValidationError({"output": {"format": [message]}})
            if source.frames > settings.IMAGE_MAX_FRAMES:
                message = f"{source.frames:,} frames; at most {settings.IMAGE_MAX_FRAMES} are processed."
                raise serializers.ValidationError({"image": [message]})
        output.setdefault("format", own if own in STILL_DEFAULTS else "png")
        source_info = {
            "format": source.format,
            "width": source.width,
            "height": source.height,
            "frames": source.frames,
            "scans": source.scans,
        }
        return {**attrs, "output": output, "source": source_info}


# Damage inside whole compressed data, found by the decoder when the task runs (source.verify_stream).
DAMAGED = "the image data is damaged and cannot be decoded"


class FilterFailed(Exception):
    """A step could not be applied to the image it got (e.g. a crop box outside it)."""


def run(context: Context, params: Mapping[str, Any]) -> TaskResult:
    budget = CpuBudget(params.get("cpu_limit_s", settings.IMAGE_MAX_TIME_S))
    output = params["output"]
    max_pixels = params.get("max_pixels", settings.IMAGE_MAX_PIXELS)
    frames_total = params["source"]["frames"] if output.get("animated") else 1
    if frames_total > 1:
        frames, loop = open_frames(params["image"])
        exif = None
    else:
        try:
            image, exif = open_image(params["image"])  # a PNG's trailing chunks need its pixels read
        except OSError as exc:
            raise FilterFailed(f"{DAMAGED} ({exc})") from exc
        frames, loop = iter([(image, 0)]), 0
    done, durations = [], []
    for number, (frame, duration) in enumerate(frames):
        done.append(_pipeline(context, budget, frame, params["filters"], max_pixels, number, frames_total))
        durations.append(duration)
    budget.check("before encoding")
    first, rest = done[0], done[1:]
    data = encode(
        first,
        format=output["format"],
        quality=output["quality"],
        exif=exif if output["keep_metadata"] else None,
        frames=rest,
        durations=durations if rest else (),
        loop=loop,
    )
    extension = "jpg" if output["format"] == "jpeg" else output["format"]
    meta = {
        "width": first.width,
        "height": first.height,
        "format": output["format"],
        "source": params["source"],
        "frames_processed": len(done),
    }
    return TaskResult(data, CONTENT_TYPES[output["format"]], f"edited.{extension}", meta)


def _pipeline(
    context: Context,
    budget: CpuBudget,
    image: Image.Image,
    steps: list[dict[str, Any]],
    max_pixels: int,
    frame: int,
    frames: int,
) -> Image.Image:
    """Every step on one frame; progress after each step, cancel and the CPU budget before each."""
    where = f" of frame {frame}" if frames > 1 else ""
    for index, step in enumerate(steps):
        if context.cancelled():
            raise TaskCancelled
        budget.check(f"before step {index} ({step['op']}){where}")
        undecoded = bool(getattr(image, "tile", None))  # the first step decodes (source.verify_stream)
        try:
            image = OPS[step["op"]].apply(image, step, max_pixels)
        except Exception as exc:
            if undecoded and isinstance(exc, OSError):
                raise FilterFailed(f"{DAMAGED} ({exc})") from exc
            raise FilterFailed(f"step {index} ({step['op']}){where}: {exc}") from exc
        context.report_progress((frame * len(steps) + index + 1) / (frames * len(steps) + 1))
    return image


LIMITS = (
    Limit("max_pixels", "Pixels of the source image.", "IMAGE_MAX_PIXELS", "QUOTA_ANON_IMAGE_PIXELS"),
    Limit("max_steps", "Steps in the pipeline.", "IMAGE_MAX_STEPS", "QUOTA_ANON_IMAGE_STEPS"),
    Limit(
        "max_time_s",
        "CPU seconds per task: estimated at submit, enforced between steps.",
        "IMAGE_MAX_TIME_S",
        "QUOTA_ANON_IMAGE_TIME_S",
        integer=False,
        minimum=0.1,
    ),
    Limit(
        "max_memory_mb",
        "Estimated peak memory per task, checked at submit.",
        "IMAGE_MAX_MEMORY_MB",
        "QUOTA_ANON_IMAGE_MEMORY_MB",
        minimum=16,
    ),
)


def restrict(params: dict[str, Any], asked: Mapping[str, Any], ceilings: Ceilings) -> dict[str, Any]:
    """The caller's ceilings, in the order that keeps submit cheap: pixels and steps from the
    header, JPEG scans, then the decode that proves the stream whole, then the pipeline's
    estimated CPU and memory. The pixel ceiling also bounds every step's output at run time."""
    max_pixels, max_steps = int(ceilings["max_pixels"]), int(ceilings["max_steps"])
    cpu_limit, memory_limit = ceilings["max_time_s"], ceilings["max_memory_mb"]
    errors: dict[str, list[str]] = {}
    source = SourceInfo(**params["source"])
    frames = source.frames if params["output"]["animated"] else 1
    if source.pixels * frames > max_pixels:
        counted = f" x {frames} frames" if frames > 1 else ""
        errors["image"] = [
            f"{source.width}x{source.height}{counted} is {source.pixels * frames:,} pixels; your quota "
            f"allows {max_pixels:,}."
        ]
    if len(params["filters"]) > max_steps:
        errors["filters"] = [f"At most {max_steps} steps for your quota."]
    if errors:
        raise InvalidParams(errors)
    try:
        check_scans(source, settings.IMAGE_MAX_JPEG_SCANS)
        exif_bytes = verify_stream(params["image"], source)
    except ImageRejected as exc:
        raise InvalidParams({"image": [str(exc)]}) from None
    output = params["output"]
    if output["keep_metadata"] and output["format"] == "jpeg" and exif_bytes > JPEG_MAX_EXIF_BYTES:
        message = (
            f"This photo's EXIF is {exif_bytes:,} bytes; a JPEG holds at most {JPEG_MAX_EXIF_BYTES:,}. "
            "Set keep_metadata to false, or ask for PNG or WebP output."
        )
        raise InvalidParams({"output": {"keep_metadata": [message]}})
    cost = estimate((source.width, source.height), params["filters"], params["output"]["format"], len(params["image"]))
    if frames > 1:  # every frame's pipeline, and every finished frame held until the encode
        held = (frames - 1) * cost.largest_pixels * BYTES_PER_PIXEL
        cost = dataclasses.replace(cost, cpu_seconds=cost.cpu_seconds * frames, memory_bytes=cost.memory_bytes + held)
    if cost.cpu_seconds > cpu_limit:
        errors["filters"] = [
            f"This pipeline needs about {cost.cpu_seconds:.1f} s of CPU on a "
            f"{source.width}x{source.height} image; your limit is {cpu_limit:g} s."
        ]
    if cost.memory_bytes > memory_limit * MIB:
        errors["filters"] = [
            *errors.get("filters", []),
            f"This pipeline needs about {cost.memory_bytes // MIB:,} MB of memory; your limit is {memory_limit:,} MB.",
        ]
    if errors:
        raise InvalidParams(errors)
    return {**params, "max_pixels": max_pixels, "cpu_limit_s": cpu_limit}


def result_bound(params: Mapping[str, Any]) -> int:
    """The encoded output's worst case: 5 bytes a pixel of every frame (RGBA, and what PNG's row
    filters and stored deflate blocks add to noise), plus any metadata kept (no more than came in)."""
    source = SourceInfo(**params["source"])
    output = params["output"]
    frames = source.frames if output["animated"] else 1
    pixels = estimate((source.width, source.height), params["filters"], output["format"], 0).output_pixels
    return pixels * frames * 5 + 64 * 1024 + (len(params["image"]) if output["keep_metadata"] else 0)


class FlatPhotoSubmission(serializers.Serializer):
    """The seed's "filter + photo", without `kind`: `image` (base64 or a `data:` URL), and `filter` (a
    name, or `{"name": ..., ...params}`) or `filters` (a list of those, or of steps). Names in any
    case, with the aliases GET /filters lists (Negative, Greyscale, Gray...)."""

    image = serializers.CharField(help_text="Base64 image data or a data: URL.")
    filter = serializers.JSONField(required=False, help_text='"Negative", or {"name": "Blur", "radius": 3}.')
    filters = serializers.ListField(child=serializers.JSONField(), required=False)
    output = OutputParams(required=False)


def _flat_step(step: Any) -> Any:
    if isinstance(step, str):
        return {"op": step}
    if isinstance(step, Mapping) and "name" in step and "op" not in step:
        return {"op": step["name"], **{key: value for key, value in step.items() if key != "name"}}
    return step  # a step object already, or something the step field will name as wrong


def from_flat(body: Mapping[str, Any]) -> dict[str, Any]:
    """`{"image", "filter" | "filters", "output"?}` -> the image kind's params."""
    allowed = {"image", "filter", "filters", "output"}
    errors = unknown_keys(body, allowed, "photo")
    if ("filter" in body) == ("filters" in body):
        errors["filter"] = ["Give either `filter` (one) or `filters` (a list)."]
    elif "filters" in body and not isinstance(body["filters"], list):
        errors["filters"] = ["A list of filter names or steps."]
    if errors:
        raise serializers.ValidationError(errors)
    steps = [body["filter"]] if "filter" in body else body["filters"]
    params = {"image": body["image"], "filters": [_flat_step(step) for step in steps]}
    return {**params, **({"output": body["output"]} if "output" in body else {})}


class FilterOpSerializer(serializers.Serializer):
    op = serializers.CharField()
    summary = serializers.CharField()
    aliases = serializers.ListField(
        child=serializers.CharField(), help_text="Other names this op answers to, in any case (e.g. Negative)."
    )
    params_schema = serializers.DictField(help_text="JSON Schema of one step using this op.")
    example = serializers.DictField(help_text="A valid step.")


def filter_ops() -> list[dict[str, Any]]:
    return [
        {
            "op": name,
            "summary": op.summary,
            "aliases": list(op.aliases),
            "params_schema": STEPS[name],
            "example": op.example,
        }
        for name, op in OPS.items()
    ]


class ImageUploadSerializer(serializers.Serializer):
    """`POST /task` as multipart/form-data: the photo editor with a file upload. `kind` may be left
    out: a form with an `image` file is a photo (give `filters`, or one `filter` by name).
    `filters` and `output` parts are JSON (the upload's encoding); `filters` may also be one part
    holding the whole JSON array."""

    kind = documented(serializers.CharField, {"type": "string", "enum": ["image"]}, required=False)
    image = serializers.FileField(help_text="The photo: PNG, JPEG, WebP, GIF or BMP.")
    filters = documented(
        serializers.ListField,
        {
            "type": "array",
            "items": {"type": "object", "required": ["op"], "properties": {"op": {"type": "string"}}},
            "example": [{"op": "resize", "width": 800}, {"op": "grayscale"}],  # Swagger UI's form starts with it
        },
        child=FilterStepField(),
        required=False,
        help_text="Steps (see `GET /filters` for each op's parameters), one JSON object per part, or one part "
        "with the JSON array; or send `filter` instead.",
    )
    filter = documented(
        serializers.CharField,
        {"type": "string", "example": ""},  # left empty in Swagger UI's form, where `filters` is filled
        required=False,
        allow_blank=True,
        help_text="One filter by name (any case, aliases as in `GET /filters`, e.g. `Negative`), or a JSON step; "
        "instead of `filters`.",
    )
    output = OutputParams(required=False, help_text="`format`, `quality`, `keep_metadata`, `animated`.")


KIND = TaskKind(
    name="image",
    summary="Photo editor: apply a pipeline of filter steps (see GET /filters) to an image.",
    params_serializer=ImageParams,
    handler=run,
    restrict=restrict,
    result_bound=result_bound,
    flat=FlatShape(markers=frozenset({"image"}), to_params=from_flat, schema=FlatPhotoSubmission),
    catalog=Catalog(
        "filters",
        "The photo editor's filter ops, with parameters and an example step each",
        FilterOpSerializer,
        filter_ops,
    ),
    result_types=tuple(CONTENT_TYPES.values()),
    readiness={"image_convolutions": vips.engine},
    limits=LIMITS,
    upload=Upload(
        ImageUploadSerializer,
        lists=frozenset({"filters"}),
        blank=frozenset({"filter"}),
        text=frozenset({"filter"}),
        encoding={"filters": {"contentType": "application/json"}, "output": {"contentType": "application/json"}},
    ),
)
