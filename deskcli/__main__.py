"""`python -m deskcli`."""

from deskcli.cli import run

run()
