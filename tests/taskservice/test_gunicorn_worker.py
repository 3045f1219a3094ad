"""The read-ahead worker builds on gthread's internals: on a gunicorn it was not built for, it
refuses to start and says why, instead of breaking quietly. Its unreader reads as gunicorn's does,
without copying what it holds on every read."""

import tracemalloc

from gunicorn.http.unreader import SocketUnreader
from gunicorn.workers.gthread import ThreadWorker
from hypothesis import given
from hypothesis import strategies as st

from taskservice.gunicorn_worker import HeldUnreader, unfit


def test_the_installed_gunicorn_fits():
    import gunicorn

    assert unfit(gunicorn.__version__) == []


def test_another_release_or_a_missing_method_is_named():
    class Renamed:
        pass

    assert unfit("28.0.0", {ThreadWorker: ("accept",)}) == ["gunicorn 28.0.0 (built for 27.x)"]
    assert unfit("27.0.1", {Renamed: ("enqueue_req",)}) == ["Renamed.enqueue_req is gone"]


class FakeSocket:
    """A socket whose peer has sent `data` and then closed."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def recv(self, size: int) -> bytes:
        chunk, self._data = self._data[:size], self._data[size:]
        return chunk


@given(
    ahead=st.binary(max_size=300),
    later=st.binary(max_size=300),
    calls=st.lists(
        st.one_of(
            st.tuples(
                st.just("read"), st.one_of(st.none(), st.integers(0, 120)), st.one_of(st.none(), st.integers(0, 400))
            ),
            st.tuples(st.just("unread"), st.binary(max_size=40), st.none()),
            st.tuples(st.just("take"), st.none(), st.none()),
        ),
        max_size=30,
    ),
)
def test_the_held_unreader_reads_as_gunicorns_own(ahead, later, calls):
    """The same calls give the same bytes: what the main loop read ahead, then the socket."""
    theirs, ours = SocketUnreader(FakeSocket(later)), HeldUnreader(FakeSocket(later))
    for unreader in (theirs, ours):
        unreader.unread(ahead)
    for call, first, second in calls:
        if call == "read":
            assert ours.read(first, second) == theirs.read(first, second)
        elif call == "unread":
            ours.unread(first)
            theirs.unread(first)
        else:
            assert ours.take_buffered() == theirs.take_buffered()
    assert ours.read() + ours.read() == theirs.read() + theirs.read()


def test_reading_a_held_body_in_chunks_makes_no_copy_of_what_is_left():
    """gunicorn's unreader copied the rest of an 8 MB body out and back on each 64 KiB read: at
    its peak it held three copies of it, and about a hundred such reads took most of a submit."""
    body = bytes(8 << 20)
    unreader = HeldUnreader(FakeSocket(b""))
    unreader.unread(body)
    del body
    tracemalloc.start()
    try:
        got = 0
        while chunk := unreader.read(64 * 1024):
            got += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got == 8 << 20
    assert peak < 1 << 20  # a chunk or two, never the rest of the body
