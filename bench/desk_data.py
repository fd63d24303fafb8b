"""The seeded desk's vocabulary: departments, people's names, customers, ticket types
and the help-desk text that titles, bodies, notes and replies are made of."""

DAY = 86400


# --- people --------------------------------------------------------------------------------

# key, name, members (besides the head)
DEPARTMENTS = [
    ("exec", "管理层 Executive", 3),
    ("support", "客服部 Customer support", 70),
    ("teaching", "教学部 Teaching", 30),
    ("sales", "销售部 Sales (课程顾问)", 44),
    ("product", "产品部 Product", 14),
    ("finance", "财务部 Finance", 10),
    ("operations", "运营部 Operations", 18),
    ("it", "IT 部 IT", 8),
]
TEAM_SIZE = 12  # each team lead (role manager) leads about this many agents
INACTIVE_SHARE = 0.04  # staff who left the company (deactivated)
ADMIN = "admin"  # created by `deskcli init`, the desk's first admin (in exec)

SURNAMES = ("wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin "
            "luo zheng liang xie song tang han feng deng cao peng zeng xiao tian dong yuan "
            "pan cai jiang yu du ye cheng wei su lu ding ren shen").split()
SURNAMES_ZH = ("王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 韩 "
               "冯 邓 曹 彭 曾 肖 田 董 袁 潘 蔡 蒋 余 杜 叶 程 魏 苏 卢 丁 任 沈").split()
GIVEN = ("wei fang na min jing li qiang lei jun yang yong yan jie tao ming chao xiu xia hua "
         "ping gang hui ying bin lin dan hong yu fei kai ning bo xin hao yi rui").split()
GIVEN_ZH = ("伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 涛 明 超 秀 霞 华 平 刚 辉 英 斌 琳 丹 红 "
            "宇 飞 凯 宁 波 欣 浩 怡 睿").split()

N_CUSTOMERS = 50_000
N_CENTRES = 300
CITIES = ("北京 上海 广州 深圳 杭州 南京 成都 武汉 西安 苏州 天津 重庆 长沙 郑州 青岛 宁波 "
          "厦门 合肥 福州 济南").split()

# --- ticket types --------------------------------------------------------------------------

PHONES = [("iPhone 15", "iOS"), ("iPhone 13", "iOS"), ("iPhone 12", "iOS"), ("iPad Air", "iOS"),
          ("Huawei P60", "HarmonyOS"), ("Huawei Mate 60", "HarmonyOS"),
          ("Xiaomi 14", "Android"), ("Redmi Note 12", "Android"), ("OPPO Reno 10", "Android"),
          ("vivo X90", "Android"), ("Honor 90", "Android"), ("Samsung S23", "Android")]
VERSIONS = ["3.1.0", "3.1.2", "3.2", "3.2.0", "3.2.1", "3.3.0", "3.3.1"]
PACKAGES = ["12 lessons", "24 lessons", "48 lessons"]
REFUND_REASONS = ["课程不满意", "搬家", "时间冲突", "其他"]
CENTRE_TASKS = ["开业典礼", "家长会", "阶段测试", "物料申请"]

