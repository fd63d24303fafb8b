"""Attachments: `ticket attach` stores files inside the desk, `ticket attachment` gets
them back. Same order as the ticket life: load -> policy -> workflow -> writes and
events, in one transaction."""

import os
import re

from deskcli.desk import Desk
from deskcli.errors import Invalid, NotFound
from deskcli.store import life
from deskcli.tickets.life import Act, Outcome

# --- attachments --------------------------------------------------------------------------

# the usual attachments, so a command need not load the system's MIME table
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
                 "gif": "image/gif", "webp": "image/webp", "pdf": "application/pdf",
                 "txt": "text/plain", "log": "text/plain", "csv": "text/csv",
                 "json": "application/json", "zip": "application/zip",
                 "mp4": "video/mp4", "mov": "video/quicktime", "heic": "image/heic",
                 "doc": "application/msword", "xls": "application/vnd.ms-excel",
                 "docx": "application/vnd.openxmlformats-officedocument."
                         "wordprocessingml.document",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _content_type(name: str) -> str | None:
    suffix = name.rpartition(".")[2].lower() if "." in name else ""
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    import mimetypes

    return mimetypes.guess_type(name)[0]


def attach(desk: Desk, ticket_id: int, files: list) -> Outcome:
    """Store files (paths) with the ticket, inside the desk (one file is the whole desk),
    each under its base name."""
    limit = _size_limit(desk.setting("attachments.max-size") or "10M")
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("attach")
        a.move("attach")
        for path in files:
            name = os.path.basename(path)
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError as exc:
                raise Invalid(f"cannot read {path}: {exc.strerror}") from None
            if len(data) > limit:
                raise Invalid(f"{name} is {len(data):,} bytes; the desk accepts at most "
                              f"{limit:,}", "an admin can raise it: deskcli config set "
                                            "attachments.max-size 25M")
            import hashlib  # here: only attach needs it (it costs a few ms to import)

            content_type = _content_type(name)
            digest = hashlib.sha256(data).hexdigest()
            life.add_attachment(a.db, a.id, name, data, content_type, digest, a.actor.id,
                                a.at)
            a.event("attached", to=name, message=f"{name} ({len(data):,} bytes)",
                    data={"size": len(data), "sha256": digest})
        a.save()
        return a.done()


def _size_limit(text: str) -> int:
    match = re.fullmatch(r"(\d+)([KMG]?)", text.strip().upper())
    if not match:
        return 10 * 2**20
    return int(match[1]) * {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}[match[2]]


def attachment(desk: Desk, ticket_id: int, name: str | None):
    """An attachment's (name, bytes), or with no name the list of attachments."""
    from deskcli.tickets.opening import visible_ticket

    with desk.store.read():
        visible_ticket(desk, ticket_id)
        if name is None:
            return life.attachments(desk.store, ticket_id)
        found = life.attachment_data(desk.store, ticket_id, name)
        if found is None:
            names = ", ".join(x["name"] for x in life.attachments(desk.store, ticket_id))
            raise NotFound(f"#{ticket_id} has no attachment {name!r}",
                           f"its attachments: {names or 'none'}")
        return found[0], bytes(found[1])
