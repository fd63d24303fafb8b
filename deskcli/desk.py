"""The Desk: one open desk file and the acting identity — the handle every use case takes.

Use cases live in the service modules (people, tickettypes, tickets, ...) as functions
`use_case(desk, ...)`. Each one runs in the same order, inside one transaction:
load (may raise NotFound) -> policy -> workflow -> writes (and outbox rows). They return
results and never print.
"""

from deskcli import clock
from deskcli.config import SETTINGS
from deskcli.errors import NotPermitted
from deskcli.models import Actor
from deskcli.policy import role_permissions
from deskcli.store import Store
from deskcli.store import people as people_store


class Desk:
    def __init__(self, store: Store, login: str = "", login_source: str = "--as"):
        self.store = store
        self.login = login
        self.login_source = login_source
        self._actor: Actor | None = None
        self._settings: dict[str, str] | None = None

    @classmethod
    def open(cls, path, login: str = "", login_source: str = "--as") -> "Desk":
        return cls(Store.open(path), login, login_source)

    def close(self) -> None:
        self.store.close()

    # --- who is acting ----------------------------------------------------------------

    @property
    def actor(self) -> Actor:
        """The acting identity; unknown or deactivated identities are refused (exit 4)."""
        if self._actor is None:
            self._actor = self.load_actor(self.login, self.login_source)
        return self._actor

    def load_actor(self, login: str, source: str = "--as") -> Actor:
        if not login:
            row = None
        elif self._settings is None:  # the settings come with the actor's row
            row, self._settings = people_store.actor_row_and_settings(self.store, login)
        else:
            row = people_store.actor_row(self.store, login)
        if row is None:
            raise NotPermitted(
                f"unknown user {login!r} (from {source}) on the desk {self.store.path}",
                "act as a known user with --as LOGIN or $DESKCLI_USER, or ask an admin to "
                f"add you: deskcli user add {login or 'LOGIN'} --name 'Your Name'")
        if not row["active"]:
            what = "access client" if row["kind"] == "client" else "user"
            raise NotPermitted(f"the {what} {login!r} is deactivated",
                               "ask an admin to reactivate it "
                               f"(deskcli user update {login} --active), or act as someone else")
        custom = {}
        if row["role"] not in ("admin", "manager", "agent", "viewer", "integration"):
            role = people_store.custom_role(self.store, row["role"])
            if role is not None:
                custom[row["role"]] = frozenset(role["permissions"].split())
        type_ids = (people_store.access_type_ids(self.store, row["id"])
                    if row["kind"] == "client" else frozenset())
        return Actor(id=row["id"], login=row["login"], name=row["name"], kind=row["kind"],
                     role=row["role"], permissions=role_permissions(row["role"], custom),
                     dept_id=row["dept_id"], manager_id=row["manager_id"],
                     active=bool(row["active"]), type_ids=type_ids)

    def visibility(self):
        """Which tickets the actor may see, as a store filter: None (all), ('client', id):
        those it opened, or ('dept', id, dept_id) with the desk setting
        visibility=department: the department's, the queue, and those involved in."""
        actor = self.actor
        if actor.is_client:
            return ("client", actor.id)
        if self.setting("visibility") == "department" and not actor.can("ticket.manage"):
            return ("dept", actor.id, actor.dept_id or -1)
        return None

    # --- settings and time ------------------------------------------------------------

    def setting(self, key: str) -> str | None:
        """A desk setting, or its registered default."""
        if self._settings is None:
            self._settings = people_store.settings(self.store)
        if key in self._settings:
            return self._settings[key]
        known = SETTINGS.get(key)
        return known.default if known else None

    def forget_settings(self) -> None:
        self._settings = None

    @property
    def tz(self):
        return clock.zone(self.setting("timezone"))

    def when(self, text: str, *, end_of_day: bool = False) -> str:
        """A human date typed by the user -> stored timestamp text."""
        return clock.stamp(clock.parse_when(text, self.tz, end_of_day=end_of_day))
