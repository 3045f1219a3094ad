"""The demo kind from the seed: pretend to be busy, then return random garbage.

It stays the reference kind for tests and benchmarks: cheap, predictable, cancellable.
"""

import math
import secrets
import time
from collections.abc import Mapping
from typing import Any

from django.conf import settings

from httpapi.serializers import StrictFloatField, StrictIntegerField
from tasks.kinds.base import Context, ParamsSerializer, TaskCancelled, TaskKind

STEP_SECONDS = 0.1
DEFAULT_SECONDS = 2.0


class SleepParams(ParamsSerializer):
    """Parameters of the demo `sleep` kind."""

    size = StrictIntegerField(default=16, min_value=1, max_value=4096, help_text="Bytes of random garbage.")

    def get_fields(self) -> dict:
        # Built per instance so the bound (and the schema) follow SLEEP_MAX_SECONDS.
        limit = settings.SLEEP_MAX_SECONDS
        return {
            "seconds": StrictFloatField(
                default=min(DEFAULT_SECONDS, limit),
                min_value=0.0,
                max_value=limit,
                help_text="How long to pretend to work, in seconds (at most SLEEP_MAX_SECONDS).",
            ),
            **super().get_fields(),
        }


def result_bound(params: Mapping[str, Any]) -> int:
    return 2 * params["size"] + 256  # the hex garbage and the JSON around it


def run(context: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    seconds: float = params["seconds"]
    steps = math.ceil(seconds / STEP_SECONDS)  # none for 0 s: time.sleep(0) still sleeps ~0.1 ms
    for step in range(steps):
        if context.cancelled():
            raise TaskCancelled
        time.sleep(seconds / steps)
        context.report_progress((step + 1) / steps)
    return {"slept_seconds": seconds, "garbage": secrets.token_hex(params["size"])}


KIND = TaskKind(
    name="sleep",
    summary="Demo: sleeps for `seconds`, reporting progress, then returns random hex garbage.",
    params_serializer=SleepParams,
    handler=run,
    result_bound=result_bound,
)
