"""Use cases for the desk itself and its people: init, settings, departments, users,
roles, customers and access clients."""

import os
import re

from deskcli import clock, config
from deskcli.desk import Desk
from deskcli.errors import Conflict, Invalid, NotFound
from deskcli.policy import BUILTIN_ROLES, PERMISSIONS, require
from deskcli.store import Store
from deskcli.store import people as ps

LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def check_login(login: str, what: str = "login") -> str:
    if not LOGIN.fullmatch(login or ""):
        raise Invalid(f"{login!r} is not a valid {what}",
                      "use letters, digits and . _ - @ (up to 64 characters, no spaces)")
    return login


def check_key(key: str, what: str = "key") -> str:
    if not KEY.fullmatch(key or ""):
        raise Invalid(f"{key!r} is not a valid {what}",
                      "use letters, digits and . _ - (up to 64 characters, no spaces)")
    return key


def check_email(email: str | None) -> str | None:
    if email in (None, ""):
        return None
    if not EMAIL.fullmatch(email):
        raise Invalid(f"{email!r} is not an e-mail address", "write it like name@example.com")
    return email


# --- the desk -----------------------------------------------------------------------------

def init_desk(path, *, admin: str, name: str | None, email: str | None,
              desk_name: str | None, timezone: str | None = None,
              locale: str | None = None) -> Desk:
    """Create a desk file with its schema, first admin and name."""
    check_login(admin)
    check_email(email)
    if timezone:
        config.check_value(config.SETTINGS["timezone"], timezone)
    if locale:
        config.check_value(config.SETTINGS["locale"], locale)
    store = Store.open(path, create=True)
    try:
        with store.write():
            at = clock.stamp()
            ps.insert_user(store, login=admin, name=name or admin, email=email, dept_id=None,
                           manager_id=None, role="admin", at=at)
            ps.set_setting(store, "desk.name", desk_name or store.stem)
            for key, value in (("timezone", timezone), ("locale", locale)):
                if value:
                    ps.set_setting(store, key, value)
            ps.set_meta(store, "created_at", at)
            from deskcli import __version__

            ps.set_meta(store, "created_by_version", __version__)
            import secrets

            ps.set_meta(store, "desk_uid", secrets.token_hex(4))
            from deskcli.faq.words import seed_glossary

            seed_glossary(store)  # the starter synonyms (faq synonym glossary)
    except BaseException:
        store.close()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(f"{store.path}{suffix}"):
                os.unlink(f"{store.path}{suffix}")
        raise
    return Desk(store, admin, "--admin")


def whoami(desk: Desk) -> dict:
    actor = desk.actor
    with desk.store.read():
        row = ps.user_by_login(desk.store, actor.login)
    return {"login": actor.login, "name": actor.name, "kind": actor.kind, "role": actor.role,
            "dept": row["dept"], "manager": row["manager"], "email": row["email"],
            "permissions": sorted(actor.permissions), "identity_from": desk.login_source,
            "desk": str(desk.store.path), "desk_name": desk.setting("desk.name")}


# --- settings -----------------------------------------------------------------------------

def get_setting(desk: Desk | None, key: str) -> dict:
    setting = config.lookup_setting(key)
    if setting.scope == "personal":
        value = _personal_get(key)
        return {"key": key, "value": value, "scope": "personal", "default": setting.default}
    if desk is None:
        raise Invalid(f"{key} is a desk setting and needs a desk", "pass --db or --desk")
    with desk.store.read():
        return {"key": key, "value": desk.setting(key), "scope": "desk",
                "default": setting.default}


