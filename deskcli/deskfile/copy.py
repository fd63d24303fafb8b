"""`db copy`: a desk moved to another store (a SQLite file or a PostgreSQL database), or
back, with everything in it.

The source is opened as usual (its schema brought up to date) and read in one snapshot,
so a copy taken while others work is consistent; the target is created, filled and
re-indexed in one transaction, so a copy that fails leaves no desk behind (a new file
that failed is removed). Only someone allowed to configure the source desk may copy it:
the copy holds every ticket and every person.
"""

import os

from deskcli.desk import Desk
from deskcli.errors import Conflict
from deskcli.policy import require


def copy(source: str, target: str, login: str, login_source: str, progress=None) -> dict:
    """Copy the desk at `source` to the new desk `target`; returns what was copied:
    {'source', 'target', 'tables': {name: rows}, 'tickets', 'faq'}."""
    from deskcli.deskfile.maintenance import reindex
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
