"""Use cases. Views call these; they take their collaborators as arguments (tests pass fakes)
and otherwise get the ones the settings chose from `providers`."""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

from core.errors import DependencyUnavailable
from core.identity import Caller, held_by_id
from idempotency import services as idempotency
from tasks import callbacks, execution, faults, metrics, providers
from tasks.domain import PublicStatus, Task, TaskResult, TaskStatus, utcnow
from tasks.errors import (
    CallbacksNeedAKey,
    InputTooLarge,
    InvalidBatch,
    InvalidCallbackUrl,
    InvalidCursor,
    InvalidParams,
    InvalidTaskId,
    ResultUnavailable,
    TaskAlreadyFinished,
    TaskNotFound,
    UnknownKind,
)
from tasks.executor import Executor
from tasks.kinds import DEFAULT_KIND, all_kinds, get_kind
from tasks.kinds.base import Catalog
from tasks.repositories.base import Census, TaskQuery, TaskRepository
from tasks.signals import task_finished

logger = logging.getLogger(__name__)

# A page position: microseconds since the epoch (up to the year 2286) and a task id.
CURSOR_PATTERN = r"^([0-9]{1,16})-([0-9a-f]{32})$"
CURSOR_RE = re.compile(CURSOR_PATTERN.strip("^$"))
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class TaskPage:
    tasks: list[Task]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Submission:
    task: Task
    replayed: bool = False  # a retry with the same Idempotency-Key: the task the first one made


@dataclass(frozen=True, slots=True)
class Submissions:
    task_ids: list[uuid.UUID]
    replayed: bool = False


def submit_task(
    *,
    kind: str | None = None,
    params: Any = None,
    caller: Caller | None = None,
    callback_url: str | None = None,
    callback_style: str | None = None,
    idempotency_key: str | None = None,
    repository: TaskRepository | None = None,
    executor: Executor | None = None,
) -> Submission:
    """Validate, store and enqueue a task; returns at once, the work runs elsewhere.

    With a `caller`, the task is theirs and their quotas apply: the kind's ceilings, the
    tasks-in-progress limit (TooManyInProgress) and their share of the store
    (StorageQuotaExceeded). Without one (in-process use), none does. A `callback_url` gets the
    final status as a signed webhook (tasks/callbacks.py), shaped as `callback_style` says when
    another API's clients expect theirs (callbacks.STYLES). With an `idempotency_key`, a retry of
    the same submission gets the task the first one made (idempotency.once).
    """
    repository = repository or providers.task_repository()
    task = _new_task(kind, params, callback_url, caller, callback_style)
    made = _submit([task], caller, idempotency_key, "task", repository, executor or providers.executor())
    if isinstance(made, idempotency.Replay):  # the first one's task, as it is now (404 once deleted)
        return Submission(_owned_task(repository, uuid.UUID(made.reference[0]), task.owner), replayed=True)
    return Submission(made[0])


def _new_task(
    kind: str | None, params: Any, callback_url: str | None, caller: Caller | None, callback_style: str | None = None
) -> Task:
    """A task checked against the kind and the caller's ceilings (and its callback URL), unsaved."""
    if callback_style is not None and callback_style not in callbacks.STYLES:
        raise ValueError(f"no webhook style {callback_style!r}")
    task_kind = get_kind(DEFAULT_KIND if kind is None else kind)
    ceilings = caller.ceilings.get(task_kind.name) if caller is not None else None
    if callback_url is not None:
        if caller is None or caller.anonymous:
            raise CallbacksNeedAKey
        callbacks.check_url(callback_url)
    validated = task_kind.validate(params, ceilings)
    owner = caller.owner if caller is not None else None
    return Task.new(
        kind=task_kind.name,
        params=validated,
        owner=owner,
        now=utcnow(),
        callback_url=callback_url,
        callback_style=callback_style if callback_url is not None else None,
        reserved_bytes=task_kind.result_bound(validated),
    )


