"""deskcli imports click with a stand-in for `inspect` (deskcli/cli/fastimport.py): it must
keep `inspect` out of everyday runs, behave exactly like `inspect` for what click asks of
it, and hand everything else to the real module."""

import inspect
import os
import subprocess
import sys

import click
from conftest import ok

from deskcli.cli import fastimport, main


def loaded_modules(*argv: str, env: dict | None = None) -> set[str]:
    """The modules a fresh interpreter has loaded after running deskcli with argv."""
    script = ("import sys\nfrom deskcli.cli import main\n"
              f"try:\n    main({list(argv)!r})\nexcept SystemExit:\n    pass\n"
              "print('\\n'.join(sys.modules), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, check=True)
    return set(done.stderr.split())


def test_everyday_commands_run_without_inspect(seeded_desk):
    ok("ticket open --type crash --title 'App closes' -m 'On login' --field phone_model=X "
       "--field os=iOS")
    env = {**os.environ, "DESKCLI_DB": str(seeded_desk), "DESKCLI_USER": "alice"}
    for argv in (["whoami"], ["ticket", "show", "1"], ["ticket", "list"], ["dashboard"],
                 ["ticket", "note", "1", "-m", "checked the tray"]):
        modules = loaded_modules(*argv, env=env)
        assert "click" in modules and "deskcli.cli" in modules, argv
        assert "inspect" not in modules, f"deskcli {' '.join(argv)} loaded inspect"


def test_short_commands_run_without_a_garbage_collection(seeded_desk):
    """The collector's threshold is raised before click loads: a command, the modules it
    imports included, allocates less than it, so no collection runs (there were about
    twenty)."""
    ok("ticket open --type crash --title 'App closes' -m 'On login' --field phone_model=X "
       "--field os=iOS")
    script = ("import gc, sys\n"
              "from deskcli.cli import main\n"
              "runs = []\n"
              "gc.callbacks.append(lambda phase, info: phase == 'start' and runs.append(1))\n"
              "assert gc.get_threshold()[0] >= 100_000\n"
              "for argv in (['ticket', 'list'], ['dashboard'], ['ticket', 'show', '1']):\n"
              "    try:\n"
              "        main(argv)\n"
              "    except SystemExit:\n"
              "        pass\n"
              "print(len(runs), file=sys.stderr)\n")
    env = {**os.environ, "DESKCLI_DB": str(seeded_desk), "DESKCLI_USER": "alice"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, check=True)
    assert done.stderr.strip().splitlines()[-1] == "0"


def every_help_text():
    """Every help string of the click tree, commands and options, as written."""
    def walk(command, ctx):
        yield command.help or ""
        for param in command.params:
            yield getattr(param, "help", None) or ""
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                yield from walk(sub, click.Context(sub, parent=ctx, info_name=name))

    yield from walk(main, click.Context(main, info_name="deskcli"))


def test_cleandoc_matches_inspect_on_every_help_text():
    texts = [t for t in every_help_text() if t]
    assert len(texts) > 300  # the whole tree was walked
    tricky = ["", "\n\n", "  one line  ", "first\n    indented\n  less\n\n", "\tTabs\n\tx",
              "\n  Lead blank\n    deeper\n  back\n  \n"]
    for text in texts + tricky:
        assert fastimport.cleandoc(text) == inspect.cleandoc(text), repr(text)


def test_the_stand_in_hands_everything_else_to_the_real_module(monkeypatch):
    stand_in = fastimport.InspectStandIn("inspect")
    monkeypatch.setitem(sys.modules, "inspect", stand_in)  # as while click loads
    assert stand_in.isfunction(loaded_modules) and not stand_in.isfunction(len)
    assert "signature" not in vars(stand_in)
    signature = stand_in.signature  # loads the real module...
    real = sys.modules["inspect"]
    assert real is not stand_in and signature is real.signature  # ...for later importers too
    assert signature(loaded_modules).parameters["argv"].kind.name == "VAR_POSITIONAL"
