"""Pillow-based image work for the `image` task kind: reading, filter ops, writing."""
