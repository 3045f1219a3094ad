"""Plain-dict renderings of tasks for responses. Hand-built because status is the hot path:
a DRF serializer instance costs more than the rest of the lookup (see bench/api.py)."""

import base64
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tasks.domain import ResultInfo, Task, TaskResult


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def present_result(info: ResultInfo | None) -> dict[str, Any] | None:
    if info is None:
        return None
    return {"content_type": info.content_type, "size": info.size, "filename": info.filename, "meta": dict(info.meta)}


def present_task(task: Task) -> dict[str, Any]:
    return {
        "task_id": str(task.id),
        "kind": task.kind,
        "status": task.status.public.value,
        "state": task.status.value,
        "progress": task.progress,
        "created_at": _iso(task.created_at),
        "started_at": _iso(task.started_at),
        "finished_at": _iso(task.finished_at),
        "error": task.error,
        "cancel_requested": task.cancel_requested,
        "result": present_result(task.result),
        "callbacks": list(task.callbacks),
    }


def present_created(task: Task) -> dict[str, Any]:
    return {"task_id": str(task.id), "status": task.status.public.value}


ENVELOPE_CHUNK = 1 << 20  # bytes a streamed result is sent in (a multiple of 3: base64 needs no carry)
ENVELOPE_CHUNK -= ENVELOPE_CHUNK % 3


@dataclass(frozen=True, slots=True)
class Envelope:
    """`{"task_id", "kind", "result"}`, made chunk by chunk each time it is iterated: a JSON result
    goes in as stored (never parsed again), a binary one as `{"content_type", "encoding":
    "base64", "data"}`. The stored bytes are read a chunk at a time, never copied whole: six
    clients downloading a 320 MiB result at once each held a copy of it (4x its size)."""

    opening: bytes
    result: TaskResult
    closing: bytes

    def __len__(self) -> int:
        size = len(self.result.data)
        body = size if self.result.content_type == "application/json" else (size + 2) // 3 * 4
        return len(self.opening) + body + len(self.closing)

    def __iter__(self) -> Iterator[bytes]:
        data = memoryview(self.result.data)
        slices = (data[start : start + ENVELOPE_CHUNK] for start in range(0, len(data), ENVELOPE_CHUNK))
        encode = bytes if self.result.content_type == "application/json" else base64.b64encode
        return itertools.chain((self.opening,), map(encode, slices), (self.closing,))


def result_envelope(task: Task, result: TaskResult) -> Envelope:
    head = b'{"task_id":"%s","kind":%s,"result":' % (str(task.id).encode(), json.dumps(task.kind).encode())
    if result.content_type == "application/json":
        return Envelope(head, result, b"}")
    opening = head + b'{"content_type":%s,"encoding":"base64","data":"' % json.dumps(result.content_type).encode()
    return Envelope(opening, result, b'"}}')
