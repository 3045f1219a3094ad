"""The task kinds, one folder each, registered by the TASK_KINDS setting (see tasks.kinds)."""