def submit_tasks(
    *,
    items: list[tuple[str | None, Any, str | None]],
    caller: Caller | None = None,
    idempotency_key: str | None = None,
    repository: TaskRepository | None = None,
    executor: Executor | None = None,
) -> Submissions:
    """A batch of (kind, params, callback_url), all or nothing: every task is validated (each error
    pointed at `#/<index>/...`, InvalidBatch), the quotas count the whole batch, then all are
    dispatched."""
    tasks, errors = [], []
    for index, (kind, params, callback_url) in enumerate(items):
        try:
            tasks.append(_new_task(kind, params, callback_url, caller))
        except (InvalidParams, UnknownKind, InputTooLarge, InvalidCallbackUrl) as exc:
            errors += InvalidBatch.at(index, exc)
    if errors:
        raise InvalidBatch(errors)
    repository = repository or providers.task_repository()
    made = _submit(tasks, caller, idempotency_key, "batch", repository, executor or providers.executor())
    if isinstance(made, idempotency.Replay):
        return Submissions([uuid.UUID(task_id) for task_id in made.reference], replayed=True)
    return Submissions([task.id for task in made])


def _submit(
    tasks: list[Task],
    caller: Caller | None,
    idempotency_key: str | None,
    scope: str,
    repository: TaskRepository,
    executor: Executor,
) -> list[Task] | idempotency.Replay:
    """Store and dispatch the tasks, once per `idempotency_key` (a retry gets the first ids)."""

    def create() -> list[Task]:
        return _store_and_dispatch(repository, executor, tasks, caller)

    if idempotency_key is None:
        return create()
    blobs = {f"{index}/{name}": data for index, task in enumerate(tasks) for name, data in task.inputs.items()}
    return idempotency.once(
        scope=scope,
        owner=caller.owner if caller is not None else None,
        key=idempotency_key,
        fingerprint=idempotency.fingerprint([_what_was_asked(task) for task in tasks], blobs=blobs),
        create=create,
        remember=lambda stored: [str(task.id) for task in stored],
    )


def _what_was_asked(task: Task) -> list[Any]:
    """A submission's fingerprint: the style only where there is one, so keys recorded before
    styles existed still match their retries."""
    asked = [task.kind, task.params, task.callback_url]
    return asked if task.callback_style is None else [*asked, task.callback_style]


def _store_and_dispatch(
    repository: TaskRepository, executor: Executor, tasks: list[Task], caller: Caller | None
) -> list[Task]:
    """All the tasks stored (the quotas counting them together), then each dispatched."""
    if caller is None:
        repository.add_all(tasks)
    else:
        repository.add_all(tasks, max_in_progress=caller.max_in_progress, max_stored_bytes=caller.max_stored_bytes)
    faults.point("after-commit")  # dying here leaves undispatched tasks: redispatch_orphans sends them
    try:
        for task in tasks:
            executor.submit(task.id, owner=task.owner)
    except Exception:
        for task in tasks:  # nothing half-done: a dispatched one finds its task gone and does nothing
            repository.delete(task.id)
        raise
    metrics.submitted(tasks)
    return tasks


def get_task(*, task_id: str | uuid.UUID, owner: str | None = None, repository: TaskRepository | None = None) -> Task:
    repository = repository or providers.task_repository()
    return _owned_task(repository, _parse_task_id(task_id), owner)


def wait_for_task(
    *, task_id: str | uuid.UUID, owner: str | None = None, seconds: float, repository: TaskRepository | None = None
) -> Task:
    """The task once it finished, or as it is after `seconds`: woken by the store when it finishes,
    not by reading it over and over. Raises TooManyWaiters when this process holds all it allows."""
    repository = repository or providers.task_repository()
    task = _owned_task(repository, _parse_task_id(task_id), owner)
    if task.status.terminal or seconds <= 0:
        return task
    deadline = time.monotonic() + seconds
    with repository.watch_finish(task.id, owner) as watch:
        while True:
            task = _owned_task(repository, task.id, owner)  # after watching: a finish before is seen
            left = deadline - time.monotonic()
            if task.status.terminal or left <= 0:
                return task
            if not watch.wait(left):
                return _owned_task(repository, task.id, owner)  # time is up (or the process stops)


