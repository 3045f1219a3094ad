"""once(): a key makes its thing once; retries replay it, clashes are refused."""

from datetime import timedelta

import pytest

from idempotency import services
from idempotency.errors import IdempotencyKeyInUse, IdempotencyKeyReused, InvalidIdempotencyKey
from idempotency.services import Replay, once
from stores.memory.keys import InMemoryKeyStore


@pytest.fixture
def store():
    return InMemoryKeyStore()


def make(store, key="k", fingerprint="f", owner="alice", made="thing"):
    calls = []

    def create():
        calls.append(1)
        return made

    outcome = once(
        scope="s", owner=owner, key=key, fingerprint=fingerprint, create=create, remember=str.upper, store=store
    )
    return outcome, len(calls)


def test_a_new_key_makes_and_a_retry_replays(store):
    assert make(store) == ("thing", 1)
    assert make(store) == (Replay("THING"), 0)


def test_the_same_key_with_another_request_is_refused(store):
    make(store)
    with pytest.raises(IdempotencyKeyReused):
        make(store, fingerprint="other")


def test_keys_are_per_owner_and_per_key(store):
    make(store)
    assert make(store, owner="bob")[1] == 1
    assert make(store, key="k2")[1] == 1


def test_a_failed_request_gives_its_key_back(store):
    def explode():
        raise ValueError("no")

    with pytest.raises(ValueError):
        once(scope="s", owner="a", key="k", fingerprint="f", create=explode, remember=str, store=store)
    assert once(scope="s", owner="a", key="k", fingerprint="g", create=lambda: "x", remember=str, store=store) == "x"


def test_a_retry_while_the_first_is_in_flight_is_told_to_retry(store):
    def retry_meanwhile():
        with pytest.raises(IdempotencyKeyInUse):
            make(store, owner="a")
        return "first"

    once(scope="s", owner="a", key="k", fingerprint="f", create=retry_meanwhile, remember=str, store=store)
    assert make(store, owner="a")[0] == Replay("first")


def test_keys_expire(store, settings):
    make(store)
    settings.IDEMPOTENCY_TTL_SECONDS = 1
    held = store._entries["s", "alice", "k"]
    store._entries["s", "alice", "k"] = type(held)(held.fingerprint, held.reference, held.created_at - timedelta(2))
    assert make(store, fingerprint="new") == ("thing", 1)  # a stale key is a new key
    store._entries["s", "alice", "k"] = type(held)(held.fingerprint, held.reference, held.created_at - timedelta(2))
    assert services.purge_expired(store) == 1 and store._entries == {}


def test_an_abandoned_first_request_frees_its_key_after_a_minute(store):
    store.claim(
        "s",
        "alice",
        "k",
        "f",
        at=store_time(-120),
        stale_before=store_time(-86400),
        abandoned_before=store_time(-86400),
    )
    assert make(store) == ("thing", 1)


def store_time(seconds):
    from datetime import UTC, datetime

    return datetime.now(UTC) + timedelta(seconds=seconds)


@pytest.mark.parametrize("header", ["", " ", '""', "x" * 256, "caf\u00e9", "a\tb"])
def test_bad_keys_are_refused(header):
    with pytest.raises(InvalidIdempotencyKey):
        services.parse_key(header)


@pytest.mark.parametrize(("header", "key"), [(None, None), ("abc", "abc"), ('"abc"', "abc"), (" k-1 ", "k-1")])
def test_keys_are_read_as_structured_strings(header, key):
    assert services.parse_key(header) == key


def test_fingerprints_follow_values_and_bytes_not_key_order():
    assert services.fingerprint({"a": 1, "b": 2}) == services.fingerprint({"b": 2, "a": 1})
    assert services.fingerprint("x", blobs={"image": b"1"}) != services.fingerprint("x", blobs={"image": b"2"})
    assert services.fingerprint([1]) != services.fingerprint([2])
