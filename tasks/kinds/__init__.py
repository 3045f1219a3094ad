"""The registry of task kinds: the TASK_KINDS setting names each kind's `KIND` by its path, so a
kind (a folder under kinds/) depends on this app and never the other way round. Adding a kind:
write its folder, add one line to TASK_KINDS."""

from __future__ import annotations

import threading

from django.conf import settings
from django.utils.module_loading import import_string

from tasks.errors import UnknownKind
from tasks.kinds.base import TaskKind

DEFAULT_KIND = "sleep"  # what a bare `POST /task` runs: the seed API's demo task

_lock = threading.Lock()
_kinds: dict[str, TaskKind] = {}


def registry() -> dict[str, TaskKind]:
    """Name -> kind, imported on first use (a kind imports this app: not at this module's import)."""
    if not _kinds:
        with _lock:
            if not _kinds:
                loaded = [import_string(path) for path in settings.TASK_KINDS]
                _kinds.update((kind.name, kind) for kind in loaded)
    return _kinds


def get_kind(name: str) -> TaskKind:
    try:
        return registry()[name]
    except KeyError:
        raise UnknownKind(name, sorted(registry())) from None


def all_kinds() -> list[TaskKind]:
    return list(registry().values())
