"""Looking after the desk: backup, copy and integrity checks.

`db copy`: a desk moved to another store (a SQLite file or a PostgreSQL database), or back,
with everything in it.

The source is opened as usual (its schema brought up to date) and read in one snapshot,
so a copy taken while others work is consistent; the target is created, filled and
re-indexed in one transaction, so a copy that fails leaves no desk behind (a new file
that failed is removed). Only someone allowed to configure the source desk may copy it:
the copy holds every ticket and every person.
"""

import os
from pathlib import Path

from deskcli.desk import Desk
from deskcli.errors import Conflict, Damaged
from deskcli.policy import require
from deskcli.store import maintenance as ms


def backup(desk: Desk, target: str) -> Path:
    """A consistent copy of the desk in the file `target` (refuses to overwrite)."""
    require(desk.actor, "desk.configure", "back up the desk")
    from deskcli.store import is_url

    if is_url(target):  # (as a path, its folders would be made of the URL)
        from deskcli.errors import Invalid

        raise Invalid("db backup writes a desk file, and TARGET is a PostgreSQL URL",
                      f"to put the desk in a database: deskcli db copy DESK {target}")
    target = Path(target)
    if target.exists():
        raise Conflict(f"{target} already exists", "choose a new file name for the backup")
    target.parent.mkdir(parents=True, exist_ok=True)
    if desk.store.dialect == "postgres":  # a SQLite desk file, from one snapshot: db copy
        copy(desk.store.path, str(target), desk.login, desk.login_source)
        return target
    ms.backup(desk.store, target)
    return target


def check(desk: Desk) -> list[str]:
    """Problems found in the file (empty when healthy)."""
    require(desk.actor, "ticket.view", "check the desk")
    problems = ms.check(desk.store)
    try:
        with desk.store.read():
            stale = stale_indexes(desk)
    except Damaged as exc:  # the damage is the finding; db check reports, not fails
        return problems + [f"full-text index: cannot be read: {exc.message}"]
    return problems + [f"full-text index: {name} was built by another version of deskcli's "
                       "tokenizer; run `deskcli db reindex`" for name in stale]


def stale_indexes(desk: Desk) -> list[str]:
    """The full-text indexes built with another index_text version than this deskcli's
    (searches would miss what they should find until `reindex`)."""
    from deskcli.faq.manage import index_current
    from deskcli.tickets.opening import search_index_stale

    found = []
    if search_index_stale(desk):
        found.append("tickets")
    if not index_current(desk.store):
        found.append("faq")
    return found


def reindex(desk: Desk, progress=None) -> dict:
    """Build the tickets' and the FAQ's full-text indexes again with this deskcli's
    tokenizer, in one transaction (readers see the old index until it commits).
    `progress(tickets_done)` is called after every page."""
    from deskcli.faq import manage as faq
    from deskcli.search import tokens as search
    from deskcli.store import faq as fs
    from deskcli.store import tickets as tstore

    require(desk.actor, "desk.configure", "rebuild the search index")
    db = desk.store
    done = 0
    search.for_bulk()
    with db.write():
        tstore.clear_text_index(db)
        fs.set_index_version(db, "ticket_fts", search.INDEX_VERSION)
        for page in tstore.text_pages(db):
            tstore.index_text(db, [(r[0], search.index_text(r[1]), search.index_text(r[2]))
                                   for r in page])
            done += len(page)
            if progress:
                progress(done)
        entries = faq.reindex(db)
    return {"tickets": done, "faq": entries, "version": search.INDEX_VERSION}


def copy(source: str, target: str, login: str, login_source: str, progress=None) -> dict:
    """Copy the desk at `source` to the new desk `target`; returns what was copied:
    {'source', 'target', 'tables': {name: rows}, 'tickets', 'faq'}."""
    from deskcli.store import Store, is_url
    from deskcli.store import copy as cs

    if not is_url(target) and os.path.exists(target) and os.path.getsize(target) > 0:
        raise Conflict(f"{target} already exists", "copy into a new file (or an empty "
                       "PostgreSQL database)")
    desk = Desk.open(source, login, login_source)
    try:
        require(desk.actor, "desk.configure", "copy the desk")
        made = None
        try:
            made = Store.open(target, create=True)
            with desk.store.read(), made.write():
                counts = cs.copy_rows(desk.store, made, progress)
                indexed = reindex(Desk(made, login, login_source))
            cs.analyze(made)
        except BaseException:
            if made is not None:
                made.close()
                made = None
            if not is_url(target):
                for suffix in ("", "-wal", "-shm"):
                    try:
                        os.unlink(target + suffix)
                    except FileNotFoundError:
                        pass
            raise
        finally:
            if made is not None:
                made.close()
    finally:
        desk.close()
    return {"source": source, "target": target, "tables": counts,
            "tickets": counts.get("tickets", 0), "faq": indexed["faq"]}
