-- deskcli baseline schema (migration m001_initial).
--
-- Conventions:
--   * every timestamp is TEXT in RFC 3339 UTC with second precision: 'YYYY-MM-DDTHH:MM:SSZ'
--     (fixed width, so text order is time order, and SQLite's date functions read it);
--   * durations are INTEGER seconds;
--   * people are rows of `users`: staff (kind 'staff') and access clients (kind 'client'),
--     so every actor, opener and assignee is one foreign key;
--   * later changes are numbered migrations in deskcli/store/migrations.py, never edits here
--     once a desk exists.

-- the applied migrations (PRAGMA user_version holds their count)
CREATE TABLE migrations (
    name       TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT
);

-- desk-wide settings (`deskcli config set KEY VALUE`), shared by everyone using the desk
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE departments (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    head_id    INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL
);

CREATE TABLE roles (
    name        TEXT PRIMARY KEY,
    description TEXT,
    permissions TEXT NOT NULL,          -- space-separated permission names
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    login          TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL DEFAULT 'staff' CHECK (kind IN ('staff', 'client')),
    name           TEXT NOT NULL,
    email          TEXT,
    dept_id        INTEGER REFERENCES departments(id),
    manager_id     INTEGER REFERENCES users(id),
    role           TEXT NOT NULL DEFAULT 'agent',
    active         INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    deactivated_at TEXT,
    successor_id   INTEGER REFERENCES users(id)
);
CREATE INDEX users_dept ON users(dept_id);
CREATE INDEX users_manager ON users(manager_id);

-- ticket types an access client (users.kind = 'client') may open
CREATE TABLE access_types (
    user_id INTEGER NOT NULL REFERENCES users(id),
    type_id INTEGER NOT NULL REFERENCES ticket_types(id),
    PRIMARY KEY (user_id, type_id)
) WITHOUT ROWID;

CREATE TABLE customers (
    id            INTEGER PRIMARY KEY,
    key           TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    email         TEXT,
    phone         TEXT,
    consultant_id INTEGER REFERENCES users(id),
    note          TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX customers_consultant ON customers(consultant_id);
CREATE INDEX customers_email ON customers(email COLLATE NOCASE);

CREATE TABLE ticket_types (
    id               INTEGER PRIMARY KEY,
    key              TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    description      TEXT,
    priority         TEXT NOT NULL DEFAULT 'normal'
                     CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    route            TEXT NOT NULL DEFAULT 'manual',
    accept_within    INTEGER,          -- seconds
    resolve_within   INTEGER,          -- seconds
    nudge_every      INTEGER,          -- seconds
    escalate_after   INTEGER,          -- nudges
    approver         TEXT,             -- a login, or 'manager' (the opener's manager)
    active           INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

CREATE TABLE type_fields (
    type_id  INTEGER NOT NULL REFERENCES ticket_types(id),
    position INTEGER NOT NULL,
    name     TEXT NOT NULL,
    label    TEXT,
    kind     TEXT NOT NULL CHECK (kind IN ('text', 'int', 'number', 'date', 'bool', 'choice')),
    required INTEGER NOT NULL DEFAULT 0,
    choices  TEXT,                      -- JSON array, for kind 'choice'
    pattern  TEXT,                      -- a regular expression the value must match
    hint     TEXT,                      -- what to tell the user when the pattern fails
    PRIMARY KEY (type_id, name)
) WITHOUT ROWID;

-- copied onto every ticket of the type at open time; exactly one of dept_id/user_id is set
CREATE TABLE type_cc (
    type_id INTEGER NOT NULL REFERENCES ticket_types(id),
    dept_id INTEGER REFERENCES departments(id),
    user_id INTEGER REFERENCES users(id),
    CHECK ((dept_id IS NULL) <> (user_id IS NULL))
);
CREATE UNIQUE INDEX type_cc_unique ON type_cc(type_id, coalesce(dept_id, 0), coalesce(user_id, 0));

CREATE TABLE type_steps (
    type_id  INTEGER NOT NULL REFERENCES ticket_types(id),
    position INTEGER NOT NULL,
    text     TEXT NOT NULL,
    PRIMARY KEY (type_id, position)
) WITHOUT ROWID;

-- where round-robin routing left off, per type
CREATE TABLE routing_state (
    type_id      INTEGER PRIMARY KEY REFERENCES ticket_types(id),
    last_user_id INTEGER REFERENCES users(id)
);

CREATE TABLE tickets (
    id             INTEGER PRIMARY KEY,     -- tickets are never deleted, so ids never change
    type_id        INTEGER NOT NULL REFERENCES ticket_types(id),
    title          TEXT NOT NULL,
    body           TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL CHECK (status IN ('awaiting_approval', 'new', 'assigned',
                       'in_progress', 'waiting', 'resolved', 'closed')),
    priority       TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    customer_id    INTEGER REFERENCES customers(id),
    assignee_id    INTEGER REFERENCES users(id),
    owner_id       INTEGER REFERENCES users(id),
    handler_id     INTEGER REFERENCES users(id),
    opened_by_id   INTEGER NOT NULL REFERENCES users(id),
    approver_id    INTEGER REFERENCES users(id),   -- who must approve (awaiting_approval)
    source         TEXT,                    -- phone, email, web, api:CLIENT, import, ...
    external_id    TEXT,                    -- makes `ticket import` idempotent
    fields         TEXT NOT NULL DEFAULT '{}',   -- JSON object of custom field values
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    accept_due_at  TEXT,
    resolve_due_at TEXT,
    accepted_at    TEXT,
    resolved_at    TEXT,
    closed_at      TEXT,
    waiting_since  TEXT,                    -- set while status = 'waiting'
    paused_seconds INTEGER NOT NULL DEFAULT 0,   -- time spent waiting on the customer
    nudges         INTEGER NOT NULL DEFAULT 0,
    last_nudged_at TEXT,
    resolution     TEXT,
    merged_into    INTEGER REFERENCES tickets(id)
);
-- Everyday lists filter by one person and a status and show the newest first: each index
-- ends (implicitly) with the rowid, so `WHERE assignee_id=? AND status=? ORDER BY id DESC`
-- reads 50 entries and stops.
CREATE INDEX tickets_assignee ON tickets(assignee_id, status);
CREATE INDEX tickets_owner ON tickets(owner_id, status);
CREATE INDEX tickets_handler ON tickets(handler_id, status);
CREATE INDEX tickets_status ON tickets(status);
CREATE INDEX tickets_customer ON tickets(customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX tickets_type_created ON tickets(type_id, created_at);
CREATE INDEX tickets_created ON tickets(created_at);
CREATE UNIQUE INDEX tickets_external ON tickets(external_id) WHERE external_id IS NOT NULL;
-- open tickets by due time: overdue lists and reminders read only these
CREATE INDEX tickets_accept_due ON tickets(accept_due_at)
    WHERE status IN ('new', 'assigned') AND accept_due_at IS NOT NULL;
CREATE INDEX tickets_resolve_due ON tickets(resolve_due_at)
    WHERE status = 'in_progress' AND resolve_due_at IS NOT NULL;

-- CC list of a ticket: a user, or a department (which reaches its current head)
CREATE TABLE ticket_cc (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    dept_id   INTEGER REFERENCES departments(id),
    user_id   INTEGER REFERENCES users(id),
    CHECK ((dept_id IS NULL) <> (user_id IS NULL))
);
CREATE UNIQUE INDEX ticket_cc_unique ON ticket_cc(ticket_id, coalesce(dept_id, 0), coalesce(user_id, 0));
CREATE INDEX ticket_cc_user ON ticket_cc(user_id) WHERE user_id IS NOT NULL;
CREATE INDEX ticket_cc_dept ON ticket_cc(dept_id) WHERE dept_id IS NOT NULL;

-- the type's checklist, copied at open time so later type changes never rewrite it
CREATE TABLE ticket_steps (
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    position   INTEGER NOT NULL,
    text       TEXT NOT NULL,
    done_at    TEXT,
    done_by_id INTEGER REFERENCES users(id),
    PRIMARY KEY (ticket_id, position)
) WITHOUT ROWID;

-- The timeline. Append-only: the triggers below refuse UPDATE and DELETE.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    at         TEXT NOT NULL,
    actor_id   INTEGER REFERENCES users(id),   -- NULL: the desk itself (routing, reminders)
    kind       TEXT NOT NULL,
    from_value TEXT,
    to_value   TEXT,
    message    TEXT,
    visibility TEXT NOT NULL DEFAULT 'internal' CHECK (visibility IN ('public', 'internal')),
    data       TEXT                             -- JSON with details, when there are any
);
CREATE INDEX events_ticket ON events(ticket_id);
CREATE INDEX events_kind_at ON events(kind, at);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: an event cannot be changed');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: an event cannot be deleted');
END;

-- Full-text index of ticket titles and bodies. The text is pre-tokenised by
-- deskcli.search.index_text (character bigrams for Chinese, stemmed words for English),
-- because SQLite's own tokenizers cannot find two-character Chinese words.
CREATE VIRTUAL TABLE ticket_fts USING fts5(
    title, body, tokenize = 'unicode61 remove_diacritics 2'
);
