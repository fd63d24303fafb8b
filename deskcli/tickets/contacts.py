"""`ticket contact`: the customer-side recipients of a ticket (issue 10). A contact is an
e-mail address that gets the customer's copies (replies, resolved, closed) besides the
customer, and whose mail about the ticket is filed on it as the customer's. Only staff who
may change the CC list add or remove them; an e-mail's Cc never does."""

from deskcli import clock
from deskcli.desk import Desk
from deskcli.errors import Invalid
from deskcli.store import contacts as cstore
from deskcli.tickets.life import Act, Outcome


def parse_contact(text: str) -> tuple[str, str | None]:
    """'grandma@example.org' or 'Grandma Chen <grandma@example.org>' -> (address, name)."""
    from email.utils import parseaddr

    from deskcli.people.staff import check_email

    name, address = parseaddr(text.strip())
    if not address or "@" not in address or any(ch in address for ch in " <>,;\r\n"):
        raise Invalid(f"{text!r} is not an e-mail address",
                      "write it like grandma@example.org or 'Grandma <grandma@example.org>'")
    check_email(address)
    return address, (name.strip() or None)


def change(desk: Desk, ticket_id: int, add: list[str], remove: list[str]) -> Outcome:
    """Add or remove contacts; allowed to whoever may change the ticket's CC list."""
    adding = [parse_contact(text) for text in add]
    removing = [parse_contact(text)[0] for text in remove]
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("cc")
        a.move("cc")
        changed = []
        for address in removing:
            if cstore.remove(a.db, a.id, address):
                a.event("contact_removed", frm=address)
                changed.append(f"-{address}")
        for address, name in adding:
            if cstore.add(a.db, a.id, address, name, a.actor.id, clock.stamp(a.now)):
                a.event("contact_added", to=address,
                        message=f"{name} <{address}>" if name else None)
                changed.append(f"+{address}")
        if not changed:
            return a.done(noop=f"the contacts of #{a.id} already are as asked")
        a.save()
        return a.done()
