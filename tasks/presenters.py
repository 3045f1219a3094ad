"""Plain-dict renderings of tasks for responses. Hand-built because status is the hot path:
a DRF serializer instance costs more than the rest of the lookup (see bench/api.py)."""

import base64
import json
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


def result_envelope(task: Task, result: TaskResult) -> bytes:
    """`{"task_id", "kind", "result"}`: a JSON result goes in as stored (never parsed again), a
    binary one as `{"content_type", "encoding": "base64", "data"}`."""
    if result.content_type == "application/json":
        value = result.data
    else:
        value = json.dumps(
            {"content_type": result.content_type, "encoding": "base64", "data": base64.b64encode(result.data).decode()}
        ).encode()
    return b'{"task_id":"%s","kind":%s,"result":%s}' % (str(task.id).encode(), json.dumps(task.kind).encode(), value)