def set_setting(desk: Desk | None, key: str, value: str | None) -> dict:
    """Set (or with value None, unset) a desk or personal setting."""
    setting = config.lookup_setting(key)
    if value is not None:
        value = config.check_value(setting, value)
    if setting.scope == "personal":
        data = config.read_personal()
        if key.startswith("desks."):
            desks = data.setdefault("desks", {})
            name = key[len("desks."):]
            if value is None:
                desks.pop(name, None)
            else:
                desks[name] = value
        elif value is None:
            data.pop(key, None)
        else:
            data[key] = value
        config.write_personal(data)
        return {"key": key, "value": value, "scope": "personal"}
    if desk is None:
        raise Invalid(f"{key} is a desk setting and needs a desk", "pass --db or --desk")
    require(desk.actor, "desk.configure", f"change the desk setting {key}")
    with desk.store.write():
        ps.set_setting(desk.store, key, value)
    desk.forget_settings()
    return {"key": key, "value": value, "scope": "desk"}


def list_settings(desk: Desk | None, show_all: bool = False) -> list[dict]:
    rows = []
    stored = {}
    if desk is not None:
        with desk.store.read():
            stored = ps.settings(desk.store)
    personal = config.read_personal()
    for key, setting in sorted(config.SETTINGS.items()):
        if setting.scope == "desk":
            value = stored.get(key)
        else:
            value = personal.get(key)
        if value is None and not show_all and setting.default is None:
            continue
        rows.append({"key": key, "value": value if value is not None else setting.default,
                     "scope": setting.scope, "is_default": value is None,
                     "help": setting.help})
    for name, path in sorted((personal.get("desks") or {}).items()):
        rows.append({"key": f"desks.{name}", "value": path, "scope": "personal",
                     "is_default": False, "help": f"path of the desk named {name}"})
    return rows


def _personal_get(key: str):
    data = config.read_personal()
    if key.startswith("desks."):
        return (data.get("desks") or {}).get(key[len("desks."):])
    return data.get(key)


# --- departments --------------------------------------------------------------------------

def dept_add(desk: Desk, key: str, name: str, head: str | None) -> dict:
    require(desk.actor, "dept.manage", "add departments")
    check_key(key, "department key")
    with desk.store.write():
        if ps.dept_by_key(desk.store, key):
            raise Conflict(f"department {key!r} already exists",
                           f"change it with `deskcli dept update {key} ...`")
        head_id = staff_id(desk.store, head) if head else None
        ps.insert_dept(desk.store, key, name, head_id, clock.stamp())
        return _dept_dict(ps.dept_by_key(desk.store, key))


def dept_update(desk: Desk, key: str, *, name: str | None, head: str | None) -> dict:
    require(desk.actor, "dept.manage", "change departments")
    with desk.store.write():
        row = _dept(desk.store, key)
        changes = {}
        if name:
            changes["name"] = name
        if head is not None:
            changes["head_id"] = None if head in ("", "none") else staff_id(desk.store, head)
        ps.update_dept(desk.store, row["id"], changes)
        return _dept_dict(ps.dept_by_key(desk.store, key))


def dept_list(desk: Desk) -> list[dict]:
    require(desk.actor, "ticket.view", "list departments")
    staff_only(desk, "list departments")
    with desk.store.read():
        return [_dept_dict(r) for r in ps.depts(desk.store)]


def _dept_dict(row) -> dict:
    return {"key": row["key"], "name": row["name"], "head": row["head"],
            "members": row["members"], "created_at": row["created_at"]}


def _dept(db: Store, key: str):
    row = ps.dept_by_key(db, key)
    if row is None:
        raise NotFound(f"no department {key!r}", "see `deskcli dept list`, or add it with "
                                                 f"`deskcli dept add {key} --name NAME`")
    return row


def staff_id(db: Store, login: str, *, staff: bool = True) -> int:
    row = ps.user_by_login(db, login)
    if row is None or (staff and row["kind"] != "staff"):
        raise NotFound(f"no user {login!r}", "see `deskcli user list`, or add them with "
                                             f"`deskcli user add {login} --name NAME`")
    return row["id"]


def consultant_id_of(db: Store, login: str) -> int:
    """A consultant must be active: a departed one would leave the customer's tickets
    routing to their manager (issue 3, departure)."""
    user_id = staff_id(db, login)
    if not ps.user_by_id(db, user_id)["active"]:
        raise Conflict(f"{login} is deactivated and cannot follow customers",
                       "choose an active colleague as the consultant")
    return user_id


