"""Where tasks run. Each executor is a folder here, named in the TASK_EXECUTORS setting; see
`tasks.executor.Executor` for what one provides."""
