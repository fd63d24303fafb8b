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


def require(actor, permission: str, doing: str) -> None:
    """Refuse unless the actor holds `permission`. `doing` completes 'may not ...'."""
    if actor.can(permission):
        return
    raise NotPermitted(
        f"{actor.login} (role {actor.role}) may not {doing}: "
        f"permission '{permission}' is missing",
        "ask an admin to grant it (`deskcli user update LOGIN --role ROLE`), "
        "or run the command as someone who has it (--as LOGIN)")


def require_type_grant(actor, type_key: str, type_id: int) -> None:
    """Access clients may open only the ticket types they were granted."""
    if actor.is_client and type_id not in actor.type_ids:
        raise NotPermitted(
            f"access client {actor.login} may not open tickets of type {type_key!r}: "
            "it is not among its granted types",
            f"an admin can grant it: deskcli access add {actor.login} --types ...,{type_key}")


def can_see_ticket(actor, ticket, involved_ids: set[int] | None = None,
                   visibility: str = "all", actor_dept_ticket: bool = False) -> bool:
    """Visibility rule of SPEC §3: staff see every ticket (or, with the desk setting
    `visibility = department`, agents see their department's tickets and those they are
    involved in); access clients see only the tickets they opened."""
    if actor.is_client:
        return ticket.opened_by == actor.login
    if not actor.can("ticket.view"):
        return False
    if visibility == "all" or actor.can("ticket.manage"):
        return True
    return actor_dept_ticket or actor.id in (involved_ids or set())