# --- users --------------------------------------------------------------------------------

def user_add(desk: Desk, login: str, *, name: str, email: str | None, dept: str | None,
             manager: str | None, role: str) -> dict:
    require(desk.actor, "user.manage", "add users")
    check_login(login)
    check_email(email)
    with desk.store.write():
        if ps.user_by_login(desk.store, login):
            raise Conflict(f"{login!r} already exists (as a user or access client)",
                           f"change the user with `deskcli user update {login} ...`")
        _check_role(desk.store, role)
        _may_grant(desk, role)
        dept_id = _dept(desk.store, dept)["id"] if dept else None
        manager_id = staff_id(desk.store, manager) if manager else None
        ps.insert_user(desk.store, login=login, name=name, email=email, dept_id=dept_id,
                       manager_id=manager_id, role=role, at=clock.stamp())
        return user_dict(desk.store, ps.user_by_login(desk.store, login))


def user_update(desk: Desk, login: str, *, name=None, email=None, dept=None, manager=None,
                role=None, active: bool | None = None) -> dict:
    require(desk.actor, "user.manage", "change users")
    check_email(email)
    with desk.store.write():
        row = ps.user_by_login(desk.store, login)
        if row is None or row["kind"] != "staff":
            staff_id(desk.store, login)
        changes = {}
        if name:
            changes["name"] = name
        if email is not None:
            changes["email"] = email or None
        if dept is not None:
            changes["dept_id"] = None if dept in ("", "none") else _dept(desk.store, dept)["id"]
        if manager is not None:
            if manager in ("", "none"):
                changes["manager_id"] = None
            else:
                manager_id = staff_id(desk.store, manager)
                if manager_id == row["id"] or row["id"] in [
                        m["id"] for m in ps.manager_chain(desk.store, manager_id)]:
                    raise Invalid(f"{manager} cannot be the manager of {login}: "
                                  "that would make a loop in the management chain")
                changes["manager_id"] = manager_id
        if role is not None:
            _check_role(desk.store, role)
            _may_grant(desk, role)
            _may_grant(desk, row["role"])  # nor take away a role above their own
            if row["role"] == "admin" and role != "admin":
                _keep_an_admin(desk.store, row["id"])
            changes["role"] = role
        if active is True and not row["active"]:
            changes.update(active=1, deactivated_at=None)
        elif active is False and row["active"]:
            raise Invalid(f"to deactivate {login}, use `deskcli user deactivate {login}`",
                          "it also hands their tickets and customers on")
        ps.update_user(desk.store, row["id"], changes)
        return user_dict(desk.store, ps.user_by_login(desk.store, login))


def _keep_an_admin(db: Store, user_id: int) -> None:
    admins = [r for r in ps.users(db, role="admin", active=True) if r["id"] != user_id]
    if not admins:
        raise Conflict("this is the last active admin of the desk",
                       "make someone else an admin first")


def user_show(desk: Desk, login: str) -> dict:
    require(desk.actor, "ticket.view", "look up users")
    staff_only(desk, "look up users")
    with desk.store.read():
        row = ps.user_by_login(desk.store, login)
        if row is None or row["kind"] != "staff":
            staff_id(desk.store, login)
        data = user_dict(desk.store, row)
        data["reports"] = [r["login"] for r in ps.users(desk.store, manager_id=row["id"])]
        data["customers"] = [r["key"] for r in ps.customers(desk.store, consultant_id=row["id"])]
        return data


def user_list(desk: Desk, *, dept: str | None = None, role: str | None = None,
              include_inactive: bool = False) -> list[dict]:
    require(desk.actor, "ticket.view", "list users")
    staff_only(desk, "list users")
    with desk.store.read():
        dept_id = _dept(desk.store, dept)["id"] if dept else None
        rows = ps.users(desk.store, dept_id=dept_id, role=role,
                        active=None if include_inactive else True)
        return [user_dict(desk.store, r) for r in rows]


