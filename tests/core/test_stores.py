"""core/stores.py: one store per process, whichever thread asks first; reset forgets it."""

import threading

from core.stores import Chosen


def test_a_chosen_store_is_built_once_for_all_threads_and_again_after_reset(settings):
    settings.TASK_STORE = "memory"
    built = []
    store = Chosen(memory=lambda: built.append(object()) or built[-1], postgres=lambda: None)
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(store())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1 and all(one is built[0] for one in seen)
    store.reset()
    assert store() is built[1]


def test_the_setting_picks_the_builder(settings):
    settings.TASK_STORE = "postgres"
    assert Chosen(memory=lambda: "memory", postgres=lambda: "postgres")() == "postgres"
