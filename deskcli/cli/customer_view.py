"""How `customer show` prints a customer with their tickets (我的提问)."""

from deskcli.cli.common import chosen, emit_object
from deskcli.output import key_values, render_rows

TICKET_COLUMNS = ["id", "status", "type", "title", "handling", "updated_at"]


def emit_customer(data: dict, fmt: str, as_json: bool) -> None:
    """JSON carries the ticket lists; csv and tsv stay one row of the customer."""
    if chosen(fmt, as_json) in ("csv", "tsv"):
        data = {k: v for k, v in data.items() if not k.endswith("_tickets")}
    emit_object(data, fmt, as_json, human=_text)


def _text(data: dict) -> str:
    from deskcli.people.customers import RECENT

    text = key_values({k: v for k, v in data.items() if not k.endswith("_tickets")})
    for title, rows, empty in (
            ("Open tickets", data["open_tickets"], "no open tickets"),
            (f"Recent (last {RECENT} resolved or closed)", data["recent_tickets"],
             "none resolved or closed yet")):
        for row in rows:
            row["handling"] = _handling(row)
        text += f"\n{title}:\n" + (render_rows(rows, TICKET_COLUMNS, "table") if rows
                                    else f"  {empty}\n")
    return text


def _handling(row: dict) -> str | None:
    if row["status"] == "assigned":
        return f"{row['handled_by']} (to accept)"
    if row["status"] == "awaiting_approval":
        return f"(approval: {row['approver'] or 'a manager'})"
    if row["status"] == "new":
        return "(queue)"
    return row["handled_by"]