# key, share of tickets, `deskcli type add` arguments (besides KEY), steps
TYPES = [
    ("app-crash", 0.28, [
        "--name", "App 闪退 / App crash", "--priority", "high",
        "--field", "phone_model:text!", "--field", "os:choice!=iOS|Android|HarmonyOS",
        "--field", "app_version:text!",
        "--pattern", r"app_version=\d+\.\d+(\.\d+)?", "--hint", "app_version=like 3.2 or 3.2.1",
        "--route", "least-loaded:support", "--cc", "dept:product",
        "--accept-within", "2h", "--resolve-within", "2d", "--nudge-every", "4h",
        "--escalate-after", "2"]),
    ("account", 0.27, [
        "--name", "登录与账号 / Login and account",
        "--field", "account:text!", "--field", "platform:choice!=App|Web|Pad",
        "--route", "round-robin:support",
        "--accept-within", "1h", "--resolve-within", "1d", "--nudge-every", "2h",
        "--escalate-after", "3"]),
    ("renewal", 0.17, [
        "--name", "续费 / Renewal", "--description", "A customer's package is due for renewal",
        "--field", "package:choice!=" + "|".join(PACKAGES), "--field", "due_date:date",
        "--route", "consultant", "--accept-within", "1d", "--resolve-within", "1w",
        "--step", "Call the parent (致电家长)", "--step", "Send the contract (发送合同)",
        "--step", "Confirm the payment (确认付款)"]),
    ("refund", 0.10, [
        "--name", "退费 / Refund", "--priority", "high",
        "--field", "amount:number!", "--field", "order_no:text!",
        "--pattern", r"order_no=\d{10}", "--hint", "order_no=the 10-digit order number",
        "--field", "reason:choice!=" + "|".join(REFUND_REASONS),
        "--route", "least-loaded:finance", "--cc", "dept:finance",
        "--accept-within", "4h", "--resolve-within", "3d",
        "--step", "Check the order (核对订单)", "--step", "Pay back (退款)"]),
    ("centre-task", 0.18, [
        "--name", "门店任务 / Centre task",
        "--description", "Standard tasks of a centre: opening ceremony, parent meeting, ...",
        "--field", "centre:text!", "--field", "task:choice!=" + "|".join(CENTRE_TASKS),
        "--field", "date:date!", "--route", "round-robin:operations", "--cc", "dept:teaching",
        "--accept-within", "1d", "--resolve-within", "2w",
        "--step", "Confirm the date (确认日期)", "--step", "Book the room (预定场地)",
        "--step", "Send the invitations (发送邀请)", "--step", "Report back (反馈结果)"]),
]
TYPE_DEPT = {"app-crash": "support", "account": "support", "renewal": "sales",
             "refund": "finance", "centre-task": "operations"}

# --- text ----------------------------------------------------------------------------------
# Titles take {model} {os} {ver} {pkg} {name} {order} {centre} {task} {reason}. Body
# sentences end in punctuation, which index_text treats as a boundary (see the docstring).

TITLES = {
    "app-crash": [
        "App 闪退：{model} 打开就闪退", "{model} 上课时 App 闪退", "App crashes on {model} ({os})",
        "直播课卡顿后闪退", "作业提交页面闪退", "App closes right after login",
        "登录后白屏然后闪退", "回放视频播放时崩溃", "{os} 更新后 App 无法打开",
        "Crash when uploading homework photos", "点击约课按钮 App 崩溃", "App {ver} 启动崩溃",
        "课件打不开，App 卡死", "Video lesson freezes on {model}", "麦克风权限开启后闪退",
    ],
    "account": [
        "学员登录失败", "家长账号无法登录", "登录提示密码错误", "收不到验证码",
        "Cannot log in to the parent app", "Account locked after wrong passwords",
        "手机号换了，需要解绑旧手机号", "账号被冻结，申请解冻", "忘记密码，重置后还是不行",
        "Web 端一直转圈进不去", "Pad 上提示网络错误", "微信扫码失败", "学员姓名显示错误",
        "Student account shows the wrong name", "两个孩子想用同一个家长账号",
        "实名认证一直审核中", "Login page keeps reloading",
    ],
    "renewal": [
        "续费提醒：{pkg} 课包即将到期", "家长咨询续费优惠", "Renewal: {pkg} package for {name}",
        "续费后课时未到账", "申请续费分期付款", "续费合同需要修改",
        "Renewal reminder: package expires soon", "老学员续费赠课问题", "{name} 续费 {pkg}",
    ],
    "refund": [
        "申请退费：{reason}", "退款未到账", "Refund request for order {order}",
        "课程退费金额有异议", "重复扣款申请退款", "退费审批进度查询", "{name} 申请退费",
    ],
    "centre-task": [
        "{centre} {task}", "{task}筹备：{centre}", "{centre}：{task}物料申请",
        "{task} checklist for {centre}", "{centre} 需要安排{task}",
    ],
}

