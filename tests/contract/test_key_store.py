"""The contract every store's idempotency KeyStore must pass (conftest: every store of STORES)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connections

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=1)


@pytest.fixture
def store(store_part):
    return store_part("keys")


def claim(store, fingerprint="f", at=NOW, stale_before=LONG_AGO, abandoned_before=LONG_AGO, key="k"):
    return store.claim(
        "task", "alice", key, fingerprint, at=at, stale_before=stale_before, abandoned_before=abandoned_before
    )


def test_the_first_claim_takes_the_key_and_the_next_sees_it(store):
    assert claim(store) is None
    held = claim(store, fingerprint="g", at=NOW + timedelta(seconds=1))
    assert (held.fingerprint, held.reference, held.created_at) == ("f", None, NOW)
    store.complete("task", "alice", "k", claimed_at=NOW, reference={"id": "1", "list": [1, 2]})
    assert claim(store).reference == {"id": "1", "list": [1, 2]}


def test_a_released_key_is_free_and_a_completed_one_cannot_be_released(store):
    claim(store)
    store.release("task", "alice", "k", claimed_at=NOW)
    assert claim(store, fingerprint="g") is None
    store.complete("task", "alice", "k", claimed_at=NOW, reference="x")
    store.release("task", "alice", "k", claimed_at=NOW)
    assert claim(store).reference == "x"


def test_stale_and_abandoned_keys_are_free_again_and_the_old_claimant_cannot_touch_them(store):
    claim(store)
    later = NOW + timedelta(minutes=5)
    assert claim(store, fingerprint="g", at=later, abandoned_before=NOW + timedelta(minutes=1)) is None
    store.complete("task", "alice", "k", claimed_at=NOW, reference="old")  # the first, too late: ignored
    store.complete("task", "alice", "k", claimed_at=later, reference="new")
    assert claim(store).reference == "new"
    assert claim(store, fingerprint="h", at=later + timedelta(days=2), stale_before=later + timedelta(days=1)) is None


def test_purge_forgets_stale_keys_only(store):
    claim(store, key="old", at=NOW - timedelta(days=2))
    claim(store, key="new")
    assert store.purge(stale_before=LONG_AGO) == 1
    assert claim(store, key="new", fingerprint="g") is not None


def test_of_many_concurrent_claims_exactly_one_takes_the_key(store):
    outcomes, barrier = [], threading.Barrier(8)

    def race(n):
        barrier.wait()
        outcomes.append(claim(store, fingerprint=str(n)))
        connections.close_all()

    threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(None) == 1
    assert len({held.fingerprint for held in outcomes if held is not None}) == 1
