"""Reports in the desk's language (the `locale` setting): titles, headings, column headers,
notes, the words in cells (statuses, TOTAL) and durations, for every format people read
(terminal, Markdown, HTML, CSV headers). JSON is the machine contract and stays English.

The report model is built in English (deskcli.reports.queries); `for_people` returns a translated
copy just before rendering, so the numbers are those of the one model. Pure: no I/O.
"""

from __future__ import annotations

import copy
import re

from deskcli.locales import word

ZH_COLUMNS = {
    "desk": "服务台", "type": "类型", "dept": "部门", "status": "状态", "count": "数量",
    "share": "占比", "opened": "新建", "accepted": "已接单", "resolved": "已解决",
    "closed": "已关闭", "reopened": "重新打开", "backlog": "积压", "overdue": "超时",
    "accept_sla": "接单 SLA", "accept_met": "按时接单", "accept_share": "按时接单率",
    "accept_median": "接单中位数", "accept_p90": "接单 P90", "resolve_sla": "解决 SLA",
    "resolve_met": "按时解决", "resolve_share": "按时解决率", "resolve_median": "解决中位数",
    "resolve_p90": "解决 P90", "ticket": "工单", "sla": "时限", "person": "负责人",
    "due_at": "截止时间", "late_by": "超时时长", "title": "标题", "agent": "账号",
    "name": "姓名", "transferred": "流转", "nudged": "被催单", "escalated": "被升级",
    "rated": "评价数", "satisfaction": "满意度", "previous": "上期", "change": "变化",
    "change_pct": "变化率", "day": "日期", "week": "周", "month": "月份",
}

ZH_TEXT = {
    # report titles and section titles
    "Summary": "工单汇总", "SLA compliance": "SLA 达成情况", "Agent performance": "人员绩效",
    "By type": "按类型", "By desk": "按服务台", "By person": "按人员",
    "By department (the owner's, or the assignee's)":
        "按部门（接单人所在部门，未接单时为被分配人所在部门）",
    "Tickets opened in the period, by status now": "本期新建工单的当前状态",
    "All desks together": "所有服务台合计",
    "By day": "按日", "By week": "按周", "By month": "按月",
    "Trend by day": "趋势（按日）", "Trend by week": "趋势（按周）",
    "Trend by month": "趋势（按月）",
    # chart series
    "Opened": "新建", "Resolved": "已解决", "Backlog": "积压", "Accepted": "已接单",
    "Accepted within SLA": "按时接单", "Resolved within SLA": "按时解决",
    "This period": "本期", "Previous period": "上期",
    # cells
    "TOTAL": "合计", "(other)": "（其他）", "(empty)": "（空）", "accept": "接单",
    "resolve": "解决",
    # section notes
    "Counts are tickets: opened, accepted, resolved, closed (incl. rejected and merged) and "
    "reopened in the period; backlog and overdue at its end.":
        "按工单计数：本期新建、接单、解决、关闭（含驳回与合并）和重新打开的工单；积压与超时按期末计算。",
    "accept_sla/resolve_sla: tickets accepted/resolved in the period with an SLA, plus those "
    "still open whose due time passed in it (breached); times run from opening (or "
    "approval); resolve times leave out time waiting on the customer.":
        "接单 SLA／解决 SLA：本期内接单／解决且有时限的工单，"
        "加上仍未完成但期限已在本期内到期的工单（已超时）；"
        "时间从发起（或审批通过）起算；解决时间不含等待客户的时间。",
    "accept_median: from when the ticket was offered to them (assigned, queued, reopened) "
    "to their acceptance; resolve_median: from acceptance to their resolution, without time "
    "waiting on the customer; reopened: tickets they resolved that were reopened in the "
    "period; nudged: nudges they received; escalated: escalations to their manager about "
    "them; satisfaction: average rating (1-5) of their tickets.":
        "接单中位数：从工单交给本人（分配、进入队列、重新打开）到本人接单；解决中位数：从接单到本人解决，"
        "不含等待客户的时间；重新打开：本人解决后在本期被重新打开的工单；被催单：本人收到的催单；"
        "被升级：因本人未处理而升级给其上级的次数；满意度：本人工单的平均评分（1–5）。",
    "Counts are tickets per bucket (a ticket resolved on two days counts on each).":
        "按时间段统计工单数（同一工单在两天各解决一次，则两天各计一次）。",
    # words of the templates and the terminal table
    "Desk": "服务台", "Desks": "服务台", "Period": "统计周期", "Generated": "生成时间",
    "Note": "注意", "filters": "筛选", "note": "注意", "by": "分组",
    "Nothing in this period.": "本期没有数据。",
    "(nothing in this period)": "（本期没有数据）",
    "Type": "类型", "Dept": "部门", "By": "分组", "day": "日", "week": "周", "month": "月",
    "Charts are left out of mailed reports; run the report with --format html for them.":
        "邮件版不含图表；需要图表时请用 --format html 生成报表。",
    "over time": "随时间变化", " and ": "、",
}
CELL_WORDS = ("TOTAL", "(other)", "(empty)")  # deskcli's own words among the data

