"""The matrix multiplier (kind `matrix`), the seed's third example: A @ B, or A^k, with numpy.

Matrices come as JSON arrays of rows, or as `{"shape": [n, m], "seed": s}` to be generated on
the worker (load tests without 8 MB bodies). Sizes are checked at submit against the caller's
limits (dimension, elements, GFLOP), which this module declares; the product is computed in
row blocks, reporting progress and noticing cancellation between them. Small results are JSON,
larger ones a `.npy` file; both carry shape, dtype and a CRC-32 of the values in the status.
"""

from __future__ import annotations

import io
import json
import math
import os
import threading
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np
from django.conf import settings
from rest_framework import serializers
from threadpoolctl import threadpool_limits

from core.env import env_int
from core.limits import Limit
from httpapi.serializers import StrictIntegerField, StrictSerializer
from tasks.domain import TaskResult
from tasks.errors import InvalidParams
from tasks.kinds.base import Ceilings, Context, Documented, ParamsSerializer, TaskCancelled, TaskKind

DTYPES = {"float64": np.float64, "float32": np.float32, "int64": np.int64}
NPY = "application/x-npy"
# What a GFLOP of each dtype costs against max_gflop, in float64 GFLOP: numpy multiplies integers
# without BLAS, ~47x slower than float64 on one core of the benchmark machine (0.73 against 34
# GFLOP/s, n=512), so the quota that bounds a float64 task's time bounds an int64 one's too.
DTYPE_COST = {"float64": 1, "float32": 1, "int64": 50}
# Results up to this many elements are answered as JSON; above, as a .npy file.
JSON_MAX_ELEMENTS = env_int("MATRIX_JSON_MAX_ELEMENTS", 65_536, minimum=0)
# A block is one BLAS call, between which progress and cancellation are seen. Each call packs the
# whole right matrix again, so blocks are at least BLOCK_ROWS rows and BLOCK_FLOP operations (about
# 17 ms on one core here): 1024 x 1024 in blocks of 256 rows took 5% longer than in blocks of 512.
BLOCK_ROWS = 256
BLOCK_FLOP = 2**30
MAX_POWER = 1 << 20

LIMITS = (
    Limit(
        "max_dimension",
        "Rows or columns of any matrix.",
        "MATRIX_MAX_DIMENSION",
        "QUOTA_ANON_MATRIX_DIMENSION",
        maximum_default=env_int("MATRIX_MAX_DIMENSION", 4096, minimum=1),
        anonymous_default=env_int("QUOTA_ANON_MATRIX_DIMENSION", 512, minimum=1),
    ),
    Limit(
        "max_elements",
        "Elements of any one matrix, the result included.",
        "MATRIX_MAX_ELEMENTS",
        "QUOTA_ANON_MATRIX_ELEMENTS",
        maximum_default=env_int("MATRIX_MAX_ELEMENTS", 16_777_216, minimum=1),
        anonymous_default=env_int("QUOTA_ANON_MATRIX_ELEMENTS", 262_144, minimum=1),
    ),
    Limit(
        "max_gflop",
        "Billions of floating-point operations per task (2nmp for an n x m by m x p product; "
        "int64 counts 50 times: no BLAS for integers).",
        "MATRIX_MAX_GFLOP",
        "QUOTA_ANON_MATRIX_GFLOP",
        maximum_default=env_int("MATRIX_MAX_GFLOP", 300, minimum=1),
        anonymous_default=env_int("QUOTA_ANON_MATRIX_GFLOP", 2, minimum=1),
    ),
)


class GeneratedMatrix(StrictSerializer):
    """A matrix made on the worker: uniform in [-1, 1) (integers in [-9, 9]), the same for a seed."""

    shape = serializers.ListField(child=StrictIntegerField(min_value=1), min_length=2, max_length=2)
    seed = StrictIntegerField(default=0, min_value=0, max_value=2**63 - 1)


