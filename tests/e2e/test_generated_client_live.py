"""A client generated from the published schema by openapi-python-client (the usual Python
generator) runs the seed flow, an image task, a code task and the records calls on each store:
the schema must work for client generators, not only validate."""

import base64
import importlib
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.images import decode, encoded, photo

pytestmark = pytest.mark.e2e

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "taskservice_client"


@pytest.fixture(scope="module")
def generated(service, tmp_path_factory):
    """The client package, generated from the live server's /api/schema/ and imported."""
    root = tmp_path_factory.mktemp("generated")
    schema = requests.get(f"{service.url}/api/schema/", timeout=10)  # YAML, as a user downloads it
    (root / "schema.yaml").write_bytes(schema.content)
    (root / "config.yaml").write_text("post_hooks: []\n")  # no formatter run on the generated code
    command = [
        str(GENERATOR),
        "generate",
        "--path",
        "schema.yaml",
        "--output-path",
        PACKAGE,
        "--meta",
        "none",
        "--config",
        "config.yaml",
        "--fail-on-warning",
    ]
    run = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def api(package, module: str):
    return importlib.import_module(f"{PACKAGE}.api.{module}")


def model(package, name: str):
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def wait_ready(package, client, task_id: uuid.UUID, timeout: float = 60):
    status_call = api(package, "tasks.get_task_status")
    deadline = time.monotonic() + timeout
    while (status := status_call.sync(task_id, client=client)).status.value == "in_progress":
        assert time.monotonic() < deadline, status
        time.sleep(0.05)
    return status


def submit(package, client, body):
    created = api(package, "tasks.submit_task").sync(client=client, body=body)
    assert isinstance(created, model(package, "TaskCreated")), created
    return created.task_id


def test_the_seed_flow(generated, service):
    client = generated.Client(base_url=service.url)  # anonymous callers are allowed (security: key or none)
    body = model(generated, "SleepSubmissionRequest").from_dict({"kind": "sleep", "params": {"seconds": 0.1}})
    task_id = submit(generated, client, body)
    assert wait_ready(generated, client, task_id).status.value == "ready"
    envelope = api(generated, "tasks.get_task_result").sync(task_id, client=client)
    assert isinstance(envelope, model(generated, "ResultEnvelope")) and envelope.task_id == task_id


def test_an_image_task_with_its_filter_steps_read_through_the_discriminator(generated, service):
    client = generated.Client(base_url=service.url)
    image = base64.b64encode(encoded(photo(64, 48))).decode()
    steps = [{"op": "resize", "width": 32}, {"op": "grayscale"}]
    body = model(generated, "ImageSubmissionRequest").from_dict(
        {"kind": "image", "params": {"image": image, "filters": steps, "output": {"format": "png"}}}
    )
    assert [type(step).__name__ for step in body.params.filters] == ["ResizeStepRequest", "GrayscaleStepRequest"]
    task_id = submit(generated, client, body)
    assert wait_ready(generated, client, task_id).status.value == "ready"
    # The generator parses every 200 as its first content type (JSON); bytes come through its httpx client.
    result = client.get_httpx_client().get(f"/result/{task_id}")
    assert result.status_code == 200 and decode(result.content).size == (32, 24)


def test_a_code_task(generated, service):
    client = generated.Client(base_url=service.url)
    params = {"language": "python", "source": "print(6 * 7)", "limits": {"time_s": 1, "memory_mb": 128}}
    task_id = submit(
        generated, client, model(generated, "CodeSubmissionRequest").from_dict({"kind": "code", "params": params})
    )
    assert wait_ready(generated, client, task_id).status.value == "ready"
    envelope = api(generated, "tasks.get_task_result").sync(task_id, client=client)
    assert envelope.result["run"]["stdout"] == "42\n"


def test_a_matrix_task_of_the_kind_added_last(generated, service):
    client = generated.Client(base_url=service.url)
    body = {"kind": "matrix", "params": {"a": [[1, 2], [3, 4]], "b": [[5, 6], [7, 8]], "dtype": "int64"}}
    task_id = submit(generated, client, model(generated, "MatrixSubmissionRequest").from_dict(body))
    status = wait_ready(generated, client, task_id)
    assert status.status.value == "ready" and status.result.meta["shape"] == [2, 2]
    envelope = api(generated, "tasks.get_task_result").sync(task_id, client=client)
    assert envelope.result["result"] == [[19, 22], [43, 50]]


def test_the_records_calls(generated, service):
    client = generated.Client(base_url=service.url)
    body = model(generated, "RecordsNewBodyType0").from_dict({"text": "from a generated client"})
    saved = api(generated, "records.records_new").sync(client=client, body=body)
    key = saved.uuid
    assert api(generated, "records.records_get").sync(key, client=client).text == "from a generated client"
    assert key in [record.uuid for record in api(generated, "records.records_all").sync(client=client)]
    assert api(generated, "records.records_delete").sync(key, client=client).uuid == key
    assert isinstance(api(generated, "records.records_get").sync(key, client=client), model(generated, "Problem"))
