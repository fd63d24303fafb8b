"""Commands about the desk itself: init, demo, whoami, version, config, db, completion."""

import os

import click

from deskcli.cli.common import (
    desk_option_or_none,
    emit_object,
    emit_rows,
    format_options,
    pass_desk,
)
from deskcli.output import say


@click.command()
@click.option("--admin", required=True, metavar="LOGIN", help="Login of the first admin.")
@click.option("--name", help="The admin's full name.")
@click.option("--email", help="The admin's e-mail address.")
@click.option("--desk-name", metavar="NAME", help="Display name of the desk (e.g. the brand).")
@click.option("--timezone", metavar="ZONE", help="IANA time zone, e.g. Asia/Shanghai.")
@click.option("--locale", type=click.Choice(["en", "zh"]), help="Language of notices.")
@click.option("--group", metavar="GROUP",
              help="Share the desk with this Unix group: the desk (and its -wal and -shm) "
                   "mode 0660, and a folder deskcli creates setgid 2770.")
@click.pass_obj
def init(app, admin, name, email, desk_name, timezone, locale, group):
    """Create a desk: the schema, the first admin, and the desk's name.

    The desk is created at --db PATH, --desk NAME, $DESKCLI_DB, or
    $XDG_DATA_HOME/deskcli/desk.db, readable by its owner only; with --group, readable
    and writable by the group too (for several staff accounts, cron and an MTA's pipe
    user: see "Running a shared desk" in deskcli(1)).

    \b
    Examples:
      deskcli init --admin alice --name "Alice Wang" --desk-name "Brand A"
      deskcli --db /srv/desks/brand-b.db init --admin li --timezone Asia/Shanghai
      deskcli --desk brand-c init --admin admin --locale zh
      deskcli --db /srv/desks/brand-a.db init --admin alice --group desk
    """
    from deskcli.people.staff import init_desk

    path = app.db_path()
    if group is not None:
        from deskcli.deskfile import sharing

        sharing.check_group(group, path)
        if not sharing.prepare_folder(path, group) and (
                warning := sharing.folder_warning(path, group)):
            say(f"note: {warning}")
    desk = init_desk(path, admin=admin, name=name, email=email, desk_name=desk_name,
                     timezone=timezone, locale=locale)
    desk.close()
    if group is not None:
        sharing.share(path, group)
    click.echo(str(path))
    say(f"Created the desk {path} with admin {admin}.\n"
        f"Next: act as {admin} (export DESKCLI_USER={admin}), then add people and types:\n"
        f"  deskcli dept add support --name Support --head {admin}\n"
        f"  deskcli type add it --name 'IT problem' --route manual\n"
        f"  deskcli ticket open --type it --title 'Printer jammed' -m 'Room 3'")


@click.command()
@click.option("--path", type=click.Path(dir_okay=False), metavar="PATH",
              help="Where to create the demo desk (default: a new temporary folder).")
@click.option("--force", is_flag=True, help="Replace an existing file at PATH.")
def demo(path, force):
    """Create a demo desk with departments, users, customers, ticket types and tickets,
    and print what to try next.

    \b
    Examples:
      deskcli demo
      deskcli demo --path ./demo.db --force
    """
    from pathlib import Path

    from deskcli.deskfile.demo import build_demo

    if path is None:
        import tempfile

        path = Path(tempfile.mkdtemp(prefix="deskcli-demo-")) / "demo.db"
    path = Path(path)
    if path.exists() and force:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    summary = build_demo(path)
    click.echo(str(path))
    say(summary)


@click.command()
@format_options
@pass_desk
def whoami(desk, fmt, as_json):
    """Show who you are acting as (and why), your role and permissions, and the desk.

    \b
    Examples:
      deskcli whoami
      deskcli --as bob whoami --json
    """
    from deskcli.people.staff import whoami as who

    emit_object(who(desk), fmt, as_json)


