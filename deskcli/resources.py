"""Files shipped with the package: schema.sql, templates/ and glossary/.

In a source checkout they sit at the top of the tree; an installed package carries copies
inside `deskcli/` (setup.py's build step puts them there).
"""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource(name: str) -> Path:
    """Path of a shipped file or folder, installed copy first."""
    for base in (_PACKAGE, _PACKAGE.parent):
        candidate = base / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"deskcli is missing its {name}; reinstall it with `pip install .`")
