"""Judge0's callback: once a submission finished, `PUT callback_url` with the submission's default
fields, base64-encoded, as Judge0 1.13.1 sends it (app/jobs/isolate_job.rb, `call_callback`).
Here it is one of the service's webhooks: signed (the headers a Judge0 receiver ignores), retried
with backoff up to WEBHOOK_MAX_ATTEMPTS and logged on the task."""

from __future__ import annotations

import json

from judge0api.submissions import DEFAULT_FIELDS, present, result_of
from tasks.callbacks import Style
from tasks.domain import Task, TaskStatus
from tasks.repositories.base import TaskRepository


def body(task: Task, repository: TaskRepository) -> bytes:
    stored = repository.get_result(task.id) if task.status is TaskStatus.SUCCEEDED else None
    result = result_of(stored.data) if stored is not None else None
    shown = present(task, result, DEFAULT_FIELDS, base64_encoded=True)
    return json.dumps(shown, separators=(",", ":")).encode()


STYLE = Style("PUT", body)
