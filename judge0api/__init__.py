"""A Judge0 CE 1.13.1 compatible API under /judge0/, over the code kind."""
