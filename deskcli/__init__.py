"""deskcli: a help desk that lives in the shell."""

__version__ = "0.1.0"
