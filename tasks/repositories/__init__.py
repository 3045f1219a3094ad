"""Task storage. `base.TaskRepository` is the interface; implementations sit beside it."""
