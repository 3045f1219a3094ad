"""bench/cpu.py: the CPU a stretch costs lands in its process group, per task."""

import time

from bench.cpu import cpu_per_task, machine_busy_ms


def _burn(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_the_benchmarks_own_cpu_counts_as_the_clients_per_task():
    with cpu_per_task(4) as figures:
        _burn(0.4)
    # 0.4 s over 4 tasks is 100 ms each; clock ticks are 10 ms, the machine may be busy.
    assert 80 <= figures["client"] <= 200, figures
    assert set(figures) == {"web", "workers", "postgresql", "redis", "client", "total"}
    assert figures["total"] == sum(value for name, value in figures.items() if name != "total")


def test_the_machines_busy_time_counts_what_this_process_burns():
    before = machine_busy_ms()
    _burn(0.3)
    assert 280 <= machine_busy_ms() - before <= 2 * 1000, "ms; two cores may both be busy meanwhile"