def get_result(
    *, task_id: str | uuid.UUID, owner: str | None = None, repository: TaskRepository | None = None
) -> tuple[Task, TaskResult]:
    """The result of a finished task; raises ResultUnavailable while there is none to give."""
    repository = repository or providers.task_repository()
    task = _owned_task(repository, _parse_task_id(task_id), owner)
    result = repository.get_result(task.id) if task.status is TaskStatus.SUCCEEDED else None
    if result is None:
        raise ResultUnavailable(task)
    return task, result


def list_tasks(
    *,
    owner: str | None = None,
    status: PublicStatus | None = None,
    kind: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
    repository: TaskRepository | None = None,
) -> TaskPage:
    """The owner's tasks (every owner's if None: staff only), newest first, a page at a time."""
    repository = repository or providers.task_repository()
    query = TaskQuery(
        owner=owner,
        limit=limit + 1,
        statuses=status.internal if status is not None else None,
        kind=kind,
        before=_decode_cursor(cursor) if cursor else None,
    )
    found = repository.list(query)
    page = found[:limit]
    more = len(found) > limit
    return TaskPage(page, _encode_cursor(page[-1]) if more else None)


def cancel_task(
    *, task_id: str | uuid.UUID, owner: str | None = None, repository: TaskRepository | None = None
) -> Task:
    """Cancel a task: a queued one never starts; a running one is asked to stop at its next check."""
    repository = repository or providers.task_repository()
    task = _owned_task(repository, _parse_task_id(task_id), owner)
    if task.status is TaskStatus.QUEUED:
        cancelled = repository.transition(task.id, expected=TaskStatus.QUEUED, target=TaskStatus.CANCELLED, at=utcnow())
        if cancelled is not None:
            task_finished.send(sender=Task, task=cancelled)
            return cancelled
    if task.status in (TaskStatus.QUEUED, TaskStatus.RUNNING):
        flagged = repository.request_cancel(task.id)  # it started meanwhile, or was running
        if flagged is None:
            raise TaskNotFound(task.id)
        if not flagged.status.terminal:
            return flagged
        task = flagged
    if task.status is TaskStatus.CANCELLED:
        return task
    raise TaskAlreadyFinished(task)


def delete_task(
    *, task_id: str | uuid.UUID, owner: str | None = None, repository: TaskRepository | None = None
) -> None:
    """Cancel the task if it is still going, then forget it and its result."""
    repository = repository or providers.task_repository()
    task = _owned_task(repository, _parse_task_id(task_id), owner)
    if not task.status.terminal:
        repository.transition(task.id, expected=TaskStatus.QUEUED, target=TaskStatus.CANCELLED, at=utcnow())
        repository.request_cancel(task.id)
    if not repository.delete(task.id):
        raise TaskNotFound(task.id)


def count_in_progress(*, owner: str, repository: TaskRepository | None = None) -> int:
    repository = repository or providers.task_repository()
    return repository.count_in_progress(owner)


def prepare_kinds() -> None:
    """Each kind's start-up check (TaskKind.prepare), once per server or worker process. A kind
    whose check fails is logged and the process starts anyway: the kind refuses at submit."""
    for kind in all_kinds():
        try:
            kind.prepare()
        except Exception:
            logger.exception("kind %s: its start-up check failed", kind.name)


def stored_bytes(*, owner: str, repository: TaskRepository | None = None) -> int:
    repository = repository or providers.task_repository()
    return repository.stored_bytes(owner)