@click.command()
@format_options
@click.pass_obj
def version(app, fmt, as_json):
    """Show deskcli's version, and the desk's schema version when there is a desk.

    \b
    Examples:
      deskcli version
      deskcli --db brand-a.db version --json
    """
    from deskcli import __version__
    from deskcli.store.migrations import MIGRATIONS

    info = {"version": __version__, "schema_version_supported": len(MIGRATIONS),
            "desk": None, "schema_version": None}
    from deskcli.store import exists

    path = app.db_path()
    store = None
    if exists(path):
        from deskcli.errors import NotFound
        from deskcli.store import Store

        try:
            store = Store.open(path, migrate=False)  # also for a desk newer than this deskcli
        except NotFound:  # a PostgreSQL database without a desk yet
            store = None
    if store is not None:
        from deskcli.store import migrations

        info.update(desk=str(path), schema_version=migrations.version(store))
        store.close()
    emit_object(info, fmt, as_json)


# --- config -------------------------------------------------------------------------------

@click.group()
def config():
    """Desk settings (kept in the desk, shared by everyone who uses it: locale, timezone,
    mail, ...) and personal settings (your XDG config file: user, desk, desks.NAME).

    \b
    Examples:
      deskcli config set locale zh
      deskcli config set timezone Asia/Shanghai
      deskcli config set user alice                   # personal
      deskcli config set desks.brand-b /srv/desks/brand-b.db
      deskcli config list --all
    """


@config.command("get")
@click.argument("key")
@format_options
def config_get(key, fmt, as_json):
    """Print one setting's value (empty when unset).

    \b
    Examples:
      deskcli config get locale
      deskcli config get user --json
    """
    from deskcli.people.staff import get_setting

    result = get_setting(desk_option_or_none(), key)
    if fmt == "table" and not as_json:
        click.echo("" if result["value"] is None else result["value"])
    else:
        emit_object(result, fmt, as_json)


@config.command("set")
@click.argument("key")
@click.argument("value")
def config_set(key, value):
    """Set a setting. Desk settings need the desk.configure permission (admins).

    \b
    Examples:
      deskcli config set locale zh
      deskcli config set desk brand-a
    """
    from deskcli.people.staff import set_setting

    result = set_setting(desk_option_or_none(), key, value)
    click.echo(f"{key}={result['value']}")


@config.command("unset")
@click.argument("key")
def config_unset(key):
    """Remove a setting, so its default applies again.

    \b
    Example:
      deskcli config unset timezone
    """
    from deskcli.people.staff import set_setting

    set_setting(desk_option_or_none(), key, None)
    click.echo(key)


@config.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include settings that are not set.")
@format_options
def config_list(show_all, fmt, as_json):
    """List settings with their scope (desk or personal) and meaning.

    \b
    Examples:
      deskcli config list
      deskcli config list --all --json
    """
    from deskcli.people.staff import list_settings

    rows = list_settings(desk_option_or_none(), show_all)
    emit_rows(rows, ["key", "value", "scope", "help"], fmt, as_json)


# --- db -----------------------------------------------------------------------------------

@click.group()
def db():
    """Look after the desk file.

    \b
    Examples:
      deskcli db backup /backups/desk-$(date +%F).db
      deskcli db check
      deskcli db copy brand-a.db postgresql://desk@db.example/brand_a
      deskcli db migrate
      deskcli db reindex
    """


@db.command("backup")
@click.argument("target", type=click.Path(dir_okay=False))
@pass_desk
def db_backup(desk, target):
    """Copy the desk to TARGET, consistently even while others use it.

    A desk on PostgreSQL is written to TARGET as a SQLite desk file, from one consistent
    snapshot (the same code as `db copy`): every backup opens anywhere, with deskcli or
    sqlite3. The server's own backups (pg_dump, pg_basebackup) cover it too.

    \b
    Example:
      deskcli db backup /backups/desk-$(date +%F).db
    """
    from deskcli.deskfile import maintenance

    click.echo(maintenance.backup(desk, target))


