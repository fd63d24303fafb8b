"""Words for people in the desk's language (the `locale` setting: en or zh).

What the desk stores stays English and machine-shaped (statuses, priorities, the reasons
deskcli writes on events); notices and reports translate them when they are rendered, so a
desk can switch its locale without rewriting history. Pure: no I/O, no click.

Times a person reads are in the desk's zone, with the zone named: `2026-12-04 17:00
(Asia/Shanghai)` in English, `2026-12-04 17:00（北京时间）` in Chinese.
"""

from __future__ import annotations

import functools
import re

LOCALES = ("en", "zh")

ZH_WORDS = {
    # statuses (SPEC §5)
    "awaiting_approval": "待审批", "new": "新建", "assigned": "待接单", "in_progress": "处理中",
    "waiting": "等待客户", "resolved": "已解决", "closed": "已关闭",
    # priorities
    "low": "低", "normal": "普通", "high": "高", "urgent": "紧急",
}

# zones Chinese readers name by their common name; others keep their IANA key
ZH_ZONES = {"Asia/Shanghai": "北京时间", "Asia/Chongqing": "北京时间", "Asia/Harbin": "北京时间",
            "PRC": "北京时间", "Asia/Urumqi": "新疆时间", "Asia/Hong_Kong": "香港时间",
            "Asia/Macau": "澳门时间", "Asia/Taipei": "台北时间"}

_ZH_UNITS = {"w": "周", "d": "天", "h": "小时", "m": "分钟", "s": "秒"}
_STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)"


def word(value, locale: str | None) -> str:
    """A status or priority (or any stored word) as people of `locale` read it."""
    if value is None:
        return ""
    if locale == "zh":
        return ZH_WORDS.get(str(value), str(value))
    return str(value).replace("_", " ")


def zone_name(tz, locale: str | None = "en") -> str:
    """The name of a tzinfo for people: its IANA key (or UTC), in Chinese the usual name."""
    from deskcli.clock import zone_key

    name = zone_key(tz)
    return ZH_ZONES.get(name, name) if locale == "zh" else name


def local_time(stamp: str | None, tz, locale: str | None = "en", *,
               named: bool = True) -> str:
    """A stored RFC 3339 timestamp in the zone `tz`, minutes precision, the zone named."""
    from deskcli import clock

    if not stamp:
        return ""
    text = clock.local_minutes(stamp, tz)
    if not named:
        return text
    zone = zone_name(tz, locale)
    return f"{text}（{zone}）" if locale == "zh" else f"{text} ({zone})"


def duration(text: str, locale: str | None) -> str:
    """A duration as deskcli writes it ('1d12h') for people: '1天12小时' in Chinese."""
    if locale != "zh":
        return text
    return "".join(f"{n}{_ZH_UNITS[u]}" for n, u in re.findall(r"(\d+)([wdhms])", text))


def actor(name: str | None, locale: str | None) -> str:
    """The actor of an event; deskcli itself (cron, rules) is 'the system' in Chinese."""
    if name in (None, "deskcli"):
        return "系统" if locale == "zh" else "deskcli"
    return name


# --- the reasons deskcli writes on events ---------------------------------------------------
# Each is (pattern, Chinese); they are tried in order on the message deskcli wrote, so a
# message a person typed (a note, a reply) is left alone unless it has the very same form.
# `{when}` in a Chinese text is a timestamp group put into the desk's zone.

_L = r"(?P<{}>[^\s:;,()]+)"  # a login, a key or a rule argument


def _p(pattern: str) -> str:
    """A pattern with {name} for a login or key. The tables below are compiled on first
    use (_compiled): importing this module must stay cheap, `ticket show` imports it."""
    for name in re.findall(r"\{(\w+)\}", pattern):
        pattern = pattern.replace("{" + name + "}", _L.format(name), 1)
    return pattern


_ROUTE_TAIL = [  # routing.py: what follows "routing rule RULE"
    (r": to the assignment queue$", "：进入待分配队列"),
    (r": no such user; to the queue$", "：没有这个用户，进入待分配队列"),
    (r": customer {who} has no consultant; to the queue$",
     "：客户 {who} 没有跟进的课程顾问，进入待分配队列"),
    (r": the ticket has no consultant; to the queue$", "：工单没有课程顾问，进入待分配队列"),
    (r": no such department; to the queue$", "：没有这个部门，进入待分配队列"),
    (r": nobody active in {dept}; to the queue$", "：{dept} 部门没有在职人员，进入待分配队列"),
    (r": next in turn is {who}$", "：轮到 {who}"),
    (r": {who} has the fewest open tickets \((?P<n>\d+)\)$",
     "：{who} 的未结工单最少（{n} 张）"),
]
_ROUTE_WHY = [  # routing.py: the `why` before ": assigned to ..." and ", but ..."
    (r": {who} follows customer {customer}$", "：{who} 跟进客户 {customer}"),
    (r": nobody active in {dept}, its head {head}$",
     "：{dept} 部门没有在职人员，由负责人 {head} 处理"),
    (r"$", ""),
]
_ROUTE_END = [
    (r": assigned to {who}$", "：分配给 {who}"),
    (r", but {who} is inactive: assigned to their manager {manager}$",
     "，但 {who} 已停用：分配给其上级 {manager}"),
    (r", but {who} is inactive and has no active manager: to the queue$",
     "，但 {who} 已停用且没有在职的上级，进入待分配队列"),
]

