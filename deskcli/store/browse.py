"""SQL for people who browse a desk with sqlite3 or Datasette (migration m017): views
that show names instead of ids, and triggers laid out on several lines.

    sqlite3 -readonly desk.db "SELECT person, count(*) FROM v_open_work GROUP BY person"
"""

import re

from deskcli.store import OPEN_SQL

VIEWS = f"""
-- Views for people who browse the desk with sqlite3 or Datasette: names instead of ids.
-- Every ticket with its type, customer and people by name.
CREATE VIEW v_tickets AS
SELECT t.id,
       tt.key        AS type,
       tt.name       AS type_name,
       t.title,
       t.status,
       t.priority,
       c.key         AS customer,
       c.name        AS customer_name,
       a.login       AS assignee,
       o.login       AS owner,
       h.login       AS handler,
       h.name        AS handler_name,
       op.login      AS opened_by,
       t.source,
       t.created_at,
       t.updated_at,
       t.accept_due_at,
       t.resolve_due_at,
       t.accepted_at,
       t.resolved_at,
       t.closed_at,
       t.status IN {OPEN_SQL} AS is_open,
       t.fields
FROM tickets t
JOIN ticket_types tt ON tt.id = t.type_id
LEFT JOIN customers c ON c.id = t.customer_id
LEFT JOIN users a ON a.id = t.assignee_id
LEFT JOIN users o ON o.id = t.owner_id
LEFT JOIN users h ON h.id = t.handler_id
JOIN users op ON op.id = t.opened_by_id;

-- Open work by person: each open ticket once, under whoever must act on it now (the
-- handler once accepted, else the assignee; NULL: the assignment queue or an approver),
-- with the due time that applies and whether it has passed (by the real clock).
CREATE VIEW v_open_work AS
SELECT p.login        AS person,
       p.name         AS person_name,
       d.key          AS department,
       CASE
           WHEN t.status IN ('in_progress', 'waiting') THEN 'handling'
           WHEN t.status = 'assigned' THEN 'to accept'
           WHEN t.status = 'new' THEN 'queue'
           ELSE 'awaiting approval'
       END            AS role,
       t.id           AS ticket,
       t.title,
       tt.key         AS type,
       t.status,
       t.priority,
       c.key          AS customer,
       CASE
           WHEN t.status IN ('new', 'assigned') THEN t.accept_due_at
           WHEN t.status = 'in_progress' THEN t.resolve_due_at
       END            AS due_at,
       coalesce(
           CASE
               WHEN t.status IN ('new', 'assigned') THEN t.accept_due_at
               WHEN t.status = 'in_progress' THEN t.resolve_due_at
           END < strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
           0)         AS overdue,
       t.nudges,
       t.created_at
FROM tickets t
JOIN ticket_types tt ON tt.id = t.type_id
LEFT JOIN users p ON p.id = CASE
    WHEN t.status IN ('in_progress', 'waiting') THEN coalesce(t.handler_id, t.owner_id)
    WHEN t.status = 'assigned' THEN t.assignee_id
END
LEFT JOIN departments d ON d.id = p.dept_id
LEFT JOIN customers c ON c.id = t.customer_id
WHERE t.status IN {OPEN_SQL};

-- The timeline of every ticket, people by login.
CREATE VIEW v_events AS
SELECT e.id,
       e.ticket_id,
       t.title       AS ticket_title,
       e.at,
       u.login       AS actor,
       e.kind,
       e.from_value,
       e.to_value,
       e.message,
       e.visibility
FROM events e
JOIN tickets t ON t.id = e.ticket_id
LEFT JOIN users u ON u.id = e.actor_id;

-- Staff and access clients with their department, manager and role.
CREATE VIEW v_people AS
SELECT u.login,
       u.name,
       u.kind,
       u.email,
       d.key         AS department,
       m.login       AS manager,
       u.role,
       u.active
FROM users u
LEFT JOIN departments d ON d.id = u.dept_id
LEFT JOIN users m ON m.id = u.manager_id;
"""

_SQL_TOKEN = re.compile(r"'(?:[^']|'')*'|\s+|\w+|[^\w\s']")


def readable_sql(sql: str, width: int = 100) -> str:
    """Break each line longer than `width` at its CASE, WHEN, ELSE, END and at the ANDs
    of a WHEN, indented by nesting, so a trigger written on one line reads in
    sqlite_master. Only whitespace changes (string literals are kept as they are)."""
    out = []
    for line in sql.split("\n"):
        if len(line) <= width or "CASE" not in line.upper():
            out.append(line)
            continue
        base = len(line) - len(line.lstrip())
        depth, parens, pieces = 0, 0, [" " * base]

        def at(level: int, extra: int = 0, base: int = base) -> str:
            return "\n" + " " * (base + 4 + 8 * level + extra)

        for token in _SQL_TOKEN.findall(line.strip()):
            word = token.upper()
            if token.isspace():
                if not pieces[-1].endswith((" ", "\n")) and not pieces[-1].isspace():
                    pieces.append(" ")
                continue
            parens += (token == "(") - (token == ")")
            if word == "CASE" and parens == 0:
                pieces.append(at(depth) + token)
                depth += 1
            elif word in ("WHEN", "ELSE") and depth and parens == 0:
                pieces.append(at(depth - 1, 4) + token)
            elif word == "AND" and depth and parens == 0:
                pieces.append(at(depth - 1, 9) + token)
            elif word == "END" and depth and parens == 0:
                depth -= 1
                pieces.append(at(depth) + token)
            elif word == "WHERE" and depth == 0 and parens == 0 and len(pieces) > 2:
                pieces.append("\n" + " " * base + token)
            else:
                pieces.append(token)
        text = "".join(pieces)
        out.append("\n".join(part.rstrip() for part in text.split("\n")))
    return "\n".join(out)
