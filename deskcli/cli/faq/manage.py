"""`deskcli faq` commands that keep the FAQ: categories, add, update, remove, show,
list, import and export."""

import click

from deskcli.cli.common import (
    chosen,
    emit_object,
    emit_rows,
    emit_written,
    format_options,
    json_option,
    pass_desk,
    read_text,
    took_input,
)
from deskcli.output import say, write

FORMATS = ("jsonl", "json", "csv", "md")


# --- categories -----------------------------------------------------------------------------

@click.group("category")
def category():
    """FAQ categories (问题类型). Categories nest: name a subcategory by its path, A/B.

    \b
    Examples:
      deskcli faq category add 账号与登录
      deskcli faq category add 微信登录 --parent 账号与登录
      deskcli faq category list
      deskcli faq category rename 退款 退款与退费
      deskcli faq category remove 旧分类 --to 账号与登录
    """


@category.command("add")
@click.argument("name")
@click.option("--parent", metavar="CATEGORY", help="Put it under this category.")
@json_option
@pass_desk
def category_add(desk, name, parent, as_json):
    """Add a category; a path (A/B) creates the missing parents too.

    \b
    Examples:
      deskcli faq category add 退款
      deskcli faq category add 账号与登录/微信登录
      deskcli faq category add 微信登录 --parent 账号与登录 --json
    """
    from deskcli.faq.categories import category_add as add

    emit_written(add(desk, name, parent), as_json, key="path")


@category.command("list")
@format_options
@pass_desk
def category_list(desk, fmt, as_json):
    """List categories with how many entries each holds (subcategories included).

    \b
    Examples:
      deskcli faq category list
      deskcli faq category list --json
    """
    from deskcli.faq.categories import category_list as listing

    emit_rows(listing(desk), ["path", "entries", "own_entries"], fmt, as_json)


@category.command("rename")
@click.argument("category_ref", metavar="CATEGORY")
@click.argument("new")
@json_option
@pass_desk
def category_rename(desk, category_ref, new, as_json):
    """Rename a category, or move it: NEW is a name (it stays where it is) or a path A/B
    (it moves there; missing parents are created). Its subcategories and entries go with
    it. Refused when NEW exists: merge with `remove CATEGORY --to NEW` instead.

    \b
    Examples:
      deskcli faq category rename 退款 退款与退费
      deskcli faq category rename 账号与登录/微信登录 第三方登录/微信
    """
    from deskcli.faq.categories import category_rename as rename

    emit_written(rename(desk, category_ref, new), as_json, key="path")


@category.command("remove")
@click.argument("category_ref", metavar="CATEGORY")
@click.option("--to", "target", metavar="CATEGORY",
              help="Move its entries into this category first.")
@json_option
@pass_desk
def category_remove(desk, category_ref, target, as_json):
    """Remove a category without subcategories. One that holds entries needs --to, which
    moves them into another category first (a merge).

    \b
    Examples:
      deskcli faq category remove 旧分类
      deskcli faq category remove 退费 --to 退款与退费
    """
    from deskcli.faq.categories import category_remove as remove

    result = remove(desk, category_ref, target)
    moved = (f", {result['moved_entries']} entries moved to {result['moved_to']}"
             if result["moved_to"] else "")
    emit_written(result, as_json, key="path", message=f"Removed {result['path']}{moved}")


# --- entries --------------------------------------------------------------------------------

