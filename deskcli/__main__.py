"""`python -m deskcli`."""

from deskcli.cli import main

main()