SENTENCES = {
    "app-crash": [
        "孩子用{model}上直播课，每次进入课堂十几秒就闪退。", "已经卸载重装过，还是一样。",
        "系统是{os}，App 版本 {ver}。", "家长说昨天还好好的，今天早上开始打不开。",
        "The app closes as soon as the video starts, on {model}.",
        "We tried reinstalling and restarting the phone, no luck.",
        "提交作业拍照上传的时候卡住，然后整个 App 退出。", "回放视频放到一半黑屏，然后闪退。",
        "换了 WiFi 和 4G 都试过，问题依旧。", "孩子下午四点有课，比较着急。",
        "It started after updating to version {ver}.", "截图已经发到客服微信了。",
        "别的孩子用同一台手机也会闪退。", "进入首页后白屏，几秒后自动关闭。",
    ],
    "account": [
        "家长反映学员登录失败，提示密码错误。", "已经帮家长重置过两次密码，还是进不去。",
        "收不到短信验证码，手机号是对的。", "The parent cannot log in, the app says the "
        "account is locked.", "家长换了新手机号，旧号码已经停用，需要解绑。",
        "账号 {account} 被冻结了，家长说没有违规操作。", "Web 端登录后一直转圈，Pad 上可以。",
        "微信扫码授权后没有反应。", "学员姓名显示成了另一个孩子的名字。",
        "Please reset the password and tell the parent by phone.",
        "家长有两个孩子，想在一个账号下切换。", "实名认证提交三天了还在审核。",
        "孩子马上要上课，请尽快处理。", "They tried on the web and on the iPad, same error.",
        "家长说换了手机以后就不能用了。", "请核对一下账号绑定的手机号。",
    ],
    "renewal": [
        "学员的{pkg}课包还剩两节课，下周到期。", "家长想了解续费有没有老学员优惠。",
        "The parent wants to renew the {pkg} package and asks for the invoice.",
        "续费已经付款，但是课时还没有到账。", "家长希望分三期付款。",
        "合同上的学员姓名写错了，需要重新发一份。", "请课程顾问尽快联系家长确认。",
        "老学员续费说好赠送四节课，现在没看到。", "Payment was made through WeChat yesterday.",
        "家长对老师评价很好，续费意愿强。",
    ],
    "refund": [
        "家长因为{reason}申请退费，订单号 {order}。", "退款申请提交一周了还没到账。",
        "The parent was charged twice for order {order}.", "家长对退费金额有异议，认为少退了。",
        "请财务核对订单后尽快处理。", "已经上了六节课，剩余课时按比例退。",
        "家长情绪比较激动，说要投诉。", "Refund should go back to the original card.",
    ],
    "centre-task": [
        "{centre}计划在下个月举办{task}。", "需要确认日期、场地和参加人数。",
        "请运营同事协助准备物料和海报。", "Please send the invitation to all parents of the "
        "centre.", "上次活动的反馈表还没有收回。", "校长希望教学部派两位老师参加。",
        "预计参加的家长有六十人左右。", "The centre manager will confirm the date by Friday.",
        "活动结束后请上传照片和签到表。",
    ],
}
GENERIC = ["谢谢。", "麻烦尽快回复。", "家长电话已经留在客户信息里。", "Thanks in advance.",
           "如有需要可以直接联系家长。", "这是本周第二次反馈这个问题。"]
NOTES = ["已电话联系家长，正在排查。", "Asked the parent for a screenshot.",
         "转给产品部确认是否是已知问题。", "家长下午不方便接电话，晚上再联系。",
         "Checked the logs, looks like the known 3.2.0 issue.", "已发送操作指引。"]
REPLIES = ["您好，我们已经收到您的反馈，正在处理，请稍候。",
           "Please update the app to the latest version and try again.",
           "麻烦您提供一下孩子的账号和出问题时的截图，谢谢。",
           "已为您重置密码，新密码已通过短信发送。", "款项已经原路退回，预计三到五个工作日到账。"]
RESOLUTIONS = ["已解决：升级到最新版本后正常。", "Reset the password; the parent can log in.",
               "已退款，家长确认收到。", "续费完成，课时已到账。", "活动已完成，照片已上传。",
               "Known issue, fixed in 3.3.1.", "家长自行处理好了。", "已解绑旧手机号并绑定新号码。"]
SOURCES = ["phone", "phone", "phone", "wechat", "wechat", "email", "web", "walk-in"]
