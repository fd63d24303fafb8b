"""`deskcli mail check`: can the user an MTA pipes mail as file it on this desk?

Run by a sysadmin as that user (sudo -u desk deskcli --db ... --as mail-in mail check).
Each check is one line; the first failure that hides the rest ends the list.
"""

from deskcli.deskfile.sharing import Check, file_checks, verdict
from deskcli.errors import DeskError


def mail_checks(path: str, login: str, source: str) -> list[Check]:
    from deskcli.store import is_url

    # a desk on PostgreSQL has no file: the server's roles decide (the open and write
    # checks below show whether this user's role may connect, read and write)
    checks = [] if is_url(path) else file_checks(path)
    if any(check.state == "fail" for check in checks):
        return checks
    from deskcli.desk import Desk
    from deskcli.store import maintenance as ms
    from deskcli.store import migrations

    try:
        desk = Desk.open(path, login, source)
    except DeskError as exc:
        return checks + [Check("fail", "open", exc.message, exc.hint or "")]
    try:
        checks.append(Check("ok", "open", f"the desk opens (schema version "
                                          f"{migrations.version(desk.store)})"))
        try:
            ms.write_probe(desk.store)
            checks.append(Check("ok", "write", "a change to the desk was written and rolled "
                                               "back"))
        except DeskError as exc:
            checks.append(Check("fail", "write", exc.message, exc.hint or ""))
        with desk.store.read():
            checks += _identity_and_type(desk, login, source)
    finally:
        desk.close()
    return checks


def _identity_and_type(desk, login: str, source: str) -> list[Check]:
    from deskcli.store import types as ts

    checks = []
    try:
        actor = desk.actor
    except DeskError as exc:
        return [Check("fail", "identity", exc.message, exc.hint or "")]
    kind = "access client" if actor.is_client else f"user ({actor.role})"
    type_key = desk.setting("mail.type")
    if not type_key:
        checks.append(Check("fail", "mail.type", "mail.type is not set: new mail cannot open "
                                                 "tickets (the MTA keeps retrying it)",
                            "deskcli config set mail.type TYPE"))
        ttype = None
    else:
        ttype = ts.type_by_key(desk.store, type_key)
        good = ttype is not None and ttype.active
        checks.append(Check(verdict(good), "mail.type",
                            f"new mail opens tickets of the type {type_key}"
                            + ("" if good else ", which is missing or disabled"),
                            "" if good else "see `deskcli type list`"))
    can_open = actor.can("ticket.open") and (
        not actor.is_client or ttype is None or ttype.id in actor.type_ids)
    checks.append(Check(verdict(can_open), "identity",
                        f"mail is filed as {actor.login}, an active {kind} (from {source})"
                        + ("" if can_open else f", which may not open {type_key} tickets"),
                        "" if can_open else f"deskcli access add {actor.login} --name 'Mail "
                                            f"in' --types {type_key} (or grant the type)"))
    sender = desk.setting("mail.from")
    checks.append(Check(verdict(bool(sender), "warn"), "mail.from",
                        f"notices are sent from {sender}" if sender else
                        "mail.from is not set: replies and notices cannot be sent",
                        "" if sender else "deskcli config set mail.from 'Help desk "
                                          "<desk@school.example>'"))
    return checks