@db.command("copy")
@click.argument("source", metavar="SOURCE")
@click.argument("target", metavar="TARGET")
@click.option("--json", "as_json", is_flag=True, help="Print what was copied as JSON.")
@click.pass_obj
def db_copy(app, source, target, as_json):
    """Copy the desk at SOURCE to a new desk at TARGET: each a file's path or a
    postgresql:// URL, so a desk moves from SQLite to a PostgreSQL server, and back.

    The source is read in one consistent snapshot, while others go on working; the
    target must be new (a file that does not exist, or a database with no desk in it:
    `createdb` it first) and is written in one transaction, then its search indexes are
    built. Needs the desk.configure permission on the source (admins). Nothing is
    removed from the source: point everyone at the new desk, then retire the old one.

    \b
    Examples:
      deskcli db copy ~/desks/brand-a.db postgresql://desk@db.example/brand_a
      deskcli db copy postgresql://desk@db/brand_a /backups/brand-a.db
      deskcli db copy old.db new.db --json
    """
    import sys

    from deskcli.config import resolve_login
    from deskcli.deskfile.maintenance import copy

    progress = None
    if sys.stderr.isatty():
        def progress(table, done):
            click.echo(f"\rcopying {table}: {done} rows\033[K", err=True, nl=False)
    login, login_source = resolve_login(app.as_login)
    # (expanduser leaves a URL as it is)
    result = copy(os.path.expanduser(source), os.path.expanduser(target), login, login_source,
                  progress)
    if progress:
        click.echo("", err=True)
    if as_json:
        emit_object(result, "json")
    else:
        click.echo(result["target"])
        say(f"copied {result['tickets']} tickets and {sum(result['tables'].values())} rows "
            f"in all; built the search index of {result['faq']} FAQ entries")


@db.command("check")
@pass_desk
def db_check(desk):
    """Check the file's integrity, foreign keys and full-text index (exit 1 on damage).

    On PostgreSQL: every foreign key (a restore with its triggers off can break them),
    invalid indexes, and with the amcheck extension installed in the database, every
    b-tree index against its table; the server checks its own pages (data checksums).

    \b
    Example:
      deskcli db check && echo healthy
    """
    from deskcli.deskfile import maintenance

    problems = maintenance.check(desk)
    for problem in problems:
        say(problem)
    if problems:
        raise SystemExit(1)
    click.echo("ok")


@db.command("reindex")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_desk
def db_reindex(desk, as_json):
    """Build the full-text indexes of tickets and the FAQ again with this deskcli's
    tokenizer. Needed after an upgrade that changed it (`db check` and `ticket list
    --search` say so); one transaction, so searches see the old index until it is done.
    About 2 minutes per million tickets.

    \b
    Example:
      deskcli --as admin db reindex
    """
    import sys

    from deskcli.deskfile import maintenance

    progress = None
    if sys.stderr.isatty():
        def progress(done):
            click.echo(f"\rreindexing: {done} tickets", err=True, nl=False)
    counts = maintenance.reindex(desk, progress)
    if progress:
        click.echo("", err=True)
    if as_json:
        emit_object(counts, "json")
    else:
        click.echo(f"reindexed {counts['tickets']} tickets and {counts['faq']} FAQ entries")


@db.command("migrate")
@click.pass_obj
def db_migrate(app):
    """Bring the desk's schema up to date (also done automatically on every open).

    \b
    Example:
      deskcli --db old.db db migrate
    """
    from deskcli.store import Store, migrations

    store = Store.open(app.db_path(), migrate=False)
    applied = migrations.upgrade(store)
    version = migrations.version(store)
    store.close()
    click.echo(version)
    say(f"applied {', '.join(applied)}" if applied else "the desk was up to date")


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell):
    """Print shell completion code for SHELL.

    \b
    Examples:
      eval "$(deskcli completion bash)"          # in ~/.bashrc
      deskcli completion fish > ~/.config/fish/completions/deskcli.fish
    """
    from click.shell_completion import get_completion_class

    from deskcli.cli import main

    cls = get_completion_class(shell)
    click.echo(cls(main, {}, "deskcli", "_DESKCLI_COMPLETE").source())
