"""Who may do what. Pure: no I/O; raises NotPermitted with a message that names the
missing permission and what to do instead.

A role is a named set of permissions. The five built-in roles are defined here (so an
upgrade can refine them); an admin may add custom roles, stored in the desk.
"""

from deskcli.errors import NotPermitted

PERMISSIONS = {
    "desk.configure": "change desk settings, back up and migrate the desk",
    "user.manage": "add, update and deactivate staff users",
    "dept.manage": "add and update departments",
    "role.manage": "define custom roles",
    "customer.manage": "add, update and import customers",
    "access.manage": "add and revoke access clients (integrations)",
    "type.manage": "add, change and disable ticket types",
    "ticket.view": "see tickets",
    "ticket.open": "open tickets",
    "ticket.work": "accept, note, transfer, reply (as owner), resolve, nudge, attach",
    "ticket.assign": "assign and reassign tickets (dispatch the assignment queue)",
    "ticket.manage": "act as a manager on any ticket: close, reopen, set fields, CC",
    "ticket.import": "import and export tickets in bulk",
    "faq.view": "read and search the FAQ",
    "faq.manage": "add, change and remove FAQ entries",
    "report.view": "run reports",
    "outbox.send": "list, show, retry and deliver notices",
}

BUILTIN_ROLES = {
    "admin": ("everything", frozenset({"*"})),
    "manager": ("dispatch, supervise and report",
                frozenset({"ticket.view", "ticket.open", "ticket.work", "ticket.assign",
                           "ticket.manage", "ticket.import", "customer.manage", "faq.view",
                           "faq.manage", "report.view"})),
    "agent": ("work tickets",
              frozenset({"ticket.view", "ticket.open", "ticket.work", "customer.manage",
                         "faq.view"})),
    "viewer": ("read only", frozenset({"ticket.view", "faq.view", "report.view"})),
    "integration": ("another system: opens tickets of granted types, sees its own",
                    frozenset({"ticket.open", "ticket.view"})),
}


def role_permissions(role: str, custom: dict[str, frozenset] | None = None) -> frozenset:
    """The permissions of a role (built-in or custom); an unknown role has none."""
    if role in BUILTIN_ROLES:
        return BUILTIN_ROLES[role][1]
    return (custom or {}).get(role, frozenset())


def require(actor, permission: str | tuple, doing: str, hint: str | None = None) -> None:
    """Refuse unless the actor holds `permission` (or, given a tuple, one of them).
    `doing` completes 'may not ...'; `hint` replaces the usual advice."""
    wanted = permission if isinstance(permission, tuple) else (permission,)
    if any(actor.can(p) for p in wanted):
        return
    missing = " or ".join(f"'{p}'" for p in wanted)
    raise NotPermitted(
        f"{actor.login} (role {actor.role}) may not {doing}: "
        f"permission {missing} is missing",
        hint or "ask an admin to grant it (`deskcli user update LOGIN --role ROLE`, with a "
        "role that has it: `deskcli role list`), or run the command as someone who has it "
        "(--as LOGIN)")


def require_outbox(actor, doing: str) -> None:
    """The outbox holds every notice of the desk (recipients, bodies): reading or sending
    it needs its own permission, held by admins and given to a cron identity by a role."""
    login = "LOGIN" if actor.is_client else actor.login  # a client never gets a staff role
    require(actor, "outbox.send", doing,
            "an admin can give it through a role: deskcli role add cron --permissions "
            f"outbox.send, then deskcli user update {login} --role cron (this replaces "
            "the login's role: a dedicated cron login is best); or run it as an admin")


def require_type_grant(actor, type_key: str, type_id: int) -> None:
    """Access clients may open only the ticket types they were granted."""
    if actor.is_client and type_id not in actor.type_ids:
        raise NotPermitted(
            f"access client {actor.login} may not open tickets of type {type_key!r}: "
            "it is not among its granted types",
            f"an admin can grant it: deskcli access add {actor.login} --types ...,{type_key}")


# --- who may act on a ticket --------------------------------------------------------------
#
# A ticket relation is what the actor is to the ticket: owner, handler, assignee, opener,
# cc, approver, and 'supervisor' (holds ticket.manage, or manages — directly or up the
# chain — the ticket's owner, assignee or handler: SPEC §3 "a user's manager may act as a
# manager over the tickets of the people who report to them").

INVOLVED = frozenset({"owner", "handler", "assignee", "opener", "cc", "approver", "supervisor"})

