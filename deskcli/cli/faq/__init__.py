"""`deskcli faq ...`: the knowledge base (FAQ). The group and its two hot commands live
here: `faq search` and `faq suggest` are called as often as people type, so this module and
what they import stay light (click, sqlite3 and the search core); the other commands are
in faq_manage and faq_advice, imported only when they run."""

import click

from deskcli.cli import LazyGroup
from deskcli.cli.common import chosen, colour, emit_rows, format_options, pass_desk
from deskcli.output import say, write

VERBS = {
    "category": ("deskcli.cli.faq.manage", "category", "Categories (问题类型): add, list."),
    "add": ("deskcli.cli.faq.manage", "add_cmd", "Add an entry."),
    "update": ("deskcli.cli.faq.manage", "update_cmd", "Change an entry."),
    "remove": ("deskcli.cli.faq.manage", "remove_cmd", "Remove entries."),
    "show": ("deskcli.cli.faq.manage", "show_cmd", "Show an entry and what it answered."),
    "list": ("deskcli.cli.faq.manage", "list_cmd", "List entries."),
    "search": ("deskcli.cli.faq", "search_cmd", "Search, best answers first."),
    "suggest": ("deskcli.cli.faq", "suggest_cmd", "Complete keywords as you type (关键词联想)."),
    "recommend": ("deskcli.cli.faq.advice", "recommend_cmd",
                  "Recommend entries for a customer's question."),
    "gaps": ("deskcli.cli.faq.advice", "gaps_cmd", "Topics recent tickets ask that no FAQ "
                                                   "answers."),
    "synonym": ("deskcli.cli.faq.synonym", "synonym",
                "Synonyms search applies to questions: add, list, remove, import, export."),
    "import": ("deskcli.cli.faq.manage", "import_cmd", "Add and update entries from a file."),
    "export": ("deskcli.cli.faq.manage", "export_cmd", "Write the FAQ to a file."),
}


@click.group("faq", cls=LazyGroup, lazy=VERBS)
def faq():
    """The FAQ (knowledge base): categories (问题类型), entries with keywords, search that
    works in Chinese and English, keyword completion (关键词联想), recommendations that
    learn which entries solved which tickets, and the topics no entry answers yet.

    \b
    Examples:
      deskcli faq add --category 账号与登录 --question "学员登录不了怎么办？" \\
          --answer "请先确认手机号……" --keywords 登录,登录失败
      deskcli faq search 学员登录不了怎么办
      deskcli faq suggest 登
      deskcli faq import faq.md && deskcli faq export -o faq.md
    """


# --- the hot path: search and suggest --------------------------------------------

def _marks() -> tuple[str, str]:
    """Bold on a terminal that takes colour, brackets elsewhere (NO_COLOR, TERM=dumb, a
    pipe, and machine output)."""
    if colour():
        return ("\x1b[1m", "\x1b[0m")
    return ("[", "]")


@click.command("search")
@click.argument("text", nargs=-1, required=True)
@click.option("--category", metavar="CATEGORY", help="Only this category (and below).")
@click.option("--type", "type_key", metavar="TYPE",
              help="Only entries for this ticket type or for any type.")
@click.option("--limit", type=click.IntRange(min=1, max=100), default=10, show_default=True,
              help="At most this many.")
@click.option("--explain", is_flag=True,
              help="Say why each entry was found: words matched, synonyms, learned words.")
@format_options
@pass_desk
def search_cmd(desk, text, category, type_key, limit, explain, fmt, as_json):
    """Search the FAQ, best answers first (bm25 over question, keywords and answer;
    question and keyword matches count more). Works for Chinese without spaces
    (登录, 续费), whole sentences as people type them, English with stemming, mixed text,
    full-width letters and traditional characters. Greetings and filler (你好, 请问,
    谢谢, my kid, again) are left out; the desk's synonyms (`faq synonym`) find entries
    in other words and the other language; entries cited by `ticket reply --faq` are
    also found by the words of the tickets they solved.

    \b
    Examples:
      deskcli faq search 学员登录不了怎么办
      deskcli faq search "APP 闪退 iOS 17" --limit 3
      deskcli faq search how do I reset a password --json
      deskcli faq search 老是被踢下线 --explain
      deskcli faq search 退款 --category 退款 --format csv
    """
    from deskcli.faq.search import faq_search

    fmt = chosen(fmt, as_json)
    human = fmt in ("table", "plain")
    hits = faq_search(desk, " ".join(text), category=category, type_key=type_key,
                      limit=limit, mark=_marks() if human else ("[", "]"), explain=explain)
    if not human:
        emit_rows(hits, ["rank", "key", "category", "question", "snippet"]
                  + (["why"] if explain else []), fmt)
        return
    if not hits:
        say("no FAQ entry matches; try other words, or `deskcli faq suggest WORD`")
    out = []
    for h in hits:
        category_note = f"  ({h['category']})" if h["category"] else ""
        out.append(f"{h['rank']:2}. {h['key']}  {h['question_marked']}{category_note}\n"
                   f"    {h['snippet']}\n")
        if explain:
            from deskcli.faq.explain import describe

            out.append(f"    why: {describe(h['why'])}\n")
    write("".join(out))


@click.command("suggest")
@click.argument("prefix", nargs=-1)
@click.option("--limit", type=click.IntRange(min=1, max=100), default=10, show_default=True,
              help="At most this many.")
@format_options
@pass_desk
def suggest_cmd(desk, prefix, limit, fmt, as_json):
    """Complete what is being typed (关键词联想): keywords and frequent question terms,
    most used first; one suggestion per line (the typed text with its end completed).
    Fast enough to call on every keystroke.

    \b
    Examples:
      deskcli faq suggest 登
      deskcli faq suggest 学员续
      deskcli faq suggest pass --json
    """
    from deskcli.faq.search import faq_suggest

    rows = faq_suggest(desk, " ".join(prefix), limit)
    if chosen(fmt, as_json) == "table":
        write("".join(r["suggestion"] + "\n" for r in rows))
    else:
        emit_rows(rows, ["suggestion", "term", "keywords", "questions"], fmt, as_json)
