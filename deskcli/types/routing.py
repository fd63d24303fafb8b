"""Choosing the assignee of a new ticket from the type's routing rule. Pure: the facts
come from a `directory` (the store in normal use, an in-memory copy during bulk import).

Rules: manual | user:LOGIN | round-robin:DEPT | least-loaded:DEPT | consultant.
When the chosen person is inactive, the ticket goes to the first active manager up their
chain; when nobody is found, to the assignment queue.
"""

from typing import NamedTuple, Protocol

from deskcli.errors import Invalid
from deskcli.models import Person

ROUTE_HINT = "use manual, user:LOGIN, round-robin:DEPT, least-loaded:DEPT or consultant"


class Decision(NamedTuple):  # a tuple: an import makes one per ticket
    assignee: Person | None
    reason: str  # recorded in the routing event

    @property
    def queued(self) -> bool:
        return self.assignee is None


class Directory(Protocol):
    def person(self, login: str) -> Person | None: ...
    def person_by_id(self, user_id: int) -> Person | None: ...
    def managers(self, user_id: int) -> list[Person]: ...
    def dept(self, key: str) -> tuple[int, int | None] | None: ...  # (id, head id)
    def members(self, dept_id: int) -> list[Person]: ...  # active staff, by login
    def load(self, user_ids: list[int]) -> dict[int, int]: ...
    # the member with the fewest open tickets (ties: by login) and that number
    def least_loaded(self, dept_id: int, members: list[Person]) -> tuple[Person, int]: ...
    def last_round_robin(self, type_id: int) -> int | None: ...


def parse_route(rule: str) -> tuple[str, str | None]:
    """Validate a rule's form -> (kind, argument)."""
    rule = (rule or "").strip()
    if rule in ("manual", "consultant"):
        return rule, None
    kind, sep, arg = rule.partition(":")
    if sep and arg.strip() and kind in ("user", "round-robin", "least-loaded"):
        return kind, arg.strip()
    raise Invalid(f"unknown routing rule {rule!r}", ROUTE_HINT)


_parsed: dict[str, tuple[str, str | None]] = {}  # rule -> parse_route(rule)


def route(rule: str, directory: Directory, *, type_id: int, consultant_id: int | None,
          customer_key: str | None = None) -> Decision:
    parsed = _parsed.get(rule)
    if parsed is None:
        parsed = _parsed[rule] = parse_route(rule)
    kind, arg = parsed
    if kind == "manual":
        return Decision(None, "routing rule manual: to the assignment queue")
    if kind == "user":
        person = directory.person(arg)
        if person is None:
            return Decision(None, f"routing rule user:{arg}: no such user; to the queue")
        return _active_or_manager(person, directory, f"routing rule user:{arg}")
    if kind == "consultant":
        if consultant_id is None:
            who = f"customer {customer_key}" if customer_key else "the ticket"
            return Decision(None, f"routing rule consultant: {who} has no consultant; "
                                  "to the queue")
        person = directory.person_by_id(consultant_id)
        return _active_or_manager(person, directory,
                                  f"routing rule consultant: {person.login} follows "
                                  f"customer {customer_key}")
    dept = directory.dept(arg)
    if dept is None:
        return Decision(None, f"routing rule {kind}:{arg}: no such department; to the queue")
    dept_id, head_id = dept
    members = directory.members(dept_id)
    if not members:
        head = directory.person_by_id(head_id) if head_id else None
        if head is None:
            return Decision(None, f"routing rule {kind}:{arg}: nobody active in {arg}; "
                                  "to the queue")
        return _active_or_manager(head, directory,
                                  f"routing rule {kind}:{arg}: nobody active in {arg}, "
                                  f"its head {head.login}")
    if kind == "round-robin":
        position = _positions(members).get(directory.last_round_robin(type_id))
        nxt = members[0] if position is None else members[(position + 1) % len(members)]
        return Decision(nxt, f"routing rule round-robin:{arg}: next in turn is {nxt.login}")
    chosen, count = directory.least_loaded(dept_id, members)
    return Decision(chosen, f"routing rule least-loaded:{arg}: {chosen.login} has the fewest "
                            f"open tickets ({count})")


_by_list: dict[int, tuple[list, dict[int, int]]] = {}  # id(members) -> (members, positions)


def _positions(members: list[Person]) -> dict[int, int]:
    """user id -> position in `members`, once per list (an import's directory returns the
    same list for every ticket of a department: no scan of 70 members per ticket)."""
    known = _by_list.get(id(members))
    if known is None or known[0] is not members:
        if len(_by_list) > 64:  # lists made per call (one ticket at a time): keep few
            _by_list.clear()
        known = _by_list[id(members)] = (members, {m.id: i for i, m in enumerate(members)})
    return known[1]


def _active_or_manager(person: Person, directory: Directory, why: str) -> Decision:
    if person.active:
        return Decision(person, f"{why}: assigned to {person.login}")
    for manager in directory.managers(person.id):
        if manager.active:
            return Decision(manager, f"{why}, but {person.login} is inactive: assigned to "
                                     f"their manager {manager.login}")
    return Decision(None, f"{why}, but {person.login} is inactive and has no active manager: "
                          "to the queue")
