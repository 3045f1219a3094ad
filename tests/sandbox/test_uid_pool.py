"""Sandbox uids are leased host-wide: two service processes never run as the same uid at once
(a fork bomb in one would use up the other's RLIMIT_NPROC, which the kernel counts per uid)."""

import threading

from sandbox.runner import UidPool


def test_two_pools_on_one_lock_dir_never_hand_out_the_same_uid(tmp_path):
    first, second = UidPool(70_000, 2, tmp_path / "uids"), UidPool(70_000, 2, tmp_path / "uids")
    with first.lease() as a, second.lease() as b:
        assert {a, b} == {70_000, 70_001}


def test_a_lease_waits_for_a_free_uid_and_gets_it_when_one_is_returned(tmp_path):
    pool, other = UidPool(70_000, 1, tmp_path / "uids"), UidPool(70_000, 1, tmp_path / "uids")
    got: list[int] = []
    with pool.lease():
        waiter = threading.Thread(target=lambda: got.append(other.lease().__enter__()))
        waiter.start()
        waiter.join(0.2)
        assert waiter.is_alive() and not got  # blocked while the only uid is in use
    waiter.join(5)
    assert got == [70_000]


def test_the_lock_dir_is_private(tmp_path):
    UidPool(70_000, 1, tmp_path / "uids")
    assert (tmp_path / "uids").stat().st_mode & 0o777 == 0o700