class MatrixField(Documented, serializers.Field):
    """Rows of numbers, or a generated matrix's shape and seed."""

    schema = {
        "oneOf": [
            {"type": "array", "items": {"type": "array", "items": {"type": "number"}}, "minItems": 1},
            {
                "type": "object",
                "properties": {
                    "shape": {
                        "type": "array",
                        "items": {"type": "integer", "minimum": 1},
                        "minItems": 2,
                        "maxItems": 2,
                    },
                    "seed": {"type": "integer", "minimum": 0, "default": 0},
                },
                "required": ["shape"],
                "additionalProperties": False,
            },
        ],
        "description": "Rows of numbers, all of one length; or `{shape, seed}` to generate it.",
    }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, Mapping):
            return {"generated": dict(GeneratedMatrix().run_validation(data))}
        if not isinstance(data, list) or not data or not all(isinstance(row, list) and row for row in data):
            raise serializers.ValidationError("Expected a non-empty array of non-empty rows, or {shape, seed}.")
        width = len(data[0])
        for index, row in enumerate(data):
            if len(row) != width:
                raise serializers.ValidationError(f"Row {index} has {len(row)} numbers; row 0 has {width}.")
            if not all(_finite_number(value) for value in row):
                raise serializers.ValidationError(f"Row {index} holds something other than a finite number.")
        return {"rows": data}


def _finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class MatrixParams(ParamsSerializer):
    """Parameters of the `matrix` kind: `a` and either `b` (A @ B) or `power` (A^k, A square)."""

    a = MatrixField()
    b = MatrixField(required=False)
    power = StrictIntegerField(required=False, min_value=1, max_value=MAX_POWER, help_text="A^power instead of A @ B.")
    dtype = serializers.ChoiceField(choices=list(DTYPES), default="float64")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("b" in attrs) == ("power" in attrs):
            raise serializers.ValidationError({"b": ["Give either b (for A @ B) or power (for A^power), not both."]})
        a, b = shape_of(attrs["a"]), shape_of(attrs["b"]) if "b" in attrs else None
        if b is not None and a[1] != b[0]:
            raise serializers.ValidationError({"b": [f"A is {a[0]}x{a[1]}, so B needs {a[1]} rows, not {b[0]}."]})
        if b is None and a[0] != a[1]:
            raise serializers.ValidationError({"power": [f"A power needs a square A; A is {a[0]}x{a[1]}."]})
        return attrs


def shape_of(matrix: Mapping[str, Any]) -> tuple[int, int]:
    if "generated" in matrix:
        rows, columns = matrix["generated"]["shape"]
        return rows, columns
    return len(matrix["rows"]), len(matrix["rows"][0])


def multiplications(power: int) -> int:
    """Products that square-and-multiply takes for A^power."""
    return power.bit_length() - 1 + power.bit_count() - 1


def restrict(params: dict[str, Any], asked: Mapping[str, Any], ceilings: Ceilings) -> dict[str, Any]:
    """The caller's limits, from the shapes alone: nothing is generated or multiplied yet."""
    (n, m), power = shape_of(params["a"]), params.get("power")
    p = m if power else shape_of(params["b"])[1]
    products = multiplications(power) if power else 1
    errors: dict[str, list[str]] = {}
    if max(n, m, p) > ceilings["max_dimension"]:
        errors["a"] = [f"At most {ceilings['max_dimension']:,} rows or columns for your quota."]
    if max(n * m, m * p, n * p) > ceilings["max_elements"]:
        errors.setdefault("a", []).append(f"At most {ceilings['max_elements']:,} elements per matrix for your quota.")
    weight = DTYPE_COST[params["dtype"]]
    gflop = 2 * n * m * p * products / 1e9 * weight
    if gflop > ceilings["max_gflop"]:
        allowed = ceilings["max_gflop"]
        counted = f" (int64 counts {weight}x: integers get no BLAS)" if weight > 1 else ""
        errors["power" if power else "b"] = [f"This takes {gflop:,.1f} GFLOP{counted}; your quota allows {allowed:,}."]
    if errors:
        raise InvalidParams(errors)
    return params


JSON_BYTES_PER_ELEMENT = 27  # "-1.7976931348623157e+308," and a share of the row's brackets


def result_bound(params: Mapping[str, Any]) -> int:
    """JSON up to JSON_MAX_ELEMENTS values, else .npy: 8 bytes a value and its header."""
    (n, m), power = shape_of(params["a"]), params.get("power")
    elements = n * (m if power else shape_of(params["b"])[1])
    per_element = JSON_BYTES_PER_ELEMENT if elements <= JSON_MAX_ELEMENTS else 8
    return elements * per_element + 1024


def materialize(matrix: Mapping[str, Any], dtype: str) -> np.ndarray:
    if "rows" in matrix:
        return np.asarray(matrix["rows"], dtype=DTYPES[dtype])
    generated = matrix["generated"]
    random = np.random.default_rng(generated["seed"])
    if dtype == "int64":
        return random.integers(-9, 10, size=generated["shape"], dtype=np.int64)
    return random.uniform(-1.0, 1.0, size=generated["shape"]).astype(DTYPES[dtype], copy=False)


