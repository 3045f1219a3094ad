"""Matrices in and out of files: `.npy` (NumPy's format, read and written here without NumPy:
2-D, C order, little-endian float64, float32 or int64) and CSV (one row per line)."""

from __future__ import annotations

import ast
import csv
import io
import struct
from pathlib import Path

MAGIC = b"\x93NUMPY"
# .npy descr -> (struct code, the service's dtype)
TYPES = {"<f8": ("d", "float64"), "<f4": ("f", "float32"), "<i8": ("q", "int64")}
DESCR = {dtype: descr for descr, (_, dtype) in TYPES.items()}

Rows = list[list[float]] | list[list[int]]


def read(path: Path) -> tuple[Rows, str]:
    """Rows and the dtype the file holds (CSV: int64 if every cell is an integer, else float64)."""
    if path.suffix.lower() == ".npy":
        return from_npy(path.read_bytes())
    with path.open(newline="") as file:
        rows = [[_number(cell) for cell in row] for row in csv.reader(file) if row]
    return rows, ("int64" if rows and all(isinstance(x, int) for row in rows for x in row) else "float64")


def common(first: str, second: str) -> str:
    """The dtype a product of the two is computed in: the same, or float64 when they differ."""
    return first if first == second else "float64"


def from_npy(data: bytes) -> tuple[Rows, str]:
    if not data.startswith(MAGIC):
        raise ValueError("not a .npy file")
    major = data[6]
    size_format, start = ("<H", 8) if major == 1 else ("<I", 8)
    (header_size,) = struct.unpack_from(size_format, data, start)
    offset = start + struct.calcsize(size_format)
    header = ast.literal_eval(data[offset : offset + header_size].decode("latin1"))
    descr, shape = header["descr"], tuple(header["shape"])
    if descr not in TYPES or header.get("fortran_order") or len(shape) != 2:
        raise ValueError(f"only 2-D C-order {', '.join(TYPES)} .npy files are read (this one: {descr} {shape})")
    code, dtype = TYPES[descr]
    rows, columns = shape
    values = struct.unpack_from(f"<{rows * columns}{code}", data, offset + header_size)
    return [list(values[row * columns : (row + 1) * columns]) for row in range(rows)], dtype


def to_npy(rows: Rows, dtype: str) -> bytes:
    code = TYPES[DESCR[dtype]][0]
    shape = (len(rows), len(rows[0]) if rows else 0)
    header = f"{{'descr': '{DESCR[dtype]}', 'fortran_order': False, 'shape': {shape}, }}"
    header += " " * (-(len(MAGIC) + 4 + len(header) + 1) % 64) + "\n"  # the data starts 64-aligned
    flat = [value for row in rows for value in row]
    return (
        MAGIC
        + b"\x01\x00"
        + struct.pack("<H", len(header))
        + header.encode()
        + struct.pack(f"<{len(flat)}{code}", *flat)
    )


def write(path: Path, rows: Rows, dtype: str, npy: bytes | None = None) -> None:
    """Write `rows` (or the service's own .npy bytes, when it sent a file) as the suffix says."""
    if path.suffix.lower() == ".npy":
        path.write_bytes(npy if npy is not None else to_npy(rows, dtype))
        return
    if npy is not None:
        rows, dtype = from_npy(npy)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue())


def _number(cell: str) -> float | int:
    text = cell.strip()
    try:
        return int(text)
    except ValueError:
        return float(text)
