"""Adding an executor is one class in a folder of its own plus one line in TASK_EXECUTORS: this
one runs each task inside `submit`, the smallest executor there is, and the whole API works."""

import uuid

import pytest
from rest_framework.test import APIClient

from tasks import execution
from tasks.repositories.base import TaskRepository

HERE = "tests.executors.test_plugging.InlineExecutor"


class InlineExecutor:
    def __init__(self, repository: TaskRepository) -> None:
        self.repository = repository
        self.delivered: list[uuid.UUID] = []

    def submit(self, task_id: uuid.UUID, *, owner: str | None = None) -> None:
        execution.run_task(task_id, repository=self.repository)

    def deliver_callback(self, task_id: uuid.UUID) -> None:
        self.delivered.append(task_id)

    def shutdown(self) -> None:
        pass

    def check(self) -> None:
        pass


@pytest.mark.django_db
def test_an_executor_plugs_in_with_one_setting_line(settings):
    api = APIClient()
    settings.TASK_EXECUTORS = {**settings.TASK_EXECUTORS, "inline": HERE}
    settings.TASK_EXECUTOR = "inline"
    created = api.post("/task", {"kind": "matrix", "params": {"a": [[1, 2], [3, 4]], "power": 2}}, format="json")
    assert created.status_code == 201, created.content
    status = api.get(created["Location"]).json()
    assert status["status"] == "ready"  # run before the submit answered: no thread, no broker
    assert api.get(f"/result/{status['task_id']}").json()["result"]["result"] == [[7, 10], [15, 22]]
    assert api.get("/readyz").json()["checks"]["dispatcher"] == "ok"
