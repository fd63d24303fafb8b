"""The SQL of the schema migrations in deskcli.store.migrations, one constant per step
(named after its migration function), kept apart so that the runner and the list of steps
read on one screen. Text only: changing a constant changes what a new desk gets from that
step, so like the migrations themselves these are never edited once released."""

M002_TICKET_LIFE = """
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    ticket_id    INTEGER NOT NULL REFERENCES tickets(id),
    name         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content_type TEXT,
    sha256       TEXT NOT NULL,
    data         BLOB NOT NULL,
    added_by_id  INTEGER REFERENCES users(id),
    added_at     TEXT NOT NULL
);
CREATE INDEX attachments_ticket ON attachments(ticket_id);

-- kind 'parent': other_id is the parent of ticket_id; 'relates': both ways
CREATE TABLE ticket_links (
    ticket_id     INTEGER NOT NULL REFERENCES tickets(id),
    other_id      INTEGER NOT NULL REFERENCES tickets(id),
    kind          TEXT NOT NULL CHECK (kind IN ('parent', 'relates')),
    created_at    TEXT NOT NULL,
    created_by_id INTEGER REFERENCES users(id),
    PRIMARY KEY (ticket_id, other_id, kind)
) WITHOUT ROWID;
CREATE INDEX ticket_links_other ON ticket_links(other_id);

CREATE TABLE ticket_tags (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    tag       TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
) WITHOUT ROWID;
CREATE INDEX ticket_tags_tag ON ticket_tags(tag);

CREATE TABLE time_logs (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    user_id   INTEGER NOT NULL REFERENCES users(id),
    seconds   INTEGER NOT NULL CHECK (seconds > 0),
    at        TEXT NOT NULL,
    note      TEXT
);
CREATE INDEX time_logs_ticket ON time_logs(ticket_id);
CREATE INDEX time_logs_user ON time_logs(user_id, at);

-- the customer's satisfaction; the latest rating counts, every one is also an event
CREATE TABLE ratings (
    ticket_id   INTEGER PRIMARY KEY REFERENCES tickets(id),
    score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment     TEXT,
    rated_by_id INTEGER REFERENCES users(id),
    at          TEXT NOT NULL
);

CREATE TABLE saved_views (
    owner_id   INTEGER NOT NULL REFERENCES users(id),
    name       TEXT NOT NULL,
    filters    TEXT NOT NULL,     -- JSON: the `ticket list` options
    created_at TEXT NOT NULL,
    PRIMARY KEY (owner_id, name)
) WITHOUT ROWID;
"""

M003_NOTICES = """
-- Notices waiting for delivery. Written in the same transaction as the change that caused
-- them; rendered from templates and delivered by `deskcli outbox send`.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    created_at      TEXT NOT NULL,
    ticket_id       INTEGER REFERENCES tickets(id),
    event_id        INTEGER REFERENCES events(id),
    template        TEXT NOT NULL,          -- notices/<locale>/<template>.txt.j2
    locale          TEXT NOT NULL,
    recipients      TEXT NOT NULL,          -- JSON: {"to": [...], "cc": [...]} of {name, email}
    context         TEXT NOT NULL,          -- JSON: what the template needs
    message_id      TEXT NOT NULL UNIQUE,   -- fixed at enqueue, so a retry is the same mail
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_by      TEXT,
    claimed_at      TEXT,
    last_error      TEXT,
    sent_at         TEXT,
    subject         TEXT                    -- as rendered at the last attempt
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE status IN ('pending', 'failed');
CREATE INDEX outbox_status ON outbox(status, id);
CREATE INDEX outbox_ticket ON outbox(ticket_id);

-- people outside the desk (Cc addresses of customer mail) who get the customer's copies
CREATE TABLE ticket_watchers (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    email     TEXT NOT NULL COLLATE NOCASE,
    name      TEXT,
    PRIMARY KEY (ticket_id, email)
) WITHOUT ROWID;

ALTER TABLE tickets ADD COLUMN escalations INTEGER NOT NULL DEFAULT 0;
-- what `remind run` scans: open tickets by due time (above), waiting and resolved ones by age
CREATE INDEX tickets_waiting_since ON tickets(waiting_since) WHERE status = 'waiting';
CREATE INDEX tickets_resolved_at ON tickets(resolved_at) WHERE status = 'resolved';

-- recurring standard tasks opened by `remind run`
CREATE TABLE schedules (
    id           INTEGER PRIMARY KEY,
    key          TEXT NOT NULL UNIQUE,
    type_id      INTEGER NOT NULL REFERENCES ticket_types(id),
    title        TEXT NOT NULL,
    body         TEXT NOT NULL DEFAULT '',
    customer_id  INTEGER REFERENCES customers(id),
    fields       TEXT NOT NULL DEFAULT '{}',
    cc           TEXT NOT NULL DEFAULT '[]',
    priority     TEXT,
    every        TEXT NOT NULL,             -- as typed: monthly, weekly mon, a cron line
    cron         TEXT NOT NULL,             -- the normalised cron line
    next_run_at  TEXT NOT NULL,
    last_run_at  TEXT,
    active       INTEGER NOT NULL DEFAULT 1,
    created_by_id INTEGER REFERENCES users(id),
    created_at   TEXT NOT NULL
);

CREATE TABLE holidays (
    day  TEXT PRIMARY KEY,                  -- YYYY-MM-DD, in the desk's time zone
    name TEXT
) WITHOUT ROWID;
"""