class Product:
    """The products a task takes, in row blocks: progress after each, cancellation before each."""

    def __init__(self, context: Context, count: int) -> None:
        self._context = context
        self._count = count
        self._done = 0

    def __call__(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        _check_int64(left, right)
        out = np.empty((left.shape[0], right.shape[1]), dtype=np.result_type(left, right))
        rows = block_rows(*left.shape, right.shape[1])
        blocks = range(0, left.shape[0], rows)
        for index, start in enumerate(blocks):
            if self._context.cancelled():
                raise TaskCancelled
            with np.errstate(over="ignore", invalid="ignore"):  # an overflow fails the task after
                np.matmul(left[start : start + rows], right, out=out[start : start + rows])
            self._context.report_progress((self._done + (index + 1) / len(blocks)) / self._count)
        self._done += 1
        return out


def block_rows(n: int, m: int, p: int) -> int:
    """Rows of an n x m by m x p product per BLAS call: BLOCK_ROWS, or more to reach BLOCK_FLOP."""
    return max(BLOCK_ROWS, -(-BLOCK_FLOP // (2 * m * p)))


def _check_int64(left: np.ndarray, right: np.ndarray) -> None:
    """numpy's int64 products wrap silently: refuse a product whose sums could leave the range."""
    if left.dtype != np.int64:
        return
    bound = int(np.abs(left).max(initial=0)) * int(np.abs(right).max(initial=0)) * left.shape[1]
    if bound > np.iinfo(np.int64).max:
        raise ValueError("The int64 product could overflow; use float64 (or smaller values or powers).")


def power(product: Product, base: np.ndarray, exponent: int) -> np.ndarray:
    result = None
    while True:
        if exponent & 1:
            result = base if result is None else product(result, base)
        exponent >>= 1
        if not exponent:
            return result
        base = product(base, base)


_pinned = threading.Lock()
_blas_threads: int | None = None


def pin_blas_threads() -> None:
    """BLAS gets this worker's share of the cores (MATRIX_BLAS_THREADS, by default the cores over
    TASK_WORKERS), set once per process: OpenBLAS's thread count is global, not per thread."""
    global _blas_threads
    with _pinned:
        if _blas_threads is None:
            share = max(1, (os.cpu_count() or 1) // getattr(settings, "TASK_WORKERS", 1))
            _blas_threads = env_int("MATRIX_BLAS_THREADS", share, minimum=1)
            threadpool_limits(limits=_blas_threads, user_api="blas")


def run(context: Context, params: Mapping[str, Any]) -> TaskResult:
    pin_blas_threads()
    dtype = params["dtype"]
    a = materialize(params["a"], dtype)
    if params.get("power"):
        product = Product(context, multiplications(params["power"]) or 1)
        result = power(product, a, params["power"])
    else:
        product = Product(context, 1)
        result = product(a, materialize(params["b"], dtype))
    if not np.isfinite(result).all():
        raise ValueError(f"The result overflows {dtype}.")
    return encode(np.ascontiguousarray(result))


def encode(result: np.ndarray) -> TaskResult:
    meta = {
        "shape": list(result.shape),
        "dtype": str(result.dtype),
        # CRC-32 finds a damaged or truncated download; SHA-256 took 8% of a 1024 x 1024 task.
        "checksum": f"crc32:{zlib.crc32(memoryview(result).cast('B')):08x}",
    }
    if result.size <= JSON_MAX_ELEMENTS:
        body = {**meta, "result": result.tolist()}
        return TaskResult(json.dumps(body, separators=(",", ":")).encode(), "application/json", None, meta)
    header = io.BytesIO()  # the .npy header, then the values with one copy (np.save took two)
    np.lib.format.write_array_header_1_0(header, np.lib.format.header_data_from_array_1_0(result))
    return TaskResult(b"".join([header.getvalue(), memoryview(result).cast("B")]), NPY, "product.npy", meta)


KIND = TaskKind(
    name="matrix",
    summary="Matrix multiplier: A @ B or A^k with numpy; JSON for small results, .npy for large ones.",
    params_serializer=MatrixParams,
    handler=run,
    restrict=restrict,
    limits=LIMITS,
    result_types=("application/json", NPY),
    result_bound=result_bound,
)
