"""Schedules (recurring standard tasks such as the monthly parent meeting) and holidays.

`remind run` opens the tickets schedules call for. A schedule that missed runs (cron did
not run for a while) opens one ticket, not one per missed run, and moves on to the next
run after now. Titles may use {date}, {month}, {year} and {week} (ISO week), in the desk's
time zone: "Parent meeting {month}".
"""

from datetime import date, timedelta

from deskcli import clock
from deskcli.desk import Desk
from deskcli.errors import Conflict, DeskError, Invalid, NotFound, ValidationErrors
from deskcli.people.staff import check_key
from deskcli.policy import require
from deskcli.reminders import cron
from deskcli.store import calendar as cstore
from deskcli.store import people as ps
from deskcli.store import types as ts
from deskcli.types.fields import validate


def schedule_add(desk: Desk, key: str, *, type_key: str, title: str, every: str,
                 body: str = "", customer: str | None = None, fields: dict | None = None,
                 cc: list[str] | None = None, priority: str | None = None,
                 start: str | None = None) -> dict:
    require(desk.actor, "type.manage", "add schedules")
    check_key(key, "schedule key")
    line = cron.normalise(every)
    with desk.store.write():
        db = desk.store
        if cstore.schedule(db, key):
            raise Conflict(f"schedule {key!r} already exists",
                           f"remove it first: deskcli schedule remove {key}")
        ttype = ts.type_by_key(db, type_key)
        if ttype is None or not ttype.active:
            raise NotFound(f"no active ticket type {type_key!r}", "see `deskcli type list`")
        _, problems = validate(ttype.fields, fields or {}, type_key=ttype.key)
        if problems:
            raise ValidationErrors(problems, f"see `deskcli type show {ttype.key}`")
        customer_id = None
        if customer:
            row = ps.customer_by_key(db, customer)
            if row is None:
                raise NotFound(f"no customer {customer!r}", "see `deskcli customer list`")
            customer_id = row["id"]
        _render_title(title, clock.now(), desk)
        after = desk.when(start) if start else clock.stamp()
        begin = clock.parse_stamp(after)
        if start:
            begin -= timedelta(minutes=1)  # a start that matches the line is its first run
        first = cron.next_run(line, begin, desk.tz)
        cstore.insert_schedule(db, {
            "key": key, "type_id": ttype.id, "title": title, "body": body or "",
            "customer_id": customer_id, "fields": fields or {}, "cc": cc or [],
            "priority": priority, "every": every, "cron": line,
            "next_run_at": clock.stamp(first), "created_by_id": desk.actor.id,
            "created_at": clock.stamp()})
        return cstore.schedule(db, key)


def schedule_list(desk: Desk) -> list[dict]:
    require(desk.actor, "ticket.view", "see schedules")
    with desk.store.read():
        return cstore.schedules(desk.store)


def schedule_remove(desk: Desk, key: str) -> dict:
    require(desk.actor, "type.manage", "remove schedules")
    with desk.store.write():
        found = cstore.schedule(desk.store, key)
        if found is None or not cstore.remove_schedule(desk.store, key):
            raise NotFound(f"no schedule {key!r}", "see `deskcli schedule list`")
        return found


def _render_title(title: str, moment, desk: Desk) -> str:
    local = moment.astimezone(desk.tz)
    iso = local.isocalendar()
    values = {"date": local.strftime("%Y-%m-%d"), "month": local.strftime("%Y-%m"),
              "year": local.strftime("%Y"), "week": f"{iso.year}-W{iso.week:02d}"}
    try:
        return title.format_map(values)
    except (KeyError, ValueError, IndexError) as exc:
        raise Invalid(f"the title {title!r} uses an unknown placeholder ({exc})",
                      "placeholders: {date} {month} {year} {week}; write {{ and }} for braces"
                      ) from None


def run_due(desk: Desk, now, summary: dict) -> None:
    """Open a ticket for each schedule due at `now` (called by `remind run`)."""
    from deskcli.tickets.opening import OpenRequest, open_ticket

    with desk.store.read():
        due = cstore.due_schedules(desk.store, clock.stamp(now))
    for item in due:
        try:
            with desk.store.write():
                next_run = cron.next_run(item["cron"], now, desk.tz)
                if not cstore.advance_schedule(desk.store, item["id"], item["next_run_at"],
                                               clock.stamp(next_run), clock.stamp(now)):
                    continue  # another run took it
                opener = _opener(desk, item)
                ticket = open_ticket(opener, OpenRequest(
                    type=item["type"], title=_render_title(item["title"], now, desk),
                    body=item["body"], customer=item["customer"], fields=item["fields"],
                    priority=item["priority"], cc=item["cc"],
                    source=f"schedule:{item['key']}"))
        except DeskError as exc:
            summary["errors"].append(f"schedule {item['key']}: {exc.message}")
            continue
        summary["opened"] += 1
        summary["actions"].append({"ticket": ticket.id, "action": "opened",
                                   "to": ticket.assignee, "reason": f"schedule {item['key']}"})


