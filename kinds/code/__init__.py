"""Compiling and running untrusted code inside a bubblewrap sandbox."""
