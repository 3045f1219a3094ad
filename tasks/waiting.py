"""Who in this process waits for which task to finish (`GET /status/{id}?wait`, `Prefer: wait`).

A waiter holds a request thread while it waits, so waiters are bounded, in all and per owner:
past either bound `watch` refuses (TooManyWaiters) instead of letting waiters take the threads
every other request needs. Stores call `announce` when a task finishes (the memory store on its
transition, the PostgreSQL store when a NOTIFY arrives), which wakes that task's waiters only.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

from tasks.errors import TooManyWaiters


class Watch:
    """One waiter's wake-up call."""

    __slots__ = ("_event", "_finishes")

    def __init__(self, finishes: Finishes) -> None:
        self._event = threading.Event()
        self._finishes = finishes

    def wake(self) -> None:
        self._event.set()

    def wait(self, seconds: float) -> bool:
        """True when woken to re-read the task; False when the time is up or the process stops."""
        woken = self._event.wait(seconds)
        self._event.clear()
        return woken and not self._finishes.closed


class Finishes:
    def __init__(self, *, max_waiters: int, max_per_owner: int) -> None:
        self._max_waiters = max_waiters
        self._max_per_owner = max_per_owner
        self._lock = threading.Lock()
        self._events: dict[uuid.UUID, list[Watch]] = {}
        self._per_owner: dict[str | None, int] = {}
        self._count = 0
        self._closed = False

    @classmethod
    def from_settings(cls) -> Finishes:
        return cls(max_waiters=settings.TASK_MAX_WAITERS, max_per_owner=settings.TASK_MAX_WAITERS_PER_OWNER)

    @contextmanager
    def watch(self, task_id: uuid.UUID, owner: str | None) -> Iterator[Watch]:
        """A watch woken when the task finishes (or by `announce_all`, or `close`); the caller
        reads the task after it starts watching, so a finish just before is not missed."""
        event = Watch(self)
        with self._lock:
            held = self._per_owner.get(owner, 0)
            if self._closed or self._count >= self._max_waiters or held >= self._max_per_owner:
                raise TooManyWaiters(self._max_per_owner if held >= self._max_per_owner else None)
            self._count += 1
            self._per_owner[owner] = held + 1
            self._events.setdefault(task_id, []).append(event)
        try:
            yield event
        finally:
            with self._lock:
                self._count -= 1
                left = self._per_owner[owner] - 1
                if left:
                    self._per_owner[owner] = left
                else:
                    del self._per_owner[owner]
                events = self._events[task_id]
                events.remove(event)
                if not events:
                    del self._events[task_id]

    def announce(self, task_id: uuid.UUID) -> None:
        """The task finished: wake whoever waits for it (a dict lookup when nobody does)."""
        if task_id not in self._events:  # the common case, without the lock: a stale miss is fine,
            return  # a waiter re-reads the task after it started watching
        with self._lock:
            for event in self._events.get(task_id, ()):
                event.wake()

    def announce_all(self) -> None:
        """Wake every waiter to re-read its task (finishes may have been missed, e.g. while a
        listener reconnected)."""
        with self._lock:
            for events in self._events.values():
                for event in events:
                    event.wake()

    def close(self) -> None:
        """Wake every waiter (each answers what it has) and take no more: the process is stopping."""
        with self._lock:
            self._closed = True
        self.announce_all()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def waiting(self) -> int:
        return self._count