# action -> (permission needed (a tuple: any one of them), relations of which one is needed
# (None: any), who, in words). Every action writes, so each needs a permission that
# `viewer` lacks: a read-only role (ticket.view alone) changes nothing. Exceptions by
# design: the named approver decides with ticket.view (naming them is the grant).
FOLLOW = ("ticket.work", "ticket.open")  # who opens tickets may follow them up
ACTION_RULES = {
    "approve": ("ticket.view", {"approver"}, "the approver"),
    "reject": ("ticket.view", {"approver"}, "the approver"),
    "assign": (("ticket.assign", "ticket.work"), {"dispatcher", "supervisor"},
               "a dispatcher (ticket.assign) or a manager of the people on it"),
    "accept": ("ticket.work", {"assignee", "anyone_if_new"}, "the assignee"),
    "decline": ("ticket.work", {"assignee"}, "the assignee"),
    "transfer": ("ticket.work", {"owner", "handler", "supervisor"},
                 "the owner, the handler or a manager"),
    "note": ("ticket.work", None, "staff"),
    "reply": ("ticket.work", {"owner"}, "the owner"),
    "resolve": ("ticket.work", {"owner"}, "the owner"),
    "close": ("ticket.work", {"owner", "supervisor"}, "the owner or a manager"),
    "reopen": ("ticket.open", {"owner", "opener", "supervisor"},
               "the owner, the opener or a manager"),
    "nudge": (FOLLOW, INVOLVED, "someone involved in the ticket"),
    "cc": ("ticket.work", {"owner", "handler", "supervisor"},
           "the owner, the handler or a manager"),
    "set": ("ticket.work", {"owner", "supervisor"}, "the owner or a manager"),
    "check": ("ticket.work", {"owner", "handler"}, "the owner or the handler"),
    "attach": (FOLLOW, INVOLVED, "someone involved in the ticket"),
    "link": ("ticket.work", {"owner", "handler", "supervisor"},
             "the owner, the handler or a manager"),
    "merge": ("ticket.work", {"owner", "supervisor"}, "the owner or a manager"),
    "tag": ("ticket.work", None, "staff"),
    "log": ("ticket.work", {"owner", "handler", "supervisor"},
            "the owner, the handler or a manager"),
    "rate": (FOLLOW, {"opener", "cc", "supervisor"},
             "the opener (for the customer) or a manager"),
}


def check_action(actor, action: str, relations: set, ticket_id: int,
                 names: dict | None = None) -> None:
    """Refuse (NotPermitted) unless the actor may do `action` on the ticket."""
    permission, needed, who = ACTION_RULES[action]
    if actor.is_client:
        if action in ("reopen", "attach", "rate", "nudge") and "opener" in relations:
            return
        verb = "reply to" if action == "reply" else action
        raise NotPermitted(f"access client {actor.login} may not {verb} tickets",
                           "access clients open tickets and follow the ones they opened")
    verb = "reply to" if action == "reply" else action
    require(actor, permission, f"{verb} tickets")
    if needed is None:
        return
    if action == "rate" and relations & {"owner", "handler"} and "supervisor" not in relations:
        raise NotPermitted(f"{actor.login} works on #{ticket_id} and may not rate it",
                           "the rating is the customer's: the opener or a manager records it")
    if relations & needed:
        return
    names = names or {}
    if action == "reply":
        owner = names.get("owner")
        if owner is None:
            raise NotPermitted(f"#{ticket_id} has no owner yet, and only the owner may reply "
                               "to the customer",
                               f"accept it first (deskcli ticket accept {ticket_id}), or add an "
                               f"internal note: deskcli ticket note {ticket_id} -m ...")
        if "handler" in relations:
            hint = (f"you handle #{ticket_id} for {owner}: add an internal note "
                    f"(deskcli ticket note {ticket_id} -m ...) and transfer it back for "
                    f"{owner} to reply (deskcli ticket transfer {ticket_id} --to {owner})")
        else:
            hint = (f"add an internal note (deskcli ticket note {ticket_id} -m ...) or ask "
                    f"{owner} to transfer the ticket to you")
        raise NotPermitted(f"only the owner ({owner}) may reply to the customer on #{ticket_id}",
                           hint)
    if action in ("approve", "reject") and not names.get("approver"):
        if actor.can("ticket.manage"):
            return
        who = "a manager (the ticket has no named approver)"
    for role in ("owner", "handler", "assignee", "approver"):
        # name the person: "only the owner (bob) or a manager may close #42"
        if names.get(role) and f"the {role}" in who:
            who = who.replace(f"the {role}", f"the {role} ({names[role]})", 1)
    yours = sorted(relations - {"anyone_if_new", "dispatcher"})
    raise NotPermitted(f"only {who} may {verb} #{ticket_id}; you are "
                       f"{', '.join(yours) or 'not involved'}", _action_hint(action, ticket_id))


def _action_hint(action: str, ticket_id: int) -> str:
    if action in ("accept", "decline"):
        return (f"a dispatcher can assign it to you: deskcli ticket assign {ticket_id} "
                "--to YOU")
    if action in ("resolve", "check", "set", "close"):
        return f"add a note instead (deskcli ticket note {ticket_id} -m ...), or ask the owner"
    return f"see who is on it with `deskcli ticket show {ticket_id}`"