_REASONS = [
    (r"^not accepted by (?P<when>\S+)$", "已过接单期限 {when}，仍未接单"),
    (r"^not resolved by (?P<when>\S+)$", "已过解决期限 {when}，仍未解决"),
    (r"^(?P<n>\d+) reminders without action: escalated to {who}$",
     "催单 {n} 次仍未处理：升级给 {who}"),
    (r"^closed automatically: no answer from the customer for (?P<d>\w+)$",
     "自动关闭：客户 {d}未回复"),
    (r"^closed automatically (?P<d>\w+) after it was resolved$", "解决 {d}后自动关闭"),
    (r"^declined by {who}: (?P<text>.*)$", "{who} 拒绝接单：{text}"),
    (r"^schedule {key}$", "定期任务 {key}"),
    (r"^needs approval by {who}, the opener's manager$", "需由发起人的上级 {who} 审批"),
    (r"^needs approval by the opener's manager, but {who} has none: any manager may "
        r"approve$", "需由发起人的上级审批，但 {who} 没有上级：任一经理均可审批"),
    (r"^the approver {who} is not active: any manager may approve$",
     "审批人 {who} 已停用：任一经理均可审批"),
    (r"^needs approval by {who}$", "需由 {who} 审批"),
    (r"^reopened: the customer wrote again \((?P<text>.*)\)$",
     "客户再次来信，重新打开（{text}）"),
    (r"^{who} left \(deactivated (?P<day>[\d-]+)\): to the successor {heir}$",
     "{who} 已离职（{day} 停用）：交给接替人 {heir}"),
    (r"^{who} left \(deactivated (?P<day>[\d-]+)\): back to the assignment queue$",
     "{who} 已离职（{day} 停用）：退回待分配队列"),
    (r"^{who} left \(deactivated (?P<day>[\d-]+)\): back to the owner$",
     "{who} 已离职（{day} 停用）：退回接单人"),
    (r"^{who} left \(deactivated (?P<day>[\d-]+)\): {heir} approves now$",
     "{who} 已离职（{day} 停用）：改由 {heir} 审批"),
]


def reason(message: str | None, locale: str | None, tz=None) -> str:
    """A message deskcli wrote on an event, for people: timestamps in the desk's zone (any
    locale), and in Chinese the reason itself translated. Other text is returned as is."""
    if not message:
        return message or ""
    if locale != "zh":
        if tz is None or not re.search(r"\dT\d", message):
            return message
        return re.sub(_STAMP, lambda m: local_time(m.group(0), tz, locale), message)
    tables = _compiled()
    text = _zh_route(message, tables)
    if text is not None:
        return text
    for pattern, chinese in tables["reasons"]:
        found = pattern.match(message)
        if found:
            return _fill(chinese, found, tz)
    found = re.match(r"^(?P<text>.*) \((?P<note>[^()]*)\)$", message, re.S)
    if found:  # a reopen reason with what became of the ticket (lifecycle.reopen)
        parts = [_REOPEN_NOTES.get(part) or _reopen_note(part)
                 for part in found["note"].split("; ")]
        if all(parts):
            return f"{found['text']}（{'；'.join(parts)}）"
    return message


_REOPEN_NOTES = {
    "the owner is no longer active: back to the assignment queue": "接单人已停用：退回待分配队列",
    "it had no owner: back to the assignment queue": "无接单人：退回待分配队列",
}


def _reopen_note(part: str) -> str | None:
    owner = re.fullmatch(r"back with its owner (\S+)", part)
    if owner:
        return f"交回接单人 {owner[1]}"
    merged = re.fullmatch(r"no longer merged into #(\d+)", part)
    return f"不再合并到 #{merged[1]}" if merged else None


@functools.cache
def _compiled() -> dict[str, list[tuple[re.Pattern, str]]]:
    return {name: [(re.compile(_p(p)), zh) for p, zh in table] for name, table in (
        ("tail", _ROUTE_TAIL), ("why", _ROUTE_WHY), ("end", _ROUTE_END),
        ("reasons", _REASONS))}


def _zh_route(message: str, tables: dict) -> str | None:
    head = re.match(r"^routing rule (?P<rule>manual|consultant|(?:user|round-robin|"
                    r"least-loaded):[^\s:;,]+)", message)
    if head is None:
        return None
    rest = message[head.end():]
    for pattern, chinese in tables["tail"]:
        found = pattern.match(rest)
        if found:
            return f"分配规则 {head['rule']}{_fill(chinese, found, None)}"
    for end, end_zh in tables["end"]:
        tail = end.search(rest)
        if tail is None:
            continue
        why = rest[:tail.start()]
        for pattern, chinese in tables["why"]:
            found = pattern.match(why)
            if found:
                return (f"分配规则 {head['rule']}{_fill(chinese, found, None)}"
                        f"{_fill(end_zh, tail, None)}")
    return None


def _fill(chinese: str, found: re.Match, tz) -> str:
    values = {}
    for key, value in found.groupdict().items():
        if key == "when" and tz is not None and re.fullmatch(_STAMP, value or ""):
            value = local_time(value, tz, "zh")
        elif key == "d":
            value = duration(value, "zh")
        values[key] = value
    return chinese.format(**values)
