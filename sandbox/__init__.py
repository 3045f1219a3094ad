"""Run an untrusted program with limits and report what happened: bubblewrap namespaces, a
cgroup per run, seccomp, rlimits (see runner.py). A library of its own: it knows nothing of
tasks or kinds; the code kind uses it, and `python -m sandbox run -- CMD` runs it alone."""
