"""Relevance of the real `deskcli faq search`: hit@1, hit@3 and MRR on the labelled set.

    python bench/faq/relevance_cli.py [-v] [--faq FILE] [--queries FILE] [--db FILE|URL]

Where relevance.py measures the ranking recipe on a table of its own, this creates a desk
(`deskcli init`), loads faq.jsonl with `deskcli faq import`, and runs every query of
queries.jsonl as `deskcli faq search QUERY --json --limit 10`, in-process through click
(the same code path as the command, without a process start per query). The figures
are printed per kind of query, as relevance.py does.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(HERE))

from click.testing import CliRunner  # noqa: E402
from relevance import LIMIT, evaluate, load_jsonl  # noqa: E402

from deskcli.cli import main as deskcli  # noqa: E402


class Desk:
    """A desk file and the environment to run deskcli on it as its admin."""

    def __init__(self, path: Path | str):
        self.env = {"DESKCLI_DB": str(path), "DESKCLI_USER": "admin",
                    "DESKCLI_NOW": "2026-11-28T09:00:00Z"}
        self.runner = CliRunner()

    def run(self, *args: str) -> str:
        result = self.runner.invoke(deskcli, list(args), env=self.env, catch_exceptions=False)
        if result.exit_code != 0:
            raise SystemExit(f"deskcli {' '.join(args)} failed: {result.stderr}")
        return result.stdout


def make_desk(path: Path | str, faq: Path) -> Desk:
    desk = Desk(path)
    desk.run("init", "--admin", "admin")
    desk.run("faq", "import", str(faq))
    return desk


def cli_rank(desk: Desk):
    """A rank() for relevance.evaluate that asks `deskcli faq search`."""

    def rank(_conn, query: str, limit: int = LIMIT, *_args, **_options) -> list[str]:
        out = desk.run("faq", "search", query, "--json", "--limit", str(limit))
        return [hit["key"] for hit in json.loads(out)]

    return rank


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list the failures")
    parser.add_argument("--faq", type=Path, default=HERE / "faq.jsonl")
    parser.add_argument("--queries", type=Path, default=HERE / "queries.jsonl")
    parser.add_argument("--db", help="the desk to create: a file, or a postgresql:// URL of "
                        "an empty database (default: a temporary file)")
    args = parser.parse_args(argv)
    queries = load_jsonl(args.queries)
    entries = {e["key"]: e for e in load_jsonl(args.faq)}
    with tempfile.TemporaryDirectory(prefix="deskcli-relevance-") as tmp:
        os.environ.setdefault("XDG_DATA_HOME", tmp)
        desk = make_desk(args.db or Path(tmp) / "desk.db", args.faq)
        rank = cli_rank(desk)
        print(f"{len(entries)} FAQs imported with `deskcli faq import`; "
              f"{len(queries)} queries through `deskcli faq search`")
        kinds = sorted({q.get("kind", "typed") for q in queries})
        for kind in [*kinds, "all"] if len(kinds) > 1 else ["all"]:
            subset = [q for q in queries if kind in ("all", q.get("kind", "typed"))]
            r = evaluate(None, subset, rank=rank)
            print(f"{kind:>10}: {r['n']:3} queries  hit@1 {r['hit@1']:.3f}  "
                  f"hit@3 {r['hit@3']:.3f}  MRR {r['mrr']:.3f}")
        if args.verbose:
            show_failures(evaluate(None, queries, rank=rank)["failures"], entries)
    return 0


def show_failures(failures, entries: dict, label=lambda q: "") -> None:
    """Each query whose first hit is not relevant, with its first three hits."""
    for q, first, top in failures:
        where = f"first relevant at {first}" if first else "no relevant in top 10"
        print(f"\n{label(q)}{q['query']!r}: {where}; relevant {', '.join(q['relevant'])}")
        for key in top:
            mark = "*" if key in q["relevant"] else " "
            print(f"  {mark} {key} {entries[key]['question']}")


if __name__ == "__main__":
    sys.exit(main())