def _opener(desk: Desk, item: dict) -> Desk:
    """Schedules open tickets in the name of whoever created them (while active)."""
    creator = ps.user_by_id(desk.store, item["created_by_id"]) if item["created_by_id"] \
        else None
    if creator is None or not creator["active"]:
        return desk
    opener = Desk(desk.store, creator["login"], "schedule")
    opener._settings = desk._settings
    return opener


# --- holidays -----------------------------------------------------------------------------

def parse_days(text: str) -> list[str]:
    """'2026-10-01..2026-10-07' or '2026-10-01' (or several, comma-separated) -> days."""
    days = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        first, sep, last = part.partition("..")
        try:
            a = date.fromisoformat(first)
            b = date.fromisoformat(last) if sep else a
        except ValueError:
            raise Invalid(f"{part!r} is not a date or a range of dates",
                          "write 2026-10-01 or 2026-10-01..2026-10-07") from None
        if b < a:
            raise Invalid(f"the range {part!r} ends before it starts")
        if (b - a).days > 366:
            raise Invalid(f"the range {part!r} is longer than a year")
        days += [(a + timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]
    if not days:
        raise Invalid("name a day or a range", "e.g. deskcli holiday add 2026-10-01..2026-10-07")
    return days


def holiday_add(desk: Desk, text: str, name: str | None, working: bool = False) -> list[str]:
    """Days off, or with `working` make-up working days (调休: a Saturday worked in
    exchange for a day off); either replaces what the desk had for those days."""
    require(desk.actor, "desk.configure", "set holidays")
    days = parse_days(text)
    with desk.store.write():
        cstore.add_holidays(desk.store, days, name, working)
    return days


# the official names of China's public holidays, as chinese_calendar spells them in English
CN_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
            "Labour Day": "劳动节", "Dragon Boat Festival": "端午节",
            "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
            "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日"}


def holiday_import_cn(desk: Desk, year: int) -> dict:
    """China's official days off and make-up working days (调休) of `year`, from the
    chinesecalendar package (`pip install 'deskcli[cn]'`). Replaces what the desk had for
    those days; the desk's other days stay."""
    require(desk.actor, "desk.configure", "set holidays")
    try:
        from chinese_calendar import constants
    except ImportError:
        raise DeskError("importing China's calendar needs the chinesecalendar package",
                        "install it: pip install 'deskcli[cn]' (or pip install "
                        "chinesecalendar) in deskcli's environment") from None
    off = {d: n for d, n in constants.holidays.items() if d.year == year}
    work = {d: n for d, n in constants.workdays.items() if d.year == year}
    known = sorted({d.year for d in constants.holidays})
    if not off:
        raise Invalid(f"the installed chinesecalendar knows no holidays for {year} (it "
                      f"knows {known[0]}-{known[-1]})",
                      "upgrade it once the State Council has published the year: "
                      "pip install -U chinesecalendar")
    with desk.store.write():
        for table, working, suffix in ((off, False, ""), (work, True, "调休")):
            for day, name in sorted(table.items()):
                label = CN_NAMES.get(str(name), str(name)) + suffix
                cstore.add_holidays(desk.store, [day.isoformat()], label, working)
    return {"year": year, "holidays": len(off), "workdays": len(work)}


def holiday_remove(desk: Desk, text: str) -> list[str]:
    require(desk.actor, "desk.configure", "set holidays")
    days = parse_days(text)
    with desk.store.write():
        if not cstore.remove_holidays(desk.store, days):
            raise NotFound(f"no holiday on {text}", "see `deskcli holiday list`")
    return days


def holiday_list(desk: Desk) -> list[dict]:
    require(desk.actor, "ticket.view", "see holidays")
    with desk.store.read():
        return cstore.holidays(desk.store)


def schedule_dict(item: dict) -> dict:
    return {k: item[k] for k in ("key", "type", "title", "body", "customer", "fields", "cc",
                                 "priority", "every", "cron", "next_run_at", "last_run_at",
                                 "created_by", "created_at")}

