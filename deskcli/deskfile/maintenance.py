"""Looking after the desk file: backup and integrity checks."""

from pathlib import Path

from deskcli.desk import Desk
from deskcli.errors import Conflict, Damaged
from deskcli.policy import require
from deskcli.store import maintenance as ms


def backup(desk: Desk, target: Path) -> Path:
    """A consistent copy of the desk at `target` (refuses to overwrite)."""
    require(desk.actor, "desk.configure", "back up the desk")
    if target.exists():
        raise Conflict(f"{target} already exists", "choose a new file name for the backup")
    target.parent.mkdir(parents=True, exist_ok=True)
    if desk.store.dialect == "postgres":  # a SQLite desk file, from one snapshot: db copy
        from deskcli.deskfile.copy import copy

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