M004_MAIL_IN = """
CREATE TABLE mail_in (
    message_id  TEXT PRIMARY KEY,           -- the Message-ID, or a digest of the message
    sender      TEXT COLLATE NOCASE,
    subject     TEXT,
    received_at TEXT NOT NULL,
    outcome     TEXT NOT NULL,              -- opened, message, note, ignored
    ticket_id   INTEGER REFERENCES tickets(id),
    reason      TEXT                        -- why it was ignored, or what was done
) WITHOUT ROWID;
CREATE INDEX mail_in_sender ON mail_in(sender, received_at);
"""

M005_REPORTS = """
CREATE INDEX events_kind_at_ticket ON events(kind, at, ticket_id, actor_id);
DROP INDEX IF EXISTS events_kind_at;
CREATE INDEX events_ticket_kind ON events(ticket_id, kind, at);
DROP INDEX IF EXISTS events_ticket;
CREATE INDEX tickets_open_report ON tickets(status, resolve_due_at, accept_due_at, type_id,
    created_at, accepted_at, waiting_since, owner_id, assignee_id)
    WHERE status IN ('awaiting_approval', 'new', 'assigned', 'in_progress', 'waiting');
CREATE INDEX events_person ON events(kind, at, to_value, from_value)
    WHERE kind IN ('transferred', 'nudged', 'escalated');
CREATE INDEX ratings_at ON ratings(at);
"""

M006_FAQ = """
CREATE TABLE faq_categories (
    id         INTEGER PRIMARY KEY,
    parent_id  INTEGER REFERENCES faq_categories(id),
    name       TEXT NOT NULL,
    path       TEXT NOT NULL UNIQUE,        -- 'Parent/Child': how commands name it
    created_at TEXT NOT NULL
);
CREATE INDEX faq_categories_parent ON faq_categories(parent_id);

CREATE TABLE faq (
    id            INTEGER PRIMARY KEY,
    key           TEXT NOT NULL UNIQUE,     -- stable across import/export (a FAQ in git)
    category_id   INTEGER REFERENCES faq_categories(id),
    question      TEXT NOT NULL,
    answer        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    created_by_id INTEGER REFERENCES users(id),
    updated_by_id INTEGER REFERENCES users(id)
);
CREATE INDEX faq_category ON faq(category_id);

CREATE TABLE faq_keywords (
    faq_id   INTEGER NOT NULL REFERENCES faq(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    keyword  TEXT NOT NULL,
    PRIMARY KEY (faq_id, position)
) WITHOUT ROWID;

-- an entry tied to ticket types is suggested first for tickets of those types
CREATE TABLE faq_types (
    faq_id  INTEGER NOT NULL REFERENCES faq(id) ON DELETE CASCADE,
    type_id INTEGER NOT NULL REFERENCES ticket_types(id),
    PRIMARY KEY (faq_id, type_id)
) WITHOUT ROWID;
CREATE INDEX faq_types_type ON faq_types(type_id);

-- rowid = faq.id; each column holds deskcli.search.tokens.index_text() of the original (keywords
-- joined by ', '). Contentless: the originals are in faq, and deleting a row gives FTS5
-- the indexed values again, recomputed with index_text (search_index says which version).
CREATE VIRTUAL TABLE faq_fts USING fts5(
    question, keywords, answer, content = '', tokenize = 'unicode61 remove_diacritics 2'
);

-- what `faq suggest` completes: keywords and question terms, normalize()d, with how many
-- entries use each (most useful first); counts change with every add, update and remove
CREATE TABLE faq_terms (
    term      TEXT PRIMARY KEY,
    keywords  INTEGER NOT NULL DEFAULT 0,   -- entries with it as a keyword
    questions INTEGER NOT NULL DEFAULT 0    -- entries with it among their question's terms
) WITHOUT ROWID;

-- "this FAQ answered this ticket" (ticket reply --faq): what recommendations learn from
CREATE TABLE faq_answers (
    faq_id    INTEGER NOT NULL REFERENCES faq(id) ON DELETE CASCADE,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    at        TEXT NOT NULL,
    by_id     INTEGER REFERENCES users(id),
    PRIMARY KEY (faq_id, ticket_id)
) WITHOUT ROWID;
CREATE INDEX faq_answers_ticket ON faq_answers(ticket_id, faq_id);

-- the version of deskcli.search.tokens.index_text each full-text table was built with; a newer
-- deskcli re-indexes a table whose version differs (the tokens would not match otherwise)
CREATE TABLE search_index (
    name    TEXT PRIMARY KEY,
    version INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO search_index (name, version) VALUES ('faq_fts', 1);
"""

