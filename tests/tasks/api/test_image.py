"""The photo editor through the API: both submission forms, every bad input, the results."""

import base64
import io
import json

import pytest
from PIL import Image

from tests.images import decode, encoded, noise, photo, png_bomb
from tests.support import assert_problem

GRAY_RESIZE = [{"op": "resize", "width": 32}, {"op": "grayscale"}]


def upload(api, data: bytes, filters=GRAY_RESIZE, name="photo.png", **fields):
    form = {"kind": "image", "image": io.BytesIO(data), "filters": json.dumps(filters)}
    form["image"].name = name
    form.update({key: json.dumps(value) for key, value in fields.items()})
    return api.post("/task", form, format="multipart")


def submit_json(api, data: bytes, filters=GRAY_RESIZE, **params):
    payload = {"kind": "image", "params": {"image": base64.b64encode(data).decode(), "filters": filters, **params}}
    return api.post("/task", payload, format="json")


def finished(api, wait_status, response, status="ready"):
    assert response.status_code == 201, response.content
    task_id = response.json()["task_id"]
    return task_id, wait_status(task_id, status)


def test_multipart_upload_gives_an_edited_png(api, wait_status):
    task_id, status = finished(api, wait_status, upload(api, encoded(photo(64, 48))))
    assert status["result"]["content_type"] == "image/png"
    assert status["result"]["meta"]["width"] == 32 and status["result"]["meta"]["height"] == 24
    response = api.get(f"/result/{task_id}")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="edited.png"'
    result = decode(response.content)
    assert result.size == (32, 24)
    assert all(r == g == b for r, g, b in result.convert("RGB").get_flattened_data())