def check_readiness(*, repository: TaskRepository | None = None, executor: Executor | None = None) -> dict[str, str]:
    """`ok` per component, or DependencyUnavailable naming every one that failed."""
    components = {
        "repository": repository or providers.task_repository(),
        "dispatcher": executor or providers.executor(),  # the name /readyz has always shown
    }
    failures: dict[str, str] = {}
    for name, component in components.items():
        try:
            component.check()
        except Exception as exc:
            failures[name] = str(exc) or type(exc).__name__
    if failures:
        raise DependencyUnavailable(failures)
    facts = {name: state() for kind in all_kinds() for name, state in kind.readiness.items()}
    return {**dict.fromkeys(components, "ok"), **facts}


def _parse_task_id(raw: str | uuid.UUID) -> uuid.UUID:
    if isinstance(raw, uuid.UUID):
        return raw
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise InvalidTaskId(raw) from None


def _owned_task(repository: TaskRepository, task_id: uuid.UUID, owner: str | None) -> Task:
    """The task if it exists and `owner` may use it; anyone else's looks exactly like a missing one."""
    task = repository.get(task_id)
    if task is None or (task.owner != owner and not held_by_id(task.owner)):
        raise TaskNotFound(task_id)
    return task


def _encode_cursor(task: Task) -> str:
    return f"{(task.created_at - EPOCH) // MICROSECOND}-{task.id.hex}"


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Any string of CURSOR_PATTERN is a position (keyset paging needs no issued state), so the
    schema's pattern and this code agree on every value."""
    match = CURSOR_RE.fullmatch(cursor)
    if match is None:
        raise InvalidCursor(cursor)
    return EPOCH + int(match[1]) * MICROSECOND, uuid.UUID(hex=match[2])


WORKER_LOST = "worker lost"


def redispatch_orphans(repository: TaskRepository, executor: Executor) -> int:
    """Queued tasks the executor never got (their web process died between the commit and the
    publish, or a requeue stopped half-way) are sent now. Sent twice, a task still runs once: the
    worker claims it with a compare-and-set."""
    cutoff = utcnow() - timedelta(seconds=settings.TASK_REDISPATCH_AFTER_SECONDS)
    orphans = repository.find_undispatched(created_before=cutoff, limit=500)
    for task in orphans:
        executor.submit(task.id, owner=task.owner)
        logger.warning("task %s: queued but never dispatched; sent now", task.id)
    return len(orphans)


def recover_lost_tasks(repository: TaskRepository, executor: Executor) -> int:
    """Tasks whose worker died (no heartbeat for TASK_LOST_AFTER_SECONDS) run again, up to
    TASK_MAX_ATTEMPTS, or fail with "worker lost": nothing stays in progress forever."""
    cutoff = utcnow() - timedelta(seconds=settings.TASK_LOST_AFTER_SECONDS)
    lost = repository.find_lost(heartbeat_before=cutoff, limit=500)
    for task in lost:
        if task.attempts < settings.TASK_MAX_ATTEMPTS:
            if repository.transition(task.id, expected=TaskStatus.RUNNING, target=TaskStatus.QUEUED, at=utcnow()):
                faults.point("after-requeue")  # failing here leaves it undispatched: redispatch_orphans
                executor.submit(task.id, owner=task.owner)
                logger.warning("task %s: worker lost, running it again (attempt %d)", task.id, task.attempts + 1)
        else:
            execution.fail_unfinished(task.id, WORKER_LOST, repository=repository)
            logger.warning("task %s: worker lost after %d attempts; failed", task.id, task.attempts)
    return len(lost)


def purge_expired(repository: TaskRepository) -> int:
    """Delete what finished more than TASK_TTL_SECONDS ago (the executor's periodic job)."""
    return repository.purge_finished(before=utcnow() - timedelta(seconds=settings.TASK_TTL_SECONDS))


def store_census(*, repository: TaskRepository | None = None) -> Census:
    """What the store holds, for the metrics' gauges (one read)."""
    return (repository or providers.task_repository()).census()


def catalogs() -> list[Catalog]:
    """The kinds' catalogs, each served at a path of its own (GET /filters, GET /languages)."""
    return [kind.catalog for kind in all_kinds() if kind.catalog is not None]
