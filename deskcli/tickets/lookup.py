"""Memoised reads for opening tickets (one ticket or a bulk import's many) and the rows
of new tickets waiting to be written together."""

from deskcli.desk import Desk
from deskcli.models import Person, TicketType
from deskcli.store import Store
from deskcli.store import people as ps
from deskcli.store import routing as routing_store
from deskcli.store import tickets as tstore
from deskcli.store import types as ts


class Lookup:
    """Memoised reads of types, customers, users and the facts routing needs, so a bulk
    import asks the database once per distinct key. Doubles as the routing Directory."""

    def __init__(self, db: Store):
        self.db = db
        self._types: dict[str, TicketType | None] = {}
        self._customers: dict[str, tuple[int, int | None] | None] = {}
        self._people: dict = {}
        self._managers: dict[int, list[Person]] = {}
        self._depts: dict = {}
        self._members: dict[int, list[Person]] = {}
        self._load: dict[int, int] = {}
        self._least: dict[int, list] = {}  # dept id -> heap of (load, login, id, Person)
        self._round_robin: dict[int, int | None] = {}
        self._memo: dict = {}
        self._complete = False  # everything a line is checked against is loaded

    def preload(self) -> None:
        """Load every type, customer, user and department a line may name, so checking
        lines runs no query (a worker process of an import has no connection)."""
        self._customers.update(ps.customer_ids_by_key(self.db))
        for ttype in ts.types(self.db, include_disabled=True):
            self._types[ttype.key] = ttype
            self.type_cc(ttype.id)
        for login, user_id, kind, active in ps.users_by_login(self.db):
            self._people[("login", login)] = (Person(user_id, login, active)
                                              if kind == "staff" else None)
        self._depts.update(ps.dept_ids_by_key(self.db))
        self._complete = True

    def ticket_type(self, key: str) -> TicketType | None:
        if key not in self._types:
            if self._complete:
                self._types[key] = None
            else:  # the type's CC refs come with it (type_cc asks no more)
                ttype, cc_refs = ts.type_with_cc_refs(self.db, key)
                self._types[key] = ttype
                if ttype is not None:
                    self._people.setdefault(("cc", ttype.id), cc_refs)
        return self._types[key]

    def cached(self, key, make):
        """A value computed once per import (stamps, due times, event data)."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = make()
            return value

    def type_cc(self, type_id: int) -> list[tuple[int | None, int | None]]:
        if ("cc", type_id) not in self._people:
            self._people[("cc", type_id)] = ts.type_cc_refs(self.db, type_id)
        return list(self._people[("cc", type_id)])

    def customer(self, key: str):
        if key not in self._customers:
            row = None if self._complete else ps.customer_by_key(self.db, key)
            self._customers[key] = (row["id"], row["consultant_id"]) if row else None
        return self._customers[key]

    # routing Directory
    def person(self, login: str) -> Person | None:
        if ("login", login) not in self._people:
            row = None if self._complete else ps.user_by_login(self.db, login)
            self._people[("login", login)] = (
                Person(row["id"], row["login"], bool(row["active"]))
                if row and row["kind"] == "staff" else None)
        return self._people[("login", login)]

    def person_by_id(self, user_id: int) -> Person | None:
        if ("id", user_id) not in self._people:
            row = ps.user_by_id(self.db, user_id)
            self._people[("id", user_id)] = (
                Person(row["id"], row["login"], bool(row["active"])) if row else None)
        return self._people[("id", user_id)]

    def managers(self, user_id: int) -> list[Person]:
        if user_id not in self._managers:
            self._managers[user_id] = [Person(r["id"], r["login"], bool(r["active"]))
                                       for r in ps.manager_chain(self.db, user_id)]
        return self._managers[user_id]

    def dept(self, key: str):
        """A department's (id, head id); its members and their load come in the same
        round trip, for routing."""
        if key not in self._depts:
            found = None
            if not self._complete:
                found, members, load = routing_store.dept_team(self.db, key)
                if found:
                    self._members.setdefault(found[0], [Person(i, login, True)
                                                        for i, login in members])
                    for user_id, count in load.items():
                        self._load.setdefault(user_id, count)
            self._depts[key] = found
        return self._depts[key]

    def members(self, dept_id: int) -> list[Person]:
        if dept_id not in self._members:
            members = routing_store.active_members(self.db, dept_id)
            self._members[dept_id] = [Person(i, login, True) for i, login in members]
        return self._members[dept_id]

    def load(self, user_ids: list[int]) -> dict[int, int]:
        missing = [u for u in user_ids if u not in self._load]
        self._load.update(routing_store.open_load(self.db, missing))
        return {u: self._load[u] for u in user_ids}

    def least_loaded(self, dept_id: int, members: list[Person]) -> tuple[Person, int]:
        """A heap per department instead of a min() over every member per ticket. Loads
        only grow during a command, so an entry below its member's load is out of date:
        it is put back with the current load until the top one is right."""
        import heapq

        heap = self._least.get(dept_id)
        if heap is None:
            load = self.load([m.id for m in members])
            heap = self._least[dept_id] = [(load[m.id], m.login, m.id, m) for m in members]
            heapq.heapify(heap)
        while True:
            count, login, user_id, person = heap[0]
            current = self._load[user_id]
            if current == count:
                return person, count
            heapq.heapreplace(heap, (current, login, user_id, person))

    def last_round_robin(self, type_id: int) -> int | None:
        if type_id not in self._round_robin:
            self._round_robin[type_id] = routing_store.round_robin_last(self.db, type_id)
        return self._round_robin[type_id]

    def assigned(self, type_id: int, user_id: int, rule: str) -> None:
        """Keep the routing facts current after a ticket is assigned."""
        if user_id in self._load:
            self._load[user_id] += 1
        if rule.startswith("round-robin:"):
            self._round_robin[type_id] = user_id

    def save_round_robin(self) -> None:
        for type_id, user_id in self._round_robin.items():
            if user_id is not None:
                routing_store.set_round_robin_last(self.db, type_id, user_id)


class Batch:
    """Rows of new tickets waiting to be written together."""

    def __init__(self):
        self.tickets, self.events, self.cc, self.steps, self.text = [], [], [], [], []

    def __len__(self):
        return len(self.tickets)

    def flush(self, db: Store, notify_desk: Desk | None = None) -> None:
        """Write the rows; with `notify_desk`, events go through the timeline so their
        notices are enqueued (bulk import writes events directly, without notices)."""
        tstore.insert_tickets(db, self.tickets)
        tstore.insert_cc(db, self.cc)
        tstore.insert_steps(db, self.steps)
        tstore.index_text(db, self.text)
        if notify_desk is not None:
            from deskcli.tickets.timeline import record

            record(notify_desk, self.events)
        else:
            tstore.insert_events(db, self.events)
        self.__init__()
