"""Where tasks run. `base.Dispatcher` is the interface; implementations sit beside it."""
