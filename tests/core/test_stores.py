"""core/stores.py: the part of the store TASK_STORE names; one per process, whichever thread asks
first; reset forgets it."""

import threading

from core.stores import Chosen
from stores.memory.keys import InMemoryKeyStore
from stores.memory.records import InMemoryRecordRepository


def test_a_chosen_store_is_built_once_for_all_threads_and_again_after_reset(settings):
    settings.TASK_STORE = "memory"
    store = Chosen("keys")
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(store())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert isinstance(seen[0], InMemoryKeyStore) and all(one is seen[0] for one in seen)
    store.reset()
    assert store() is not seen[0]


def test_the_setting_picks_the_store_and_the_part_its_builder(settings):
    settings.STORES = {**settings.STORES, "other": "stores.memory"}
    settings.TASK_STORE = "other"
    assert isinstance(Chosen("records")(), InMemoryRecordRepository)
