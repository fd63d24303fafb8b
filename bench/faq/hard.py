"""Hard questions through the real `deskcli faq search`: hit@1, hit@3 and MRR per kind
and per half (dev / held out), with the desk's synonyms or without them.

    python bench/faq/hard.py [-v] [--no-synonyms] [--queries FILE ...] [--learn FILE]

hard.jsonl holds 96 queries over faq.jsonl in six kinds (typo, traditional, paraphrase
without shared words, cross-language, long colloquial, stemming), written after the
starter glossary (glossary/synonyms.txt) and before any score was seen; every other query
of each kind is "held" out: the glossary was only ever looked at against the "dev" half.
The everyday queries.jsonl are run too (kind "everyday"), so a gain on the hard set is
not paid for there.

A desk is created with `deskcli init` (which loads the glossary) and the FAQ imported;
`--no-synonyms` removes the glossary first (`faq synonym remove --source glossary`).
`--learn FILE` (JSON lines {"title", "faq"}) opens, answers with `ticket reply --faq` and
resolves one ticket per line first, so that search also learns from solved tickets.
The "before" figures of README.md come from running this script on the commit before
the synonyms (it then only reads what that deskcli has).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(HERE))

from relevance import evaluate, load_jsonl  # noqa: E402
from relevance_cli import cli_rank, make_desk, show_failures  # noqa: E402


def learn(desk, path: Path) -> int:
    """Open, answer (citing the entry) and resolve one ticket per line of `path`."""
    desk.run("type", "add", "help", "--name", "Help", "--route", "user:admin")
    n = 0
    for row in load_jsonl(path):
        ticket = desk.run("ticket", "open", "--type", "help", "--title", row["title"],
                          "-m", row.get("body", row["title"])).split()[0]
        desk.run("ticket", "accept", ticket)
        desk.run("ticket", "reply", ticket, "--faq", row["faq"])
        desk.run("ticket", "resolve", ticket, "-m", "answered by the FAQ")
        n += 1
    return n


def report(name: str, queries: list[dict], rank) -> None:
    groups = [(k, [q for q in queries if q.get("kind", "everyday") == k])
              for k in dict.fromkeys(q.get("kind", "everyday") for q in queries)]
    splits = sorted({q["split"] for q in queries if "split" in q})
    print(f"{name}:  kind          n  hit@1  hit@3    MRR" + "".join(
        f"   {s}: hit@3" for s in splits))
    if len(groups) > 1:
        groups.append(("all", queries))
    for kind, subset in groups:
        r = evaluate(None, subset, rank=rank)
        line = f"    {kind:>12} {r['n']:4}  {r['hit@1']:.3f}  {r['hit@3']:.3f}  {r['mrr']:.3f}"
        for s in splits:
            part = [q for q in subset if q.get("split") == s]
            line += f"   {evaluate(None, part, rank=rank)['hit@3']:.3f} ({len(part)})" \
                if part else ""
        print(line)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list the failures")
    parser.add_argument("--faq", type=Path, default=HERE / "faq.jsonl")
    parser.add_argument("--queries", type=Path, nargs="+",
                        default=[HERE / "hard.jsonl", HERE / "queries.jsonl"])
    parser.add_argument("--no-synonyms", action="store_true",
                        help="remove the starter glossary before searching")
    parser.add_argument("--learn", type=Path, help="solved tickets to learn from first")
    args = parser.parse_args(argv)
    entries = {e["key"]: e for e in load_jsonl(args.faq)}
    with tempfile.TemporaryDirectory(prefix="deskcli-hard-") as tmp:
        os.environ.setdefault("XDG_DATA_HOME", tmp)
        desk = make_desk(Path(tmp) / "desk.db", args.faq)
        if args.no_synonyms:
            desk.run("faq", "synonym", "remove", "--source", "glossary")
        if args.learn:
            print(f"learned from {learn(desk, args.learn)} solved tickets")
        rank = cli_rank(desk)
        for path in args.queries:
            queries = load_jsonl(path)
            report(path.name, queries, rank)
            if args.verbose:
                show_failures(evaluate(None, queries, rank=rank)["failures"], entries,
                              lambda q: f"[{q.get('kind', 'everyday')}/{q.get('split', '-')}] ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
