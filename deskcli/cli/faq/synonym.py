"""`deskcli faq synonym ...`: the words FAQ search treats as the same (applied to every
question at search time; nothing is re-indexed)."""

import click

from deskcli.cli.common import emit_rows, emit_written, format_options, json_option, pass_desk
from deskcli.output import say, write

SOURCES = click.Choice(["glossary", "desk"])


@click.group("synonym")
def synonym():
    """Synonyms: groups of words that mean the same thing (登录 登陆 log in), used by
    `faq search`, `faq recommend`, the suggestions of `ticket open` and `ticket list
    --search` when a question is asked. A change takes effect at once (no re-index).
    `deskcli init` loads the shipped starter glossary (Chinese and English, written for
    this domain); `faq synonym glossary` loads it into an existing desk.

    \b
    Examples:
      deskcli faq synonym add 登录 登陆 登入 "log in" "sign in"
      deskcli faq synonym add 踢下线 挤下线 --to 退出登录 --to "logged out"
      deskcli faq synonym list --word 登录
      deskcli faq synonym remove 12
      deskcli faq synonym export -o syn.txt && deskcli faq synonym import syn.txt
    """


@synonym.command("add")
@click.argument("words", nargs=-1, required=True)
@click.option("--to", "targets", metavar="WORD", multiple=True,
              help="One-way: the WORDS also find this word (not the reverse). Repeatable.")
@json_option
@pass_desk
def add_cmd(desk, words, targets, as_json):
    """Add a group of words that mean the same; each word is one argument (quote words
    with spaces) or a comma-separated list. Two-way: any word finds the others. With
    --to, one-way: the words find the targets, a target does not find them.

    \b
    Examples:
      deskcli faq synonym add 退款 退费 退钱 refund
      deskcli faq synonym add "回放, 重播, replay, playback"
      deskcli faq synonym add 宣传海报 --to 物料 --to 物料申领 --json
    """
    from deskcli.faq.words import synonym_add

    group = synonym_add(desk, list(words), list(targets))
    emit_written(group, as_json, message=f"added: {group['line']}")


@synonym.command("list")
@click.option("--word", metavar="WORD", help="Only groups with this word (or its forms).")
@click.option("--source", type=SOURCES, help="Only the shipped glossary's or the desk's own.")
@format_options
@pass_desk
def list_cmd(desk, word, source, fmt, as_json):
    """List the groups: id, words, one-way targets, and where they came from
    (glossary: shipped with deskcli; desk: added here).

    \b
    Examples:
      deskcli faq synonym list
      deskcli faq synonym list --word login
      deskcli faq synonym list --source desk --json
    """
    from deskcli.faq.words import synonym_list

    rows = synonym_list(desk, word, source=source)
    if fmt == "table" and not as_json:
        write("".join(f"{g['id']:4}  {g['line']}  ({g['source']})\n" for g in rows))
        if not rows:
            say("no synonym groups; add one with `deskcli faq synonym add A B`")
        return
    emit_rows(rows, ["id", "words", "targets", "two_way", "source", "created_at"], fmt,
              as_json)


@synonym.command("remove")
@click.argument("refs", nargs=-1, metavar="ID|WORD...")
@click.option("--source", type=SOURCES,
              help="With no ID or WORD: remove every group of this source.")
@json_option
@pass_desk
def remove_cmd(desk, refs, source, as_json):
    """Remove groups by id, or every group that has a word; `--source glossary` alone
    removes the whole shipped glossary (load it again with `faq synonym glossary`).

    \b
    Examples:
      deskcli faq synonym remove 12 13
      deskcli faq synonym remove 登入
      deskcli faq synonym remove --source glossary
    """
    from deskcli.errors import Invalid
    from deskcli.faq.words import synonym_remove

    if not refs and not source:
        raise Invalid("name the groups to remove", "deskcli faq synonym remove ID|WORD...")
    ids = synonym_remove(desk, list(refs), source=source)
    if as_json:
        write(__import__("json").dumps(ids) + "\n")
    else:
        write("".join(f"{i}\n" for i in ids))
        say(f"removed {len(ids)} group{'s' if len(ids) != 1 else ''}")


@synonym.command("import")
@click.argument("source_file", metavar="FILE|-")
@click.option("--replace", is_flag=True, help="First remove the desk's own groups.")
@json_option
@pass_desk
def import_cmd(desk, source_file, replace, as_json):
    """Add the groups of a synonyms file: one group a line, words separated by commas
    (a, b, c); a one-way group as `a, b => c, d`; # starts a comment (the Solr synonyms
    format). Groups already there are skipped; all or nothing.

    \b
    Examples:
      deskcli faq synonym import synonyms.txt
      deskcli faq synonym import synonyms.txt --replace --json
      echo '课表, 时间表, timetable' | deskcli faq synonym import -
    """
    from deskcli.cli.common import read_text
    from deskcli.faq.words import synonym_import

    text = read_text(None, source_file, what="synonyms file", editor=False)
    counts = synonym_import(desk, text or "", replace=replace)
    _counts(counts, as_json)


@synonym.command("glossary")
@click.option("--replace", is_flag=True,
              help="First remove the glossary groups loaded before (edited or not).")
@json_option
@pass_desk
def glossary_cmd(desk, replace, as_json):
    """Load the starter glossary shipped with deskcli into this desk (`init` does it for
    a new desk). Its words were written by the deskcli developers for this domain:
    accounts and login, passwords and codes, booking, leave, refunds, invoices, payment,
    live classes, sound, camera, replays, crashes, devices, teachers, franchise
    materials, reports..., Chinese and English both ways. Groups already there are
    skipped, so it can be run again after an upgrade.

    \b
    Examples:
      deskcli faq synonym glossary
      deskcli faq synonym glossary --replace --json
    """
    from deskcli.faq.words import load_glossary

    _counts(load_glossary(desk, replace=replace), as_json)


def _counts(counts: dict, as_json: bool) -> None:
    if as_json:
        write(__import__("json").dumps(counts) + "\n")
    else:
        write(f"added {counts['added']}, skipped {counts['skipped']}, removed "
              f"{counts['removed']}; {counts['groups']} groups in all\n")


@synonym.command("export")
@click.option("-o", "--output", "target", metavar="FILE", help="Write to FILE, not stdout.")
@click.option("--source", type=SOURCES, help="Only the shipped glossary's or the desk's own.")
@pass_desk
def export_cmd(desk, target, source):
    """Write the groups as a synonyms file that `faq synonym import` reads back.

    \b
    Examples:
      deskcli faq synonym export -o synonyms.txt
      deskcli faq synonym export --source desk
    """
    from deskcli.faq.words import synonym_export

    text = synonym_export(desk, source=source)
    if target and target != "-":
        from pathlib import Path

        Path(target).write_text(text, encoding="utf-8")
        say(f"wrote {target}")
    else:
        write(text)
