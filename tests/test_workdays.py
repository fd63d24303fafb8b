"""Make-up working days (调休): `holiday add --workday`, `holiday import --cn YEAR`, and
business-hours SLAs that count them."""

import sys
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from deskcli.reminders.sla import Calendar, parse_hours
from tests.conftest import ok, run

SHANGHAI = timezone(timedelta(hours=8))


def hours_desk():
    ok("init --admin alice --timezone Asia/Shanghai", as_user=None)
    ok("config set business-hours 'Mon-Fri 09:00-18:00'")
    ok("user add bob --name Bob")
    ok("type add it --name IT --route user:bob --accept-within 2h --resolve-within 9h")


def opened_due(title: str) -> dict:
    ticket_id = ok(f"ticket open --type it --title '{title}'",
                   now="2026-10-09T09:00:00Z").out.strip()  # Friday 17:00 in Shanghai
    return ok(f"ticket show {ticket_id} --json").json


def test_a_make_up_saturday_counts_as_working_time(tmp_path):
    hours_desk()
    # 2026-10-10 is a Saturday; without a make-up day, 1h Friday + 1h Monday
    assert opened_due("before")["accept_due_at"] == "2026-10-12T02:00:00Z"
    assert ok("holiday add 2026-10-10 --workday --name 国庆节调休").out.strip() == "1"
    # the calendar is read per command: the Saturday is now worked, with Monday's hours
    ticket = opened_due("after")
    assert ticket["accept_due_at"] == "2026-10-10T02:00:00Z"  # Saturday 10:00
    # the 9h resolve clock: 1h on Friday, then Saturday 09:00-17:00
    assert ticket["resolve_due_at"] == "2026-10-10T09:00:00Z"
    listed = ok("holiday list --json").json
    assert listed == [{"day": "2026-10-10", "kind": "workday", "name": "国庆节调休"}]


def test_a_holiday_on_a_weekday_and_its_replacement(tmp_path):
    hours_desk()
    ok("holiday add 2026-10-12 --name 休息")  # Monday off
    assert opened_due("off")["accept_due_at"] == "2026-10-13T02:00:00Z"  # Tuesday 10:00
    ok("holiday add 2026-10-12 --workday")  # the same day made a working day again
    assert opened_due("on")["accept_due_at"] == "2026-10-12T02:00:00Z"
    assert [r["kind"] for r in ok("holiday list --json").json] == ["workday"]
    ok("holiday remove 2026-10-12")
    assert ok("holiday list --json").json == []


def test_calendar_counts_workdays_both_ways():
    cal = Calendar(parse_hours("Mon-Fri 09:00-12:00,13:00-18:00"), {date(2026, 10, 8)},
                   SHANGHAI, {date(2026, 10, 10)})
    friday_5pm = datetime(2026, 10, 9, 17, 0, tzinfo=SHANGHAI)
    monday_9am = datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI)
    # Friday 1h + Saturday 8h (lunch excluded) + Sunday 0
    assert cal.working_seconds(friday_5pm, monday_9am) == 9 * 3600
    assert cal.add(friday_5pm, 3 * 3600) == datetime(2026, 10, 10, 3, 0, tzinfo=UTC)
    # the holiday on Thursday still counts nothing
    thursday = datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI)
    assert cal.working_seconds(thursday, thursday + timedelta(hours=9)) == 0


def test_import_the_official_chinese_calendar(tmp_path):
    pytest.importorskip("chinese_calendar")
    hours_desk()
    ok("holiday add 2026-12-24 --name 公司年会")  # the desk's own day stays
    result = ok("holiday import --cn 2026 --json").json
    assert result == {"year": 2026, "holidays": 33, "workdays": 6}
    listed = {r["day"]: r for r in ok("holiday list --json").json}
    assert listed["2026-10-10"] == {"day": "2026-10-10", "kind": "workday",
                                    "name": "国庆节调休"}
    assert listed["2026-10-01"]["kind"] == "holiday" and listed["2026-10-01"]["name"] == "国庆节"
    assert listed["2026-12-24"]["name"] == "公司年会"
    assert sum(r["kind"] == "workday" for r in listed.values()) == 6
    # National Day week: opened Wednesday 30 Sep 17:00, 2h to accept: 1h that day, then
    # 1-7 Oct off, so the next working hour is Thursday 8 Oct 09:00-10:00
    ticket_id = ok("ticket open --type it --title National",
                   now="2026-09-30T09:00:00Z").out.strip()
    assert ok(f"ticket show {ticket_id} --json").json["accept_due_at"] == \
        "2026-10-08T02:00:00Z"
    # opened Friday 18 Sep 17:00: Sunday 20 Sep is the make-up working day
    ticket_id = ok("ticket open --type it --title Sunday",
                   now="2026-09-18T09:00:00Z").out.strip()
    assert ok(f"ticket show {ticket_id} --json").json["accept_due_at"] == \
        "2026-09-20T02:00:00Z"
    again = ok("holiday import --cn 2026 --json").json  # idempotent
    assert again["holidays"] == 33 and len(ok("holiday list --json").json) == 40


def test_import_says_what_to_install_or_upgrade(tmp_path, monkeypatch):
    hours_desk()
    try:
        import chinese_calendar  # noqa: F401
    except ImportError:
        pass
    else:
        late = run("holiday import --cn 2099")
        assert late.code == 2 and "pip install -U chinesecalendar" in late.err
    monkeypatch.setitem(sys.modules, "chinese_calendar", None)  # as if not installed
    missing = run("holiday import --cn 2026")
    assert missing.code == 1 and "pip install 'deskcli[cn]'" in missing.err
    assert run("holiday add 2026-10-10 --workday", as_user="bob").code == 4


def test_reports_count_a_make_up_day_as_working_time():
    """Reports measure SLA times with a per-day table of the calendar (WorkingClock): it
    must agree with the calendar on make-up working days and holidays."""
    from deskcli.reports.model import Period, WorkingClock

    cal = Calendar(parse_hours("Mon-Fri 09:00-18:00"), {date(2026, 10, 8)}, SHANGHAI,
                   {date(2026, 10, 10)})
    period = Period(datetime(2026, 10, 1, tzinfo=UTC),
                    datetime(2026, 10, 31, tzinfo=UTC))
    between = WorkingClock(cal, period).between
    friday_5pm = datetime(2026, 10, 9, 17, 0, tzinfo=SHANGHAI)
    for hours in (3, 24, 72):
        end = friday_5pm + timedelta(hours=hours)
        assert between(int(friday_5pm.timestamp()), int(end.timestamp())) == \
            cal.working_seconds(friday_5pm, end)
    monday_9am = datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI)
    assert between(int(friday_5pm.timestamp()), int(monday_9am.timestamp())) == 10 * 3600