def test_multipart_json_parts_and_empty_fields_as_swagger_ui_sends_them(api, wait_status):
    """Swagger UI sends `filters` and `output` as application/json parts (the schema's encoding),
    and its empty `filter` text field: a JSON part is JSON, an empty `filter` is one not given."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    def part(value) -> SimpleUploadedFile:
        return SimpleUploadedFile("blob", json.dumps(value).encode(), content_type="application/json")

    image = io.BytesIO(encoded(photo(64, 48)))
    image.name = "photo.png"
    form = {"kind": "image", "image": image, "filters": part(GRAY_RESIZE), "filter": ""}
    form["output"] = part({"format": "webp"})
    task_id, status = finished(api, wait_status, api.post("/task", form, format="multipart"))
    assert status["result"]["meta"]["width"] == 32 and api.get(f"/result/{task_id}").content[8:12] == b"WEBP"


def test_json_with_base64_image(api, wait_status):
    task_id, _ = finished(api, wait_status, submit_json(api, encoded(photo()), output={"format": "webp"}))
    assert api.get(f"/result/{task_id}").content[8:12] == b"WEBP"


@pytest.mark.parametrize(
    ("source_format", "output", "magic"),
    [
        ("PNG", None, b"\x89PNG"),
        ("JPEG", None, b"\xff\xd8\xff"),
        ("WEBP", None, b"RIFF"),
        ("GIF", None, b"\x89PNG"),  # not an output format: PNG
        ("PNG", {"format": "jpeg", "quality": 50}, b"\xff\xd8\xff"),
        ("JPEG", {"format": "png"}, b"\x89PNG"),
    ],
)
def test_output_formats(api, wait_status, source_format, output, magic):
    extra = {"output": output} if output else {}
    task_id, _ = finished(api, wait_status, submit_json(api, encoded(photo(), source_format), **extra))
    assert api.get(f"/result/{task_id}").content.startswith(magic)


def test_damaged_but_whole_data_fails_the_task_with_the_decoder_s_reason(api, wait_status):
    """The web tier checks the structure only (kinds/image/source.verify_stream): damage inside a
    whole zlib stream is found by the decoder at run time, and said."""
    data = bytearray(encoded(photo(64, 48)))
    start = data.index(b"IDAT") + 4
    data[start + 2 : start + 40] = bytes(38)
    _, status = finished(api, wait_status, submit_json(api, bytes(data)), status="failed")
    assert "the image data is damaged and cannot be decoded (broken data stream" in status["error"], status


def test_no_steps_only_converts_the_format(api, wait_status):
    source = photo(40, 30)
    response = submit_json(api, encoded(source, "JPEG"), filters=[], output={"format": "webp", "quality": 80})
    task_id, status = finished(api, wait_status, response)
    converted = decode(api.get(f"/result/{task_id}").content)
    assert (converted.format, converted.size) == ("WEBP", (40, 30)) and status["progress"] == 1.0


def test_progress_and_pipeline_of_many_steps(api, wait_status):
    steps = [
        {"op": "rotate", "degrees": 90},
        {"op": "flip", "direction": "vertical"},
        {"op": "sepia"},
        {"op": "crop", "left": 0, "top": 0, "right": 20, "bottom": 30},
        {"op": "invert"},
    ]
    task_id, status = finished(api, wait_status, submit_json(api, encoded(photo(64, 48)), filters=steps))
    assert status["progress"] == 1.0
    assert decode(api.get(f"/result/{task_id}").content).size == (20, 30)


def test_exif_orientation_honoured_and_metadata_dropped(api, wait_status):
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Secret Camera Co"
    gps = exif.get_ifd(0x8825)
    gps[2] = (52.0, 31.0, 0.0)
    data = encoded(photo(40, 20), "JPEG", exif=exif.tobytes())
    task_id, _ = finished(api, wait_status, submit_json(api, data, filters=[{"op": "sharpen"}]))
    result = decode(api.get(f"/result/{task_id}").content)
    assert result.size == (20, 40)
    assert len(result.getexif()) == 0


def test_metadata_kept_when_asked(api, wait_status):
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Camera Co"
    data = encoded(photo(40, 20), "JPEG", exif=exif.tobytes())
    extra = {"output": {"keep_metadata": True}}
    task_id, _ = finished(api, wait_status, submit_json(api, data, filters=[{"op": "sharpen"}], **extra))
    kept = decode(api.get(f"/result/{task_id}").content).getexif()
    assert kept[0x010F] == "Camera Co" and kept[0x0112] == 1  # already upright


def test_animated_gif_processes_the_first_frame(api, wait_status):
    frames = [Image.new("RGB", (8, 8), colour) for colour in ("red", "blue")]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    task_id, status = finished(api, wait_status, submit_json(api, data, filters=[{"op": "invert"}]))
    assert status["result"]["meta"]["source"]["frames"] == 2
    assert status["result"]["meta"]["frames_processed"] == 1
    assert decode(api.get(f"/result/{task_id}").content).convert("RGB").getpixel((1, 1)) == (0, 255, 255)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"plain text renamed to .png", "not an image"),
        (encoded(photo(200, 200))[:700], "truncated"),
        (png_bomb(), "10,000,000,000 pixels"),
        (encoded(photo(), "TIFF"), "unsupported format"),
    ],
    ids=["text-as-png", "truncated-png", "bomb-png", "tiff"],
)
def test_bad_images_are_400_naming_the_field(api, data, message):
    for response in (upload(api, data), submit_json(api, data)):
        body = assert_problem(response, 400, "invalid-params")
        assert body["errors"][0]["pointer"] == "#/params/image" and message in body["detail"]


def test_oversized_upload_is_413_while_reading(api, settings):
    settings.IMAGE_MAX_BYTES = 2000
    data = encoded(noise())
    body = assert_problem(upload(api, data), 413, "input-too-large")
    assert body["errors"] == [{"pointer": "#/image", "detail": "image is larger than 2,000 bytes."}]
    body = assert_problem(submit_json(api, data), 413, "input-too-large")
    assert body["errors"][0]["pointer"] == "#/params/image"


def test_upload_handler_stops_reading_past_the_limit(rf):
    from httpapi.parsers import BoundedUploadHandler, UploadTooLarge

    handler = BoundedUploadHandler(rf.post("/task"), limit=10)
    handler.new_file("image", "a.png", "image/png", 100)
    handler.receive_data_chunk(b"12345", 0)
    with pytest.raises(UploadTooLarge):
        handler.receive_data_chunk(b"678901", 5)


@pytest.mark.parametrize(
    ("filters", "pointer"),
    [
        ([{"op": "melt"}], "#/params/filters/0/op"),
        ([{"op": "grayscale"}, {"op": "blur", "radius": 1000}], "#/params/filters/1/radius"),
        (["grayscale"], "#/params/filters/0/op"),
        ([{"op": "grayscale"}] * 21, "#/params/filters"),
        ("grayscale", "#/params/filters"),
    ],
    ids=["unknown-op", "out-of-range", "not-an-object", "too-many-steps", "not-a-list"],
)
def test_bad_pipelines_are_400_naming_the_step(api, filters, pointer):
    body = assert_problem(submit_json(api, encoded(photo()), filters=filters), 400, "invalid-params")
    assert body["errors"][0]["pointer"] == pointer


def test_form_fields_must_be_json(api):
    form = {"kind": "image", "image": io.BytesIO(encoded(photo())), "filters": "grayscale please"}
    body = assert_problem(api.post("/task", form, format="multipart"), 400, "invalid-request")
    assert body["errors"][0]["pointer"] == "#/filters"


def test_bad_base64_is_400(api):
    payload = {"kind": "image", "params": {"image": "%%%not base64", "filters": GRAY_RESIZE}}
    body = assert_problem(api.post("/task", payload, format="json"), 400, "invalid-params")
    assert body["errors"][0]["pointer"] == "#/params/image"


def test_a_step_failing_at_run_time_fails_the_task_and_service_goes_on(api, wait_status):
    crop = [{"op": "resize", "width": 10}, {"op": "crop", "left": 0, "top": 0, "right": 50, "bottom": 5}]
    _, status = finished(api, wait_status, submit_json(api, encoded(photo()), filters=crop), status="failed")
    assert "step 1 (crop)" in status["error"] and "does not fit" in status["error"]
    finished(api, wait_status, submit_json(api, encoded(photo())))  # still serving


def test_filters_menu_lists_every_op_with_schema_and_example(api):
    menu = {item["op"]: item for item in api.get("/filters").json()}
    assert set(menu) >= {"grayscale", "sepia", "blur", "resize", "crop", "thumbnail", "rotate", "posterize"}
    blur = menu["blur"]
    assert blur["params_schema"]["properties"]["radius"]["maximum"] == 50.0
    assert blur["example"] == {"op": "blur", "radius": 2.5}


def animation(colours=("red", "blue", "green"), durations=(80, 120, 200), loop=2, size=(16, 12)) -> bytes:
    frames = [Image.new("RGB", size, colour) for colour in colours]
    return encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=list(durations), loop=loop)


def frames_of(data: bytes) -> list[tuple[Image.Image, int]]:
    image = Image.open(io.BytesIO(data))
    found = []
    for index in range(image.n_frames):
        image.seek(index)
        found.append((image.convert("RGB"), image.info.get("duration")))
    return found


@pytest.mark.parametrize("output_format", ["gif", "webp"])
def test_animated_output_edits_every_frame_and_keeps_durations_and_loop(api, wait_status, output_format):
    output = {"animated": True, "format": output_format}
    filters = [{"op": "resize", "width": 8}, {"op": "invert"}]
    task_id, status = finished(api, wait_status, submit_json(api, animation(), filters, output=output))
    assert (
        status["result"]["meta"]["frames_processed"] == 3
        and status["result"]["content_type"] == f"image/{output_format}"
    )
    data = api.get(f"/result/{task_id}").content
    frames = frames_of(data)
    assert [duration for _, duration in frames] == [80, 120, 200]
    assert Image.open(io.BytesIO(data)).info.get("loop") == 2
    inverted = [(0, 255, 255), (255, 255, 0), (255, 127, 255)]  # red, blue and green (0, 128, 0), inverted
    for (frame, _), expected in zip(frames, inverted, strict=True):
        assert frame.size == (8, 6)
        assert all(abs(a - b) <= 8 for a, b in zip(frame.getpixel((4, 3)), expected, strict=True)), frame.getpixel(
            (4, 3)
        )


def test_animated_is_refused_where_it_cannot_be_kept_or_afforded(api, settings):
    settings.IMAGE_MAX_FRAMES = 2
    body = submit_json(api, animation(), output={"animated": True})
    assert assert_problem(body, 400, "invalid-params")["errors"][0]["pointer"] == "#/params/image"
    settings.IMAGE_MAX_FRAMES = 100
    body = submit_json(api, animation(), output={"animated": True, "format": "jpeg"})
    assert assert_problem(body, 400, "invalid-params")["errors"][0]["pointer"] == "#/params/output/format"
    settings.IMAGE_MAX_PIXELS = 16 * 12 * 2  # two frames' worth: three frames are over
    problem = assert_problem(submit_json(api, animation(), output={"animated": True}), 400, "invalid-params")
    assert "x 3 frames" in problem["detail"]
    assert submit_json(api, animation()).status_code == 201  # the first frame alone fits


def test_an_animated_source_defaults_to_its_own_animated_format(api, wait_status):
    task_id, status = finished(api, wait_status, submit_json(api, animation(), output={"animated": True}))
    assert (
        status["result"]["content_type"] == "image/gif" and len(frames_of(api.get(f"/result/{task_id}").content)) == 3
    )
