"""Where an escalation goes (SPEC §6, issue 13): up the chain of active managers of whoever
must act. Someone with no active manager (a department head given a ticket by
round-robin, say) escalates to the head of their department, else to the desk's admins;
only a desk with nobody else at all leaves it with nobody, and says so."""

from deskcli.store import people as ps


def ladder(db, person_id: int) -> list[dict]:
    """The levels an overdue ticket escalates through, nearest first; each is
    {"via": "manager" | "dept_head" | "admins", "to": [logins], "words": for the event}."""
    chain = [m for m in ps.manager_chain(db, person_id) if m["active"]]
    if chain:
        return [{"via": "manager", "to": [m["login"]], "words": m["login"]} for m in chain]
    person = ps.user_by_id(db, person_id)
    dept = ps.dept_by_key(db, person["dept"]) if person and person["dept"] else None
    if dept and dept["head_id"] not in (None, person_id):
        head = ps.user_by_id(db, dept["head_id"])
        if head["active"]:
            return [{"via": "dept_head", "to": [head["login"]],
                     "words": f"{head['login']}, head of {dept['key']}"}]
    admins = [r["login"] for r in ps.users(db, role="admin", active=True)
              if r["id"] != person_id]
    if admins:
        return [{"via": "admins", "to": admins,
                 "words": f"the desk's admins ({', '.join(admins)})"}]
    return []