M008_ASSIGNEE_LOAD = """
CREATE TABLE assignee_load (
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    open    INTEGER NOT NULL DEFAULT 0
);
INSERT INTO assignee_load (user_id, open)
    SELECT assignee_id, count(*) FROM tickets
    WHERE assignee_id IS NOT NULL AND status IN ('assigned', 'in_progress', 'waiting')
    GROUP BY assignee_id;

CREATE TRIGGER assignee_load_insert AFTER INSERT ON tickets
WHEN NEW.assignee_id IS NOT NULL AND NEW.status IN ('assigned', 'in_progress', 'waiting')
BEGIN
    INSERT INTO assignee_load (user_id, open) VALUES (NEW.assignee_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET open = open + 1;
END;

CREATE TRIGGER assignee_load_update AFTER UPDATE OF assignee_id, status ON tickets
WHEN (OLD.assignee_id IS NOT NEW.assignee_id) OR
     ((OLD.status IN ('assigned', 'in_progress', 'waiting')) <>
      (NEW.status IN ('assigned', 'in_progress', 'waiting')))
BEGIN
    UPDATE assignee_load SET open = open - 1
    WHERE user_id = OLD.assignee_id AND OLD.status IN ('assigned', 'in_progress', 'waiting');
    INSERT INTO assignee_load (user_id, open)
    SELECT NEW.assignee_id, 1
    WHERE NEW.assignee_id IS NOT NULL AND NEW.status IN ('assigned', 'in_progress', 'waiting')
    ON CONFLICT (user_id) DO UPDATE SET open = open + 1;
END;
"""

M010_CC_PAGES = """
CREATE INDEX ticket_cc_user_ticket ON ticket_cc(user_id, ticket_id) WHERE user_id IS NOT NULL;
CREATE INDEX ticket_cc_dept_ticket ON ticket_cc(dept_id, ticket_id) WHERE dept_id IS NOT NULL;
DROP INDEX IF EXISTS ticket_cc_user;
DROP INDEX IF EXISTS ticket_cc_dept;
"""

M014_TICKET_CONTACTS = """
CREATE TABLE ticket_contacts (
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    email       TEXT NOT NULL COLLATE NOCASE,
    name        TEXT,
    via         TEXT NOT NULL DEFAULT 'staff',   -- staff, or mail-cc (kept from before m014)
    added_by_id INTEGER REFERENCES users(id),
    added_at    TEXT,
    PRIMARY KEY (ticket_id, email)
) WITHOUT ROWID;
INSERT INTO ticket_contacts (ticket_id, email, name, via)
    SELECT ticket_id, email, name, 'mail-cc' FROM ticket_watchers;
DROP TABLE ticket_watchers;

CREATE TABLE ticket_mail_ids (
    id         INTEGER PRIMARY KEY,             -- the order they came in
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    message_id TEXT NOT NULL,
    subject    TEXT                             -- as the customer wrote it
);
CREATE INDEX ticket_mail_ids_ticket ON ticket_mail_ids(ticket_id, id);
INSERT INTO ticket_mail_ids (ticket_id, message_id, subject)
    SELECT ticket_id, message_id, nullif(subject, '') FROM mail_in
    WHERE outcome IN ('opened', 'message') AND ticket_id IS NOT NULL
      AND message_id NOT LIKE '<sha256-%@deskcli>'
    ORDER BY received_at, message_id;
"""
