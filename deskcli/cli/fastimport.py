"""Import click without `inspect`.

click's modules `import inspect`, which drags in ast, dis and tokenize: about 9 ms of every
deskcli run on the benchmark machine (a third of a bare Python start). On deskcli's paths
click calls only `inspect.cleandoc` (for every option's help) and `inspect.isfunction` (for
`--help` defaults). So while click loads, `sys.modules["inspect"]` is a stand-in that does
those two itself and loads the real module the first time anything else is asked of it.
Every other importer of `inspect`, during and after, gets the real module.

Kept (issue 11; measured 2026-12-04 with click 8.5.1 on Python 3.11, 31 paired runs, median
wall / CPU time, compiled modules): `--help` 44.4 / 42.2 ms with the stand-in, 49.4 / 48.2
ms with the real `inspect` (+11%); `ticket list` 53.0 -> 59.2 ms (+12%), `ticket show`
54.1 -> 58.9 ms (+9%). That is over the 10% the start-up budget allows. The upgrade risk is guarded:
tests/test_fastimport.py checks cleandoc against the real one and that click loads.
Reproduce: `python -m deskcli --help` paired with `python -c "import inspect, runpy;
runpy.run_module('deskcli', run_name='__main__')" --help` (the real `inspect` first).
"""

import importlib
import sys
import types


def cleandoc(doc):
    """inspect.cleandoc, as in Python 3.11-3.12: strip the first line's leading blanks,
    the common indentation of the others, and blank lines at both ends."""
    lines = doc.expandtabs().split("\n")
    margin = sys.maxsize
    for line in lines[1:]:
        content = len(line.lstrip())
        if content:
            margin = min(margin, len(line) - content)
    if lines:
        lines[0] = lines[0].lstrip()
    if margin < sys.maxsize:
        lines[1:] = [line[margin:] for line in lines[1:]]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


class InspectStandIn(types.ModuleType):
    """`inspect` for click: two functions here, everything else from the real module."""

    cleandoc = staticmethod(cleandoc)

    @staticmethod
    def isfunction(obj):
        return isinstance(obj, types.FunctionType)

    def __getattr__(self, name):
        if sys.modules.get("inspect") is self:
            del sys.modules["inspect"]
        return getattr(importlib.import_module("inspect"), name)


def import_click():
    """Import click with the stand-in (unless `inspect` is loaded already); return it."""
    if "click" in sys.modules or "inspect" in sys.modules:
        return importlib.import_module("click")
    stand_in = InspectStandIn("inspect")
    sys.modules["inspect"] = stand_in
    try:
        return importlib.import_module("click")
    finally:
        if sys.modules.get("inspect") is stand_in:
            del sys.modules["inspect"]
