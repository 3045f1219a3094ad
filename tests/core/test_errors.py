"""Errors carry their HTTP meaning: the one handler answers any of them, and the schema's examples
take their titles from the same classes, so the two agree."""

import uuid

import pytest

from core.errors import NotFound, ServiceError
from httpapi.openapi import meaning
from httpapi.problems import problem_for
from records.errors import DuplicateRecord, RecordStoreFull
from tasks.errors import InputTooLarge, TaskNotFound, TooManyInProgress


def test_an_error_class_is_answered_with_what_it_declares():
    problem = problem_for(TooManyInProgress(3))
    assert (problem.status, problem.slug, problem.title) == (429, "quota-exceeded", "Quota exceeded")
    assert problem.extra == {"quota": "in_progress", "limit": 3, "used": 3} and "Retry-After" in problem.headers
    too_large = InputTooLarge("image", 10)
    assert problem_for(too_large).errors == [{"pointer": "#/params/image", "detail": str(too_large)}]
    assert problem_for(DuplicateRecord(uuid.UUID(int=1), within_batch=False)).status == 409
    assert problem_for(RecordStoreFull(5)).headers["Retry-After"]


def test_a_new_error_needs_no_handler_change():
    class Teapot(ServiceError):
        status = 418
        slug = "teapot-for-test"
        title = "A teapot"

    problem = problem_for(Teapot("Short and stout."))
    assert problem.body() == {
        "type": "urn:taskservice:problem:teapot-for-test",
        "title": "A teapot",
        "status": 418,
        "detail": "Short and stout.",
    }
    assert meaning(Teapot) == (418, "teapot-for-test", "A teapot")


def test_one_problem_slug_has_one_title_whichever_class_raises_it():
    with pytest.raises(TypeError, match="titled"):

        class Clash(NotFound):
            slug = TaskNotFound.slug
            title = "Some other title"
