"""The matrix kind against numpy itself: products, powers, limits, results, progress, cancel."""

import io
import json
import zlib

import numpy as np
import pytest

from kinds.matrix import kind
from tasks.errors import InvalidParams
from tasks.kinds import get_kind
from tasks.kinds.base import TaskCancelled
from tests.support import FakeContext

ROOMY = {"max_dimension": 4096, "max_elements": 16_777_216, "max_gflop": 300}


def run(params, ceilings=ROOMY, context=None):
    cleaned = get_kind("matrix").validate(params, ceilings)
    return kind.run(context or FakeContext(), cleaned)


def decoded(result):
    if result.content_type == kind.NPY:
        return np.load(io.BytesIO(result.data), allow_pickle=False)
    return np.asarray(json.loads(result.data)["result"])


def test_a_product_is_numpys_with_its_shape_dtype_and_checksum():
    a, b = [[1, 2, 3], [4, 5, 6]], [[7, 8], [9, 10], [11, 12]]
    result = run({"a": a, "b": b, "dtype": "int64"})
    expected = np.array(a) @ np.array(b)
    assert result.content_type == "application/json" and (decoded(result) == expected).all()
    assert result.meta["shape"] == [2, 2] and result.meta["dtype"] == "int64"
    assert result.meta["checksum"] == f"crc32:{zlib.crc32(expected.astype(np.int64).tobytes()):08x}"
    assert json.loads(result.data)["checksum"] == result.meta["checksum"]


@pytest.mark.parametrize("exponent", [1, 2, 5, 8, 13])
def test_a_power_is_numpys_matrix_power(exponent):
    a = [[1, 1], [1, 0]]  # Fibonacci: exact in int64
    result = run({"a": a, "power": exponent, "dtype": "int64"})
    assert (decoded(result) == np.linalg.matrix_power(np.array(a), exponent)).all()


def test_generated_matrices_are_the_same_for_a_seed_and_large_results_are_npy():
    params = {"a": {"shape": [300, 200], "seed": 7}, "b": {"shape": [200, 300], "seed": 8}}
    first, second = run(params), run(params)
    assert first.content_type == kind.NPY and first.filename == "product.npy"
    assert first.meta == second.meta and first.meta["shape"] == [300, 300]
    a = np.random.default_rng(7).uniform(-1.0, 1.0, size=(300, 200))
    b = np.random.default_rng(8).uniform(-1.0, 1.0, size=(200, 300))
    assert np.allclose(decoded(first), a @ b)


def test_float32_is_computed_in_float32():
    result = run({"a": {"shape": [4, 4], "seed": 1}, "power": 3, "dtype": "float32"})
    assert result.meta["dtype"] == "float32"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"a": [[1, 2]], "b": [[1, 2]]}, "b"),  # inner dimensions differ
        ({"a": [[1, 2]], "power": 2}, "power"),  # not square
        ({"a": [[1]], "b": [[1]], "power": 2}, "b"),  # both
        ({"a": [[1]]}, "b"),  # neither
        ({"a": [[1, 2], [3]], "b": [[1]]}, "a"),  # ragged
        ({"a": [[True]], "b": [[1]]}, "a"),  # not a number
        ({"a": [[1e308 * 10]], "b": [[1]]}, "a"),  # not finite
        ({"a": {"shape": [0, 3]}, "power": 2}, "a"),  # empty
        ({"a": {"shape": [2, 2], "seed": -1}, "power": 2}, "a"),
        ({"a": [[1]], "power": 2, "dtype": "complex128"}, "dtype"),
    ],
)
def test_malformed_params_name_the_field(params, field):
    with pytest.raises(InvalidParams) as caught:
        get_kind("matrix").validate(params, ROOMY)
    assert field in caught.value.errors, caught.value.errors


def test_limits_are_checked_from_the_shapes_at_submit():
    small = {"max_dimension": 100, "max_elements": 5_000, "max_gflop": 0.01}
    with pytest.raises(InvalidParams) as caught:
        get_kind("matrix").validate({"a": {"shape": [101, 10]}, "b": {"shape": [10, 10]}}, small)
    assert "At most 100 rows or columns" in caught.value.errors["a"][0]
    with pytest.raises(InvalidParams) as caught:
        get_kind("matrix").validate({"a": {"shape": [80, 80]}, "power": 1000}, small)
    assert "GFLOP" in caught.value.errors["power"][0] and "elements" in caught.value.errors["a"][0]
    assert get_kind("matrix").validate({"a": {"shape": [50, 50]}, "power": 4}, small)["power"] == 4


def test_blocks_are_big_enough_for_blas_and_small_enough_to_cancel():
    assert kind.block_rows(1024, 1024, 1024) == 512  # two calls of 2^30 operations
    assert kind.block_rows(4096, 4096, 4096) == kind.BLOCK_ROWS  # 16 calls, none under 256 rows
    assert kind.block_rows(100_000, 8, 8) >= 100_000  # a thin product is one call


def test_progress_comes_in_row_blocks_and_cancel_stops_between_them(monkeypatch):
    monkeypatch.setattr(kind, "BLOCK_FLOP", 1)
    context = FakeContext()
    run({"a": {"shape": [kind.BLOCK_ROWS * 4, 8]}, "b": {"shape": [8, 8]}}, context=context)
    assert context.progress == pytest.approx([0.25, 0.5, 0.75, 1.0])
    cancelling = FakeContext(cancel_after=2)
    with pytest.raises(TaskCancelled):
        run({"a": {"shape": [kind.BLOCK_ROWS * 4, 8]}, "b": {"shape": [8, 8]}}, context=cancelling)
    assert len(cancelling.progress) == 2


def test_int64_products_that_could_overflow_fail_instead_of_wrapping():
    with pytest.raises(ValueError, match="overflow"):
        run({"a": [[2**40, 0], [0, 2**40]], "power": 2, "dtype": "int64"})


def test_float_results_that_overflow_fail():
    with pytest.raises(ValueError, match="overflows"):
        run({"a": [[1e200]], "b": [[1e200]]})


def test_blas_gets_the_workers_share_of_the_cores(monkeypatch):
    from threadpoolctl import threadpool_info

    monkeypatch.setattr(kind, "_blas_threads", None)
    kind.pin_blas_threads()
    assert all(pool["num_threads"] == kind._blas_threads for pool in threadpool_info() if pool["user_api"] == "blas")


def test_int64_counts_fifty_times_against_the_gflop_quota():
    """Issue 25 item 5: int64 products ran ~15-47x slower than float64 at the same GFLOP quota,
    so the quota that bounds a float64 task's time let an int64 one hold a worker for minutes."""
    quota = {**ROOMY, "max_gflop": 1}
    square = {"a": {"shape": [400, 400]}, "b": {"shape": [400, 400]}}  # 0.128 GFLOP
    assert get_kind("matrix").validate({**square, "dtype": "float64"}, quota)
    with pytest.raises(InvalidParams) as caught:
        get_kind("matrix").validate({**square, "dtype": "int64"}, quota)
    assert "6.4 GFLOP (int64 counts 50x" in caught.value.errors["b"][0]
