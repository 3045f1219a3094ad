"""The registry of task kinds. Adding a kind: write its module, add it to `_KINDS`."""

from tasks.errors import UnknownKind
from tasks.kinds import code, image, matrix, sleep
from tasks.kinds.base import TaskKind

DEFAULT_KIND = sleep.KIND.name

_KINDS: dict[str, TaskKind] = {kind.name: kind for kind in (sleep.KIND, image.KIND, code.KIND, matrix.KIND)}


def get_kind(name: str) -> TaskKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise UnknownKind(name, sorted(_KINDS)) from None


def all_kinds() -> list[TaskKind]:
    return list(_KINDS.values())
