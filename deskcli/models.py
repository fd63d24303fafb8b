"""The nouns of a desk as plain records, and the fixed vocabularies.

`to_dict()` on each gives the machine-output contract of SPEC §9: snake_case keys,
RFC 3339 UTC times, None for missing values, people by login, the customer by key.
"""

from deskcli.plain import Record, new

STATUSES = ("awaiting_approval", "new", "assigned", "in_progress", "waiting", "resolved",
            "closed")
OPEN_STATUSES = ("awaiting_approval", "new", "assigned", "in_progress", "waiting")
PRIORITIES = ("low", "normal", "high", "urgent")
FIELD_KINDS = ("text", "int", "number", "date", "bool", "choice")
SOURCES_HINT = "phone, email, web, walk-in, chat, api, import, or any short word"


class Actor(Record):
    """Who is acting: a staff user or an access client (kind 'client')."""

    id: int
    login: str
    name: str
    kind: str
    role: str
    permissions: frozenset
    dept_id: int | None = None
    manager_id: int | None = None
    active: bool = True
    type_ids: frozenset = frozenset()  # for access clients: the types they may open

    @property
    def is_client(self) -> bool:
        return self.kind == "client"

    def can(self, permission: str) -> bool:
        return "*" in self.permissions or permission in self.permissions


class Person(Record):
    """Someone routing may choose (deskcli.types.routing)."""

    id: int
    login: str
    active: bool


class FieldDef(Record):
    """A custom field of a ticket type."""

    name: str
    kind: str
    required: bool = False
    label: str | None = None
    choices: list[str] | None = None
    pattern: str | None = None
    hint: str | None = None

    def to_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "kind": self.kind,
                "required": self.required, "choices": self.choices,
                "pattern": self.pattern, "hint": self.hint}


class TicketType(Record):
    id: int | None
    key: str
    name: str
    description: str | None = None
    priority: str = "normal"
    route: str = "manual"
    accept_within: int | None = None
    resolve_within: int | None = None
    nudge_every: int | None = None
    escalate_after: int | None = None
    approver: str | None = None
    active: bool = True
    fields: list[FieldDef] = new(list)
    cc: list[str] = new(list)  # 'dept:KEY' or 'user:LOGIN'
    steps: list[str] = new(list)
    created_at: str | None = None
    updated_at: str | None = None

    def field(self, name: str) -> FieldDef | None:
        return next((f for f in self.fields if f.name == name), None)

    def to_dict(self) -> dict:
        from deskcli.clock import format_duration

        return {
            "key": self.key, "name": self.name, "description": self.description,
            "priority": self.priority, "route": self.route,
            "accept_within": format_duration(self.accept_within),
            "resolve_within": format_duration(self.resolve_within),
            "nudge_every": format_duration(self.nudge_every),
            "escalate_after": self.escalate_after, "approver": self.approver,
            "active": self.active, "fields": [f.to_dict() for f in self.fields],
            "cc": list(self.cc), "checklist": list(self.steps),
            "created_at": self.created_at, "updated_at": self.updated_at,
        }


class Ticket(Record):
    """A ticket as read from the store, people already resolved to logins."""

    id: int
    type: str
    title: str
    body: str
    status: str
    priority: str
    customer: str | None
    assignee: str | None
    owner: str | None
    handler: str | None
    opened_by: str
    source: str | None
    external_id: str | None
    fields: dict
    created_at: str
    updated_at: str
    accept_due_at: str | None
    resolve_due_at: str | None
    accepted_at: str | None = None
    resolved_at: str | None = None
    closed_at: str | None = None
    resolution: str | None = None
    merged_into: int | None = None
    nudges: int = 0
    approver: str | None = None
    cc: list[str] = new(list)
    checklist: list[dict] = new(list)
    events: list[dict] | None = None
    extra: dict = new(dict)  # per-feature additions (tags, ...)

    def to_dict(self) -> dict:
        data = {
            "id": self.id, "type": self.type, "title": self.title, "body": self.body,
            "status": self.status, "priority": self.priority, "customer": self.customer,
            "assignee": self.assignee, "owner": self.owner, "handler": self.handler,
            "opened_by": self.opened_by, "source": self.source,
            "external_id": self.external_id, "cc": list(self.cc), "fields": dict(self.fields),
            "checklist": list(self.checklist), "created_at": self.created_at,
            "updated_at": self.updated_at, "accept_due_at": self.accept_due_at,
            "resolve_due_at": self.resolve_due_at, "accepted_at": self.accepted_at,
            "resolved_at": self.resolved_at, "closed_at": self.closed_at,
            "resolution": self.resolution, "merged_into": self.merged_into,
            "nudges": self.nudges, "approver": self.approver,
        }
        data.update(self.extra)
        if self.events is not None:
            data["events"] = self.events
        return data