_ZH_PATTERNS = [
    (re.compile(r"^Worst breaches \(top (\d+)\)$"), "超时最严重的工单（前 {0} 张）"),
    (re.compile(r"^(\d+) breaches in the period; late_by is counted to the acceptance or "
                r"resolution, or to the end of the period if still open\.$"),
     "本期共 {0} 次超时；超时时长计到接单或解决时，仍未完成的计到期末。"),
    (re.compile(r"^(.+?): no ticket type (.+)$"), "{0}：没有工单类型 {1}"),
    (re.compile(r"^(.+?): no department (.+)$"), "{0}：没有部门 {1}"),
    (re.compile(r"^share: of the period's (\S+) tickets; previous: the same length before "
                r"\(from (.+?) to (.+?)\); rows beyond --limit are summed as \(other\)\.$"),
     "占比：占本期 {0} 工单的比例；上期：本期之前同样长的一段时间（{1} 至 {2}）；"
     "超出 --limit 的行合计为“（其他）”。"),
    (re.compile(r"^(\S+) by (.+)$"), "{0} 按 {1} 统计"),
]


def text(value, locale: str | None):
    """A fixed English text of a report in `locale` (unknown text is returned as is)."""
    if locale != "zh" or not isinstance(value, str):
        return value
    if value in ZH_TEXT:
        return ZH_TEXT[value]
    for pattern, chinese in _ZH_PATTERNS:
        found = pattern.match(value)
        if found:
            return chinese.format(*found.groups())
    return value


def for_people(report):
    """The report with its words in the report's locale (the same object for English)."""
    locale = getattr(report, "locale", "en")
    if locale != "zh" or getattr(report, "for_people", False):
        return report
    out = copy.deepcopy(report)
    out.for_people = True
    out.title = text(out.title, locale)
    out.notes = [text(n, locale) for n in out.notes]
    for section in out.sections:
        section.title = text(section.title, locale)
        section.note = text(section.note, locale)
        for column in section.columns:
            if column.title is None and column.key in ZH_COLUMNS:
                column.title = ZH_COLUMNS[column.key]
        section.rows = [_row(r, section.columns) for r in section.rows]
        if section.totals:
            section.totals = _row(section.totals, section.columns)
        if section.chart:
            section.chart = {**section.chart,
                             "labels": [_label(lbl) for lbl in section.chart["labels"]],
                             "series": [{**s, "name": text(s["name"], locale)}
                                        for s in section.chart["series"]]}
    return out


def _row(row: dict, columns) -> dict:
    kinds = {c.key: c.kind for c in columns}
    out = dict(row)
    for key, value in row.items():
        if kinds.get(key) != "text" or not isinstance(value, str):
            continue
        if value in CELL_WORDS or key == "sla":
            out[key] = ZH_TEXT.get(value, value)
        elif key == "status":
            out[key] = word(value, "zh")
    return out


def _label(label) -> str:
    """A chart label is data (a type, a field value, a date) but for deskcli's own words
    ('desk / (other)')."""
    if not isinstance(label, str):
        return label
    return " / ".join(ZH_TEXT[part] if part in CELL_WORDS else part
                      for part in label.split(" / "))
