"""The default executor: a fair queue and a pool of threads in the web process."""
