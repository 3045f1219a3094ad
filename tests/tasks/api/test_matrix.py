"""The matrix kind through the API, on each store: submit, status meta, result, and the
anonymous limits (lower than a user's) refused at submit."""

import io

import numpy as np
import pytest

from tests.support import assert_problem


def test_a_product_runs_and_its_status_carries_shape_dtype_and_checksum(api, submit, wait_status):
    task_id = submit("matrix", a=[[1, 2], [3, 4]], b=[[5, 6], [7, 8]], dtype="int64")
    status = wait_status(task_id, "ready")
    assert status["result"]["meta"]["shape"] == [2, 2] and status["result"]["meta"]["checksum"].startswith("crc32:")
    body = api.get(f"/result/{task_id}").json()
    assert body["result"]["result"] == [[19, 22], [43, 50]]


def test_a_large_result_is_a_npy_file(api, submit, wait_status):
    task_id = submit("matrix", a={"shape": [300, 300], "seed": 3}, power=2)
    assert wait_status(task_id, "ready")["result"]["content_type"] == "application/x-npy"
    response = api.get(f"/result/{task_id}")
    assert response["Content-Type"] == "application/x-npy"
    product = np.load(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))
    a = np.random.default_rng(3).uniform(-1.0, 1.0, size=(300, 300))
    assert np.allclose(product, a @ a)


@pytest.mark.default_quotas
def test_anonymous_callers_get_the_lower_limits_and_users_the_higher(api, issue_key, client_with_key):
    body = {"kind": "matrix", "params": {"a": {"shape": [1000, 1000]}, "power": 2}}
    assert_problem(api.post("/task", body, format="json"), 400, "invalid-params")
    assert client_with_key(issue_key("matrix-user")).post("/task", body, format="json").status_code == 201
    me = client_with_key().get("/me").json()
    assert me["quotas"]["matrix"] == {"max_dimension": 512, "max_elements": 262_144, "max_gflop": 2}
