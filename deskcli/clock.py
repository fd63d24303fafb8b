"""Time: the current moment, human dates and durations, and the stored timestamp format.

`now()` reads `DESKCLI_NOW` (ISO 8601) when set, so every command, cron run and test can be
replayed at a chosen moment. Stored timestamps are RFC 3339 UTC strings with second
precision (`2026-11-28T09:30:00Z`): fixed width, so text order is time order.

Hand-written, not python-dateutil (issue 11; measured 2026-12-04): `dateutil.parser`
costs 22 ms to import against 4.7 ms for this module, which every command loads, and it
guesses where this module refuses: '01/02/2026' is read as 2 January (a Chinese or
European user means 1 February), 'Nov 28' gets the current year silently, and it does not
read today/yesterday/+3d at all. Durations here are seconds to weeks, so relativedelta
(months) has nothing to do, and schedules are cron lines (deskcli.reminders.cron), not rrules.
python-dateutil is therefore not a dependency.
"""

import os
import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

from deskcli.errors import Invalid

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_DURATION_WHOLE = re.compile(r"(?:\d+\s*[smhdw]\s*)+")
DURATION_HINT = "use a number and a unit: 30m, 4h, 2d, 1w (or combined, e.g. 1d12h)"
MAX_DURATION = 5200 * _UNITS["w"]  # a hundred years: anything longer is a typo
WHEN_HINT = ("use ISO 8601 (2026-11-28 or 2026-11-28T09:30), today, yesterday, tomorrow, "
             "+3d, -2w, or 4h (= 4 hours ago)")


def now() -> datetime:
    """The current moment, timezone-aware UTC, truncated to the second."""
    fixed = os.environ.get("DESKCLI_NOW")
    if fixed:
        try:
            moment = _parse_iso(fixed, UTC)
        except ValueError:
            raise Invalid(f"DESKCLI_NOW={fixed!r} is not an ISO 8601 time",
                          "set it like DESKCLI_NOW=2026-11-28T09:30:00Z, or unset it") from None
        return moment.replace(microsecond=0)
    return datetime.now(UTC).replace(microsecond=0)


def stamp(moment: datetime | None = None) -> str:
    """RFC 3339 UTC text of a moment (default: now), as stored and printed."""
    moment = now() if moment is None else moment
    # isoformat, not strftime("%Y"): that writes the year 999 as "999", not "0999"
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def parse_stamp(text: str) -> datetime:
    """A stored timestamp back to an aware datetime."""
    return datetime.fromisoformat(text)


def local_minutes(moment: str | datetime, tz) -> str:
    """A stored timestamp (or a moment) as 'YYYY-MM-DD HH:MM' in the zone `tz`, for people."""
    if isinstance(moment, str):
        moment = parse_stamp(moment)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


# Zones without daylight saving time (for decades, and with no plan for it): a fixed offset
# is exact for them and spares every command the import of zoneinfo (which pulls in
# sysconfig: a few ms of start-up). Most desks of this group are in China.
FIXED_ZONES = {"Asia/Shanghai": 8, "Asia/Chongqing": 8, "Asia/Harbin": 8, "Asia/Urumqi": 6,
               "Asia/Hong_Kong": 8, "Asia/Macau": 8, "Asia/Taipei": 8, "Asia/Singapore": 8,
               "Asia/Kuala_Lumpur": 8, "Asia/Manila": 8, "Asia/Tokyo": 9, "Asia/Seoul": 9,
               "Asia/Kolkata": 5.5, "Asia/Dubai": 4, "PRC": 8, "Etc/UTC": 0}


def zone(name: str | None) -> tzinfo:
    """The tzinfo for an IANA name (the desk's `timezone` setting); UTC when unset."""
    if not name or name.upper() == "UTC":
        return UTC
    if name in FIXED_ZONES:
        return timezone(timedelta(hours=FIXED_ZONES[name]), name)
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # only desks with a zone pay for it

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown time zone {name!r}",
                      "use an IANA name such as Asia/Shanghai or UTC") from None


def zone_key(tz: tzinfo) -> str:
    """The name of a zone from zone(): its IANA key, or UTC."""
    name = getattr(tz, "key", None) or tz.tzname(None) or "UTC"
    return "UTC" if name == "Etc/UTC" else name


def parse_duration(text: str) -> int:
    """'30m', '4h', '2d', '1w', '1d12h' -> seconds. Raises Invalid with the fix."""
    cleaned = str(text).strip().lower()
    if not _DURATION_WHOLE.fullmatch(cleaned):
        raise Invalid(f"{text!r} is not a duration", DURATION_HINT)
    seconds = sum(int(n) * _UNITS[u] for n, u in _DURATION.findall(cleaned))
    if seconds > MAX_DURATION:
        raise Invalid(f"{text!r} is too long a duration (at most 5200w, a hundred years)",
                      DURATION_HINT)
    return seconds


def format_duration(seconds: int | None) -> str | None:
    """Seconds -> the shortest exact form parse_duration accepts ('1d12h', '30m')."""
    if seconds is None:
        return None
    if seconds == 0:
        return "0m"
    parts = []
    for unit in ("w", "d", "h", "m", "s"):
        count, seconds = divmod(seconds, _UNITS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def parse_when(text: str, tz: tzinfo = UTC, *, end_of_day: bool = False) -> datetime:
    """A human date or time -> aware UTC datetime.

    Accepts ISO 8601 (a date means its midnight in the desk's zone, or the end of that day
    with `end_of_day`, for `--until`), `today`, `yesterday`, `tomorrow`, `+3d` (ahead),
    `-2w` (ago), and a bare duration such as `4h` or `30d`, which means that long ago
    (so `--since 30d` reads naturally).
    """
    raw = str(text).strip()
    word = raw.lower()
    current = now()
    if word in ("now",):
        return current
    if word in ("today", "yesterday", "tomorrow"):
        local_day = current.astimezone(tz).date()
        local_day += timedelta(days={"today": 0, "yesterday": -1, "tomorrow": 1}[word])
        return _day_bound(local_day, tz, end_of_day)
    if word[:1] in "+-" and _DURATION_WHOLE.fullmatch(word[1:]):
        delta = timedelta(seconds=parse_duration(word[1:]))
        return current + delta if word[0] == "+" else current - delta
    if _DURATION_WHOLE.fullmatch(word):
        return current - timedelta(seconds=parse_duration(word))
    try:
        if len(raw) == 10:
            return _day_bound(date.fromisoformat(raw), tz, end_of_day)
        return _parse_iso(raw, tz)
    except ValueError:
        raise Invalid(f"{text!r} is not a date or time", WHEN_HINT) from None
    except OverflowError:  # 9999-12-31 until the end of the day, 0001-01-01 east of UTC
        raise Invalid(f"{text!r} is out of range", "use a date between the years 1 and "
                      "9999") from None


def _day_bound(day: date, tz: tzinfo, end_of_day: bool) -> datetime:
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    if end_of_day:
        start += timedelta(days=1)
    return start.astimezone(UTC)


def _parse_iso(text: str, tz: tzinfo) -> datetime:
    moment = datetime.fromisoformat(text.replace(" ", "T", 1) if " " in text else text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)
