"""A bounded queue that takes turns between owners, so a heavy caller cannot starve the others.

Each owner has a lane (their tasks, in the order they came); `get` serves the lanes round-robin.
A caller's `print(1)` behind a neighbour's hundred long tasks waits for at most one task per
other owner with work, not for the hundred.
"""

from __future__ import annotations

import queue
import threading
import uuid
from collections import OrderedDict, deque


class FairQueue:
    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._size = 0
        self._closed = False
        self._ready = threading.Condition()
        self._lanes: OrderedDict[str | None, deque[uuid.UUID]] = OrderedDict()

    def put_nowait(self, item: uuid.UUID, owner: str | None) -> None:
        with self._ready:
            if self._size >= self.maxsize:
                raise queue.Full
            lane = self._lanes.get(owner)
            if lane is None:
                lane = self._lanes[owner] = deque()  # a new owner waits behind those already waiting
            lane.append(item)
            self._size += 1
            self._ready.notify()

    def get(self) -> uuid.UUID | None:
        """The next owner's oldest task; blocks while empty; None once closed and empty."""
        with self._ready:
            while not self._size:
                if self._closed:
                    return None
                self._ready.wait()
            return self._take()

    def get_nowait(self) -> uuid.UUID:
        with self._ready:
            if not self._size:
                raise queue.Empty
            return self._take()

    def close(self) -> None:
        """Wake every waiting `get`: they drain what is left, then return None."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def _take(self) -> uuid.UUID:
        owner, lane = self._lanes.popitem(last=False)
        item = lane.popleft()
        if lane:
            self._lanes[owner] = lane  # back of the line: the other owners go first
        self._size -= 1
        return item
