"""tsk: a command line for taskservice, over its public HTTP API only."""

__version__ = "0.1.0"
