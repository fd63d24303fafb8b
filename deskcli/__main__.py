"""`python -m deskcli`."""

from deskcli.launch import run

run()
