"""The settings the suite runs with: the shipped ones, except that each pytest-xdist worker gets a
share of its own of what the suite uses machine-wide: the metrics directory (counters are summed
over it), sandbox uids (tests count the processes left under them) and a Redis database (tests
flush it). Chosen here because pytest-django reads the settings before any conftest runs."""

import atexit
import os
import re
import shutil
import tempfile

_worker = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1", ... (unset: one process)
if _worker:
    _index = int(_worker.removeprefix("gw"))
    _data = tempfile.mkdtemp(prefix=f"taskservice-tests-{_worker}-")
    atexit.register(shutil.rmtree, _data, ignore_errors=True)
    os.environ["DATA_DIR"] = _data
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.path.join(_data, "metrics")
    os.environ["CODE_SANDBOX_UID_BASE"] = str(61_001 + 1_000 * _index)
    _redis = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    os.environ["TEST_REDIS_URL"] = re.sub(r"/(\d+)$", lambda m: f"/{int(m[1]) - _index}", _redis)

from taskservice.settings import *  # noqa: E402, F403