def entry_options(func):
    options = [
        click.option("--category", metavar="CATEGORY",
                     help="Its category (a path A/B, or a unique name); created if new."),
        click.option("--question", metavar="TEXT", help="The question, as people ask it."),
        click.option("--answer", metavar="TEXT", help="The answer ('-' reads stdin)."),
        click.option("--answer-file", metavar="FILE|-", help="Read the answer from a file."),
        click.option("--keywords", metavar="K1,K2", multiple=True,
                     help="Keywords (comma-separated; 、 and ， work too)."),
        click.option("--type", "types", metavar="TYPE", multiple=True,
                     help="A ticket type it answers (suggested first for those). "
                          "Repeatable."),
        click.option("--json", "as_json", is_flag=True, help="Print the entry as JSON."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.command("add")
@click.option("--key", metavar="KEY", help="A stable key (default: faq-N).")
@entry_options
@pass_desk
def add_cmd(desk, key, category, question, answer, answer_file, keywords, types, as_json):
    """Add an entry. The answer comes from --answer, --answer-file FILE|-, or $EDITOR.
    A new category is created on the way. Prints the entry's key.

    \b
    Examples:
      deskcli faq add --category 账号与登录 --question "学员登录不了怎么办？" \\
          --answer "请先确认手机号……" --keywords 登录,登录失败
      deskcli faq add --key refund-time --category 退款 \\
          --question "退款多久到账？" --answer-file refund.md --type refund
      deskcli faq add --category App --question "App crashes on iOS 17" \\
          --answer - < a.txt
    """
    from deskcli.cli.common import long_text
    from deskcli.faq.manage import Changes, faq_add

    if question is None:
        raise click.UsageError("--question is required")
    text = long_text(answer, answer_file, what="answer").value
    created: list[str] = []
    entry = faq_add(desk, Changes(key=key, category=category, question=question, answer=text,
                                  keywords=list(keywords), types=list(types)), created)
    note = f"Added {entry.key}" + (f" (new category {', '.join(created)})" if created else "")
    emit_written(entry.to_dict(), as_json, key="key", message=note + ".")


@click.command("update")
@click.argument("ref", metavar="KEY")
@click.option("--key", "new_key", metavar="KEY", help="Change the key.")
@entry_options
@click.option("--clear-types", is_flag=True, help="Tie it to no ticket type.")
@click.option("--edit", is_flag=True, help="Edit the answer in $EDITOR.")
@pass_desk
def update_cmd(desk, ref, new_key, category, question, answer, answer_file, keywords, types,
               clear_types, edit, as_json):
    """Change an entry; options not given stay as they are (--keywords replaces them all).

    \b
    Examples:
      deskcli faq update faq-002 --keywords 登录,转圈,网络错误
      deskcli faq update faq-002 --answer-file answer.md
      deskcli faq update refund-time --edit
      deskcli faq update faq-002 --category 账号与登录/App --type app-crash
    """
    from deskcli.faq.manage import Changes, faq_show, faq_update

    text = read_text(answer, answer_file, what="answer", editor=False)
    if edit:
        current = faq_show(desk, ref).answer
        took_input()
        edited = click.edit(current, extension=".md")
        text = edited.strip() if edited and edited.strip() != current.strip() else text
    created: list[str] = []
    changes = Changes(key=new_key, category=category, question=question, answer=text,
                      keywords=list(keywords) if keywords else None,
                      types=[] if clear_types else (list(types) if types else None))
    entry = faq_update(desk, ref, changes, created)
    emit_written(entry.to_dict(), as_json, key="key",
                 message=f"new category {', '.join(created)}" if created else None)


@click.command("remove")
@click.argument("refs", nargs=-1, required=True, metavar="KEY...")
@pass_desk
def remove_cmd(desk, refs):
    """Remove entries. Replies that cited them keep the text and the key.

    \b
    Examples:
      deskcli faq remove faq-017
      deskcli faq remove old-1 old-2
    """
    from deskcli.faq.manage import faq_remove

    for key in faq_remove(desk, list(refs)):
        write(f"{key}\n")


@click.command("show")
@click.argument("ref", metavar="KEY")
@format_options
@pass_desk
def show_cmd(desk, ref, fmt, as_json):
    """Show an entry: question, answer, keywords, and the tickets it answered.

    \b
    Examples:
      deskcli faq show faq-002
      deskcli faq show 12 --json
    """
    from deskcli.faq.manage import faq_show

    emit_object(faq_show(desk, ref).to_dict(), fmt, as_json, human=_human_entry)


def _human_entry(e: dict) -> str:
    lines = [f"{e['key']}  {e['question']}"]
    facts = [f"category: {e['category']}" if e["category"] else "",
             f"keywords: {', '.join(e['keywords'])}" if e["keywords"] else "",
             f"types: {', '.join(e['types'])}" if e["types"] else ""]
    lines += [x for x in facts if x]
    lines += ["", e["answer"].rstrip(), ""]
    lines.append(f"answered {e.get('answered', 0)} ticket(s)" + (":" if e.get(
        "answered_tickets") else ""))
    lines += [f"  #{t['id']} ({t['status']}) {t['title']}" for t in e.get("answered_tickets")
              or ()]
    lines.append(f"updated {e['updated_at']} by {e['updated_by'] or '-'}")
    return "\n".join(lines) + "\n"


@click.command("list")
@click.option("--category", metavar="CATEGORY", help="Only this category (and below).")
@click.option("--type", "type_key", metavar="TYPE", help="Only entries tied to this type.")
@click.option("--limit", type=click.IntRange(min=0), default=0, help="At most this many.")
@format_options
@pass_desk
def list_cmd(desk, category, type_key, limit, fmt, as_json):
    """List entries by key, with how many tickets each answered.

    \b
    Examples:
      deskcli faq list
      deskcli faq list --category 账号与登录 --format csv
      deskcli faq list --type app-crash --json
    """
    from deskcli.faq.manage import faq_list

    rows = [e.to_dict() for e in faq_list(desk, category=category, type_key=type_key,
                                          limit=limit or None)]
    if chosen(fmt, as_json) not in ("json", "jsonl"):
        for row in rows:
            row["keywords"] = ", ".join(row["keywords"])
    emit_rows(rows, ["key", "category", "question", "keywords", "answered"], fmt, as_json)


# --- files ----------------------------------------------------------------------------------

@click.command("import")
@click.argument("source", metavar="FILE|-")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="The file's format (default: from its extension; for -, from its "
                   "first character).")
@click.option("--prune", is_flag=True, help="Remove entries that are not in the file.")
@click.option("--dry-run", is_flag=True, help="Count what would change; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_desk
def import_cmd(desk, source, fmt, prune, dry_run, as_json):
    """Add and update entries from a CSV, JSON, JSON lines or Markdown file (one `##`
    question per entry; see `faq export --format md`). Idempotent by key: importing the
    same file twice changes nothing, so a FAQ kept in git can be synced with --prune.
    All or nothing: a bad entry is named and nothing is written.

    \b
    Examples:
      deskcli faq import faq.md
      deskcli faq import faq.csv --dry-run
      git pull && deskcli faq import docs/faq.md --prune
      cat faq.jsonl | deskcli faq import - --format jsonl --json
    """
    from deskcli.errors import Invalid
    from deskcli.faq import files as faq_io
    from deskcli.faq.manage import faq_import

    kind = faq_io.format_of(source, fmt)
    if kind is None and source != "-":
        raise Invalid(f"cannot tell the format of {source}",
                      f"add --format ({', '.join(FORMATS)})")
    text = read_text(None, source, what="FAQ file", editor=False)
    kind = kind or faq_io.format_of_text(text or "")  # stdin: by its first character
    try:
        records = faq_io.parse(text or "", kind)
    except ValueError as exc:
        raise Invalid(f"{source}: {exc}", "nothing was imported") from None
    counts = faq_import(desk, records, prune=prune, dry_run=dry_run)
    if as_json:
        write(__import__("json").dumps(counts) + "\n")
    else:
        would = "would be " if dry_run else ""
        write(f"{would}added {counts['added']}, updated {counts['updated']}, unchanged "
              f"{counts['unchanged']}, removed {counts['removed']}\n")


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="jsonl, json, csv or md (default: from -o's extension, else jsonl).")
@click.option("-o", "--output", "target", metavar="FILE", help="Write to FILE, not stdout.")
@click.option("--category", metavar="CATEGORY", help="Only this category (and below).")
@pass_desk
def export_cmd(desk, fmt, target, category):
    """Write the FAQ in a format `faq import` reads back, sorted by key (stable diffs).

    \b
    Examples:
      deskcli faq export -o faq.md
      deskcli faq export --format csv > faq.csv
      deskcli faq export --category 退款 --format json
    """
    from deskcli.faq import files as faq_io
    from deskcli.faq.manage import faq_export

    kind = faq_io.format_of(target, fmt) or "jsonl"
    text = faq_io.render(faq_export(desk, category=category), kind)
    if target and target != "-":
        from pathlib import Path

        Path(target).write_text(text, encoding="utf-8")
        say(f"wrote {target}")
    else:
        write(text)
