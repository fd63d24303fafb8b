"""`deskcli man`: the manual page, wherever pip put it.

`pip install` puts the page in the environment's share/man/man1. `man` finds it there only
when the environment's bin folder is on PATH itself; through a symlink such as
/usr/local/bin/deskcli -> /opt/deskcli/bin/deskcli, or in a venv that is not activated, it
does not. This command finds the page from the running Python instead.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click

PAGE = Path("man1") / "deskcli.1"


def man_folders() -> list[Path]:
    """Folders that may hold man1/deskcli.1: the environment's share/man (pip install),
    the user's (pip install --user), and a source checkout's man/."""
    import site

    folders = [Path(sys.prefix) / "share" / "man"]
    if site.USER_BASE:
        folders.append(Path(site.USER_BASE) / "share" / "man")
    return folders


def find_page() -> tuple[Path, Path | None]:
    """The page's file, and the folder to add to MANPATH (None for a source checkout)."""
    for folder in man_folders():
        if (folder / PAGE).is_file():
            return folder / PAGE, folder
    checkout = Path(__file__).resolve().parent.parent.parent / "man" / "deskcli.1"
    if checkout.is_file():
        return checkout, None
    from deskcli.errors import NotFound

    raise NotFound("deskcli's manual page is not installed",
                   "reinstall deskcli with pip, or read `deskcli --help` and each "
                   "command's --help")


@click.command("man")
@click.option("--path", "show_path", is_flag=True, help="Print the page's file name.")
@click.option("--manpath", is_flag=True,
              help="Print the folder to add to $MANPATH so that `man deskcli` finds it.")
def manual(show_path, manpath):
    """Show the manual page (deskcli(1)) with man(1), even when `man deskcli` finds
    nothing because deskcli runs from a virtual environment through a symlink.

    \b
    Examples:
      deskcli man
      deskcli man --path
      export MANPATH="$(deskcli man --manpath):$(manpath)"   # then: man deskcli
      sudo ln -s "$(deskcli man --path)" /usr/local/share/man/man1/deskcli.1
    """
    page, folder = find_page()
    if show_path:
        click.echo(str(page))
        return
    if manpath:
        if folder is None:
            from deskcli.errors import NotFound

            raise NotFound(f"the page {page} is in a source checkout, not in a man folder",
                           f"read it with: man -l {page}")
        click.echo(str(folder))
        return
    program = shutil.which("man")
    if program is None:
        from deskcli.errors import NotFound

        raise NotFound("man(1) is not installed",
                       f"install it (apt-get install man-db), or read the page's source: "
                       f"{page}")
    sys.stdout.flush()
    raise SystemExit(subprocess.call([program, "-l", os.fspath(page)]))
