"""`task_finished`: sent with `task=` after a task reaches a terminal status, in the process that
moved it (the executor, or the web process for a cancel before the start). Webhooks hang on it."""

from django.dispatch import Signal

task_finished = Signal()