def user_dict(db: Store, row) -> dict:
    return {"login": row["login"], "name": row["name"], "email": row["email"],
            "dept": row["dept"], "manager": row["manager"], "role": row["role"],
            "active": bool(row["active"]), "created_at": row["created_at"],
            "deactivated_at": row["deactivated_at"], "successor": row["successor"]}


# --- roles --------------------------------------------------------------------------------

def _may_grant(desk: Desk, role: str) -> None:
    """Nobody hands out more than they hold: granting a role needs every permission in it
    (so a custom role with user.manage cannot make anyone, itself included, an admin)."""
    from deskcli.policy import role_permissions

    actor = desk.actor
    custom = {r["name"]: frozenset(r["permissions"].split())
              for r in ps.custom_roles(desk.store)}
    wanted = role_permissions(role, custom)
    if "*" in actor.permissions:
        return
    missing = sorted(p for p in wanted if p == "*" or p not in actor.permissions)
    if missing:
        from deskcli.errors import NotPermitted

        raise NotPermitted(f"{actor.login} (role {actor.role}) may not grant the role {role}: "
                           f"it holds permissions you do not ({', '.join(missing)})",
                           "ask an admin to grant it")


def staff_only(desk: Desk, doing: str) -> None:
    """Access clients see only their own tickets, never the desk's people."""
    if desk.actor.is_client:
        from deskcli.errors import NotPermitted

        raise NotPermitted(f"access client {desk.actor.login} may not {doing}",
                           "access clients open tickets and follow the ones they opened")


def _check_role(db: Store, role: str) -> None:
    if role == "integration":
        raise Invalid("the integration role is for access clients",
                      "create one with `deskcli access add KEY --name NAME --types TYPE`")
    if role not in BUILTIN_ROLES and ps.custom_role(db, role) is None:
        names = sorted(BUILTIN_ROLES) + [r["name"] for r in ps.custom_roles(db)]
        raise NotFound(f"no role {role!r}", f"roles: {', '.join(names)} "
                                            "(define more with `deskcli role add`)")


def role_add(desk: Desk, name: str, permissions: list[str], description: str | None) -> dict:
    require(desk.actor, "role.manage", "define roles")
    check_key(name, "role name")
    perms = _check_permissions(permissions)
    with desk.store.write():
        if name in BUILTIN_ROLES or ps.custom_role(desk.store, name):
            raise Conflict(f"role {name!r} already exists")
        ps.insert_role(desk.store, name, description, " ".join(perms), clock.stamp())
    return role_show(desk, name)


def _check_permissions(permissions: list[str]) -> list[str]:
    perms = sorted({p.strip() for item in permissions for p in item.split(",") if p.strip()})
    unknown = [p for p in perms if p not in PERMISSIONS]
    if unknown:
        raise Invalid(f"unknown permission {', '.join(unknown)}",
                      "see `deskcli role list --permissions` for the permission names")
    if not perms:
        raise Invalid("a role needs at least one permission", "e.g. --permissions ticket.view")
    return perms


def role_list(desk: Desk) -> list[dict]:
    require(desk.actor, "ticket.view", "list roles")
    staff_only(desk, "list roles")
    rows = [{"name": name, "description": desc, "builtin": True,
             "permissions": sorted(perms)} for name, (desc, perms) in BUILTIN_ROLES.items()]
    with desk.store.read():
        rows += [{"name": r["name"], "description": r["description"], "builtin": False,
                  "permissions": r["permissions"].split()} for r in ps.custom_roles(desk.store)]
    return rows


def role_show(desk: Desk, name: str) -> dict:
    for row in role_list(desk):
        if row["name"] == name:
            with desk.store.read():
                row["users"] = [u["login"] for u in ps.users(desk.store, role=name)]
            return row
    raise NotFound(f"no role {name!r}", "see `deskcli role list`")


def permission_list() -> list[dict]:
    return [{"permission": name, "allows": text} for name, text in PERMISSIONS.items()]
