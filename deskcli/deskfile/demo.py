"""The demo desk: a small school group's help desk to try deskcli on."""

from pathlib import Path

from deskcli.desk import Desk
from deskcli.faq import manage as faq
from deskcli.people import customers
from deskcli.people import staff as people
from deskcli.tickets import opening as tickets
from deskcli.types import manage as tickettypes
from deskcli.types.manage import TypeChanges

DEPTS = [("support", "Customer support", "alice"), ("teaching", "Teaching", "wang"),
         ("sales", "Sales", "zhao")]
USERS = [
    ("bob", "Bob Li", "support", "alice", "agent"),
    ("carol", "Carol Chen", "support", "alice", "agent"),
    ("wang", "Wang Fang", "teaching", "alice", "manager"),
    ("zhao", "Zhao Lei", "sales", "alice", "manager"),
    ("sun", "Sun Mei (课程顾问)", "sales", "zhao", "agent"),
    ("zhou", "Zhou Jie (课程顾问)", "sales", "zhao", "agent"),
]
FAQ = [  # (category, question, answer, keywords)
    ("账号 Accounts", "忘记密码怎么办？",
     "在登录页点「忘记密码」，用绑定的手机号收验证码后设置新密码。", ["密码", "验证码"]),
    ("账号 Accounts", "App 登录后闪退",
     "请把 App 升级到 3.2.2 或更高版本；仍闪退请卸载重装后再登录。", ["闪退", "登录"]),
    ("上课 Classes", "上课没有声音",
     "检查手机是否静音、App 是否有麦克风和扬声器权限；戴耳机再试一次。", ["声音", "耳机"]),
    ("上课 Classes", "怎么请假？", "课前 24 小时在「我的课表」里选择课程并点「请假」，课时不扣。",
     ["请假", "课表"]),
    ("缴费 Billing", "How do I get an invoice?", "Ask your consultant with the order number; "
     "the e-invoice (发票) is e-mailed within 3 working days.", ["invoice", "发票"]),
]
CUSTOMERS = [
    ("C1001", "张伟 (家长)", "zhangwei@example.com", "13800000001", "sun"),
    ("C1002", "Li Na (parent)", "lina@example.com", "13800000002", "sun"),
    ("C1003", "王芳 (学员)", "wangfang@example.com", "13800000003", "zhou"),
    ("CENTRE-SH01", "Shanghai Xuhui centre", "sh01@example.com", None, "zhou"),
]


def build_demo(path: Path) -> str:
    """Create and seed the demo desk at `path`; returns what to try next."""
    desk = people.init_desk(path, admin="alice", name="Alice Wang", email="alice@example.com",
                            desk_name="Demo school group", timezone="Asia/Shanghai")
    try:
        for key, name, _head in DEPTS:
            people.dept_add(desk, key, name, None)
        for login, name, dept, manager, role in USERS:
            people.user_add(desk, login, name=name, email=f"{login}@example.com", dept=dept,
                            manager=manager, role=role)
        for key, _name, head in DEPTS:
            people.dept_update(desk, key, name=None, head=head)
        for key, name, email, phone, consultant in CUSTOMERS:
            customers.customer_add(desk, key, name=name, email=email, phone=phone,
                                consultant=consultant)
        tickettypes.type_add(desk, "app-crash", TypeChanges(
            name="App crash (闪退)", priority="high",
            fields=["phone_model:text!", "os:choice!=iOS|Android|HarmonyOS",
                    "app_version:text!"],
            patterns=[r"app_version=\d+\.\d+(\.\d+)?"], hints=["app_version=like 3.2 or 3.2.1"],
            route="least-loaded:support", cc=["dept:teaching"], accept_within="2h",
            resolve_within="2d", nudge_every="4h", escalate_after="2"))
        tickettypes.type_add(desk, "renewal", TypeChanges(
            name="Renewal (续费)", route="consultant",
            fields=["package:choice!=12 lessons|24 lessons|48 lessons", "due_date:date"],
            accept_within="1d", resolve_within="1w",
            steps=["Call the parent", "Send the contract", "Confirm the payment"]))
        for category, question, answer, keywords in FAQ:
            faq.faq_add(desk, faq.Changes(category=category, question=question,
                                          answer=answer, keywords=keywords))
        customers.access_add(desk, "sales-system", name="Sales system", types=["renewal"])
        opened = [
            tickets.OpenRequest(type="app-crash", title="App closes at login (登录闪退)",
                                body="The parent says the app closes right after login.",
                                customer="C1001", source="phone",
                                fields={"phone_model": "iPhone 15", "os": "iOS",
                                        "app_version": "3.2.1"}),
            tickets.OpenRequest(type="app-crash", title="Video lesson freezes",
                                body="Live class video freezes after 5 minutes.",
                                customer="C1003", source="web",
                                fields={"phone_model": "Huawei P60", "os": "HarmonyOS",
                                        "app_version": "3.2.0"}),
        ]
        for request in opened:
            tickets.open_ticket(desk, request)
        client = Desk(desk.store, "sales-system", "--as")
        tickets.open_ticket(client, tickets.OpenRequest(
            type="renewal", title="续费提醒: 48 lessons package", customer="C1002",
            fields={"package": "48 lessons", "due_date": "2026-12-31"}))
    finally:
        desk.close()
    return (f"A demo desk is ready. Try, as one of alice (admin), bob, carol, sun, zhao:\n"
            f"  export DESKCLI_DB={path} DESKCLI_USER=alice\n"
            f"  deskcli ticket list\n"
            f"  deskcli ticket show 1\n"
            f"  deskcli type show app-crash\n"
            f"  deskcli ticket open --type app-crash --title 'Crash on homework page' "
            f"--field phone_model='Xiaomi 14' --field os=Android --field app_version=3.2.1\n"
            f"  deskcli --as sales-system ticket open --type renewal --customer C1003 "
            f"--title 'Renewal' --field package='24 lessons'\n"
            f"  deskcli ticket list --json | head -40\n"
            f"  deskcli faq search '听不到老师说话'\n"
            f"  deskcli faq search 'how do I reset my password' --explain")
