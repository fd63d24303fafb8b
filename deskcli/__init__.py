"""deskcli: a help desk that lives in the shell."""

__version__ = "0.1.0"
# the date of this version: the man page's .TH date unless CHANGELOG.md dates the version
__date__ = "2026-12-04"
