"""The word and character tables of deskcli.search.tokens: traditional to simplified Chinese,
CJK ranges, stop words, words kept whole, domain words and synonyms. Plain constants, so
importing them costs next to nothing.

The traditional -> simplified table is kept, not opencc or zhconv (issue 11; measured
2026-12-04): both convert phrases, not characters, so the same character folds one way in
a document and another in a query (帳號 -> 账号, but 帳 alone -> 帐 in both libraries),
and a search for one character would miss the documents that hold it inside a phrase;
index-time folding must be the same function on both sides, character by character. Their
coverage is larger (opencc changes 3,563 characters of U+4E00-9FFF, zhconv 4,707 in its
single-character table, against 779 here; they agree with this table on all but 帳 and
暱), but zhconv costs 88 ms to import and 15-19 ms to load its dictionary per process,
opencc 6.5 ms plus 4.4 ms to load; str.translate here needs nothing. Any change to this
table changes the indexes: it needs a new index_text version and `deskcli db reindex`."""

# -- tables ----------------------------------------------------------------------------
# Traditional characters (left) and their simplified forms (right), position by position.
# Only characters whose simplified form is unambiguous are listed (乾, 著, 瞭 are not: they
# are also ordinary simplified characters with another meaning).
_TRAD = (
    "錄續費帳賬號課學實問題頁碼網機時間際體開關員線讀計點應無為麼說習師級報單類統們個這來會對"
    "過後還進動種現發經長兩從與當樣見沒話樂東車書門區馬電腦國華萬億歲讓請謝認識訊記設試詢該誤"
    "語談論調證評議講譯變讚負貴買賣資購貨質贈價錢銀鐘鍵錯鎖閉閱隊陽險雙離難雲靈頭顯願額風飛飯"
    "館驗齊齡龍務勞勢醫協參雖戶擇據擊換損攝擬數斷舊條構標檢權歡殘氣溝滿減準濟燈爭狀獎環產畫畢"
    "療盡監確禮稱穩競筆範節簡簽籤紀約紅細終組結給絡絲綁總編練績繫係繳義聽聯職臨舉處術補裝複復"
    "製規視親覺覽觀訂訪許訴診詳誠諮謂護豐貼賴趕轉輸輕載輔辦農運達違遠適遲選遺邊郵鄉針鈕銷鋪閃"
    "閒陸陳隨隱雜雞須預領頻顧飽養驟髮鬧魚鳥麗黃齒註冊傳檔軟螢聲響頓蘋啟連順曠測階優餘稅紙專業"
    "寶掃審撥賠償態營廣佈賓場園傷藥頒遷責衝週圖麥緩嗎誰裡幫隻兒寫帶壞於憶擁夠愛媽爺孫歷曆漢藝"
    "鋼積兌勵憑屬暱凍異攔漲執倉庫貸導訓彆劃採佔僱臺檯颱夥儘鬆麵懷錶鐵較獲戲劇歸嚴壓廳樓層廁燒"
    "濕溫熱聖蘭擔揚撫撿擋擾攜鬥幹慣憂戀戰掛搶搖擠擴攤敗敵斬暫曉樹橋歐殺決沖況淨淺湯滅滾漁潔濱"
    "灣災煙爐獨瑪疊瘋盤眾睏矯礙祕禍窮竊箏篩糧糾紋納紐純紛紮紹絕絞綜綠維緊緒緣緝縣縮織繞繪纏罰"
    "罷聞聰肅脅脈脫腫膚膽臉臟興艱藍虛蝦襯覓觸討託訣詐詞詩誇誌誘誕諒諸謀謊謹譜譽豎豬貓貝貞財販"
    "貪貫貶賀賄賞賢賤賭賽贊贏趙跡踐躍軀軌軍軒輛輝輩輪輯轄辭遞遙鄰醞釋釘鈴鉛銅鋒錦鍋鎮鏡鑰鑽閏"
    "閣闊闖陣雛靜韓韻頂項頑頗頸顆顏顛飄飲餅餓饋駐駕騎騙騰驅驚骯髒鬱魯鮮鳴鴨鵝鶴鷹鹽黨齋龜壯備"
    "夢奪奮婦嬰寧寬將尋屆嶺巖幣帥廢廚廟廠彈彌徑徵恆惡惱慘慶憐懇懶懸拋挾捨揀揮擺敘斂晉晝暈曖朧"
    "楊極榮槍樞橫櫃欄殼毀氫洶浹涼淚淪渦渾滯滲漿潛澀濃濤濫濾瀏瀾灑牆犧猶獅獸獻畝疇癢皺盜盞睜矚"
    "碩礎禱秈稈穀窩窯筍箋築籃籠糞糰團圓圍塊堅塗墊墳壇壟夾奧妝婁嫻孃寢寵屍嶄巒幀幾廂廈張強彎彙"
    "徹憲懲戧撐撲攬斕暢曬朮棄棗棧棟椏槓樁欖毆湧滄滬漸潑澤濁灘爛犢獄"
)
_SIMP = (
    "录续费账账号课学实问题页码网机时间际体开关员线读计点应无为么说习师级报单类统们个这来会对"
    "过后还进动种现发经长两从与当样见没话乐东车书门区马电脑国华万亿岁让请谢认识讯记设试询该误"
    "语谈论调证评议讲译变赞负贵买卖资购货质赠价钱银钟键错锁闭阅队阳险双离难云灵头显愿额风飞饭"
    "馆验齐龄龙务劳势医协参虽户择据击换损摄拟数断旧条构标检权欢残气沟满减准济灯争状奖环产画毕"
    "疗尽监确礼称稳竞笔范节简签签纪约红细终组结给络丝绑总编练绩系系缴义听联职临举处术补装复复"
    "制规视亲觉览观订访许诉诊详诚咨谓护丰贴赖赶转输轻载辅办农运达违远适迟选遗边邮乡针钮销铺闪"
    "闲陆陈随隐杂鸡须预领频顾饱养骤发闹鱼鸟丽黄齿注册传档软萤声响顿苹启连顺旷测阶优余税纸专业"
    "宝扫审拨赔偿态营广布宾场园伤药颁迁责冲周图麦缓吗谁里帮只儿写带坏于忆拥够爱妈爷孙历历汉艺"
    "钢积兑励凭属昵冻异拦涨执仓库贷导训别划采占雇台台台伙尽松面怀表铁较获戏剧归严压厅楼层厕烧"
    "湿温热圣兰担扬抚捡挡扰携斗干惯忧恋战挂抢摇挤扩摊败敌斩暂晓树桥欧杀决冲况净浅汤灭滚渔洁滨"
    "湾灾烟炉独玛叠疯盘众困矫碍秘祸穷窃筝筛粮纠纹纳纽纯纷扎绍绝绞综绿维紧绪缘缉县缩织绕绘缠罚"
    "罢闻聪肃胁脉脱肿肤胆脸脏兴艰蓝虚虾衬觅触讨托诀诈词诗夸志诱诞谅诸谋谎谨谱誉竖猪猫贝贞财贩"
    "贪贯贬贺贿赏贤贱赌赛赞赢赵迹践跃躯轨军轩辆辉辈轮辑辖辞递遥邻酝释钉铃铅铜锋锦锅镇镜钥钻闰"
    "阁阔闯阵雏静韩韵顶项顽颇颈颗颜颠飘饮饼饿馈驻驾骑骗腾驱惊肮脏郁鲁鲜鸣鸭鹅鹤鹰盐党斋龟壮备"
    "梦夺奋妇婴宁宽将寻届岭岩币帅废厨庙厂弹弥径征恒恶恼惨庆怜恳懒悬抛挟舍拣挥摆叙敛晋昼晕暧胧"
    "杨极荣枪枢横柜栏壳毁氢汹浃凉泪沦涡浑滞渗浆潜涩浓涛滥滤浏澜洒墙牺犹狮兽献亩畴痒皱盗盏睁瞩"
    "硕础祷籼秆谷窝窑笋笺筑篮笼粪团团圆围块坚涂垫坟坛垄夹奥妆娄娴娘寝宠尸崭峦帧几厢厦张强弯汇"
    "彻宪惩戗撑扑揽斓畅晒术弃枣栈栋桠杠桩榄殴涌沧沪渐泼泽浊滩烂犊狱"
)

# Han, kana (without its punctuation ・ ゠) and hangul: written without spaces, so they
# are cut into bigrams.
_CJK = (
    "\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)

_EN_STOP = frozenset(
    "a an the to of in on at for from by with about into onto over under as than then so"
    " is are was were be been being am do does did done doing have has had having"
    " i me my mine we us our you your yours he him his she her it its they them their"
    " this that these those there here what which who whom whose how why when where"
    " can could would should will shall may might must and or but if not no nor"
    " just please hi hello thanks thank any some very too also still yet again"
    " im ive id dont doesnt didnt cant cannot couldnt wont isnt arent wasnt"
    " get got want wants need needs let lets tell know".split()
)
"""English words dropped from rank_query (kept by filter_query, which requires all)."""

# Words that look like they contain a stop character but must survive (在线 = online,
# 有效期 = validity); tried before the stop words at each position.
_ZH_KEEP = (
    "了解 目的 的确 在线 存在 在读 所在 有效 所有 有关 拥有 有限 具有 含有 有线 还款 退还"
    " 归还 还原 交还 其他 他人 跟进 转让 就读 成就 给予 要求 主要 重要 功能 智能 性能 技能"
    " 能力 可能 可能性"
)
# Question words, fillers and particles: in a sentence like 学员登录不了怎么办 they carry
# no topic, and as bigrams (了怎, 怎么) they match nearly every question.
_ZH_STOP = (
    "怎么办 怎么样 怎么回事 怎么弄 怎么搞 怎么 怎样 如何 为什么 为啥 干什么 什么时候 什么"
    " 时候 咋办 咋样"
    " 咋 请问 麻烦 您好 你好 谢谢 一下 不了 能不能 可不可以 可以 能否 是不是 是否 有没有"
    " 没有 一直 总是 老是 还是 就是 但是 因为 所以 然后 如果 现在 已经 这个 那个 哪个 这些"
    " 那些 哪里 哪儿 这样 那样 这么 那么 我们 你们 他们 她们 自己 应该 需要 想要 还有 的话"
    " 突然 一般 大概 到底 为了 关于 或者 以及 而且 并且 还要 帮忙 帮我 告诉 知道 也许"
    " 啥 呢 吗 吧 啊 呀 哦 嘛 啦 哈 嗯 么 的 了 我 你 您 他 她 它 是 在 有 和 就 都 也 还"
    " 很 又 把 被 让 给 跟 与 及 或 并 而 要 想 能 哪"
)
# Domain words that terms() can pick out of long runs (keywords are the better source).
_DOMAIN_WORDS = (
    "登录 密码 账号 验证码 手机号 绑定 解绑 注销 实名 认证 续费 退款 退费 发票 电子发票 专票"
    " 普票 支付 付款 缴费 微信 支付宝 银行卡 分期 课程 课时 课包 课表 约课 调课 请假 补课"
    " 排课 停课 退课 转课 延期 有效期 冻结 考勤 签到 迟到 缺勤 作业 提交 批改 直播 回放"
    " 视频 卡顿 闪退 崩溃 白屏 黑屏 声音 麦克风 摄像头 网络 阶段测试 测评 成绩 报告 家长会"
    " 开业典礼 加盟 加盟商 校区 中心 门店 物料 海报 宣传 证书 转校 转校区 合同 变更 投诉"
    " 建议 安全 接送 保险 老师 教师 学员 学生 家长 顾问 班主任 教材 优惠 优惠券 积分 套餐"
    " 价格 订单 审批 培训 督导 营业执照 消防 演练 急救 监控 课件 教室 班级 升级 更新 安装"
    " 卸载 缓存 权限 通知 短信 邮件 客服 人脸 蓝牙 平板 手机 电脑 浏览器 合同编号 学籍"
)

# Colloquial and standard words for the same thing; rank_query adds the others of a group
# when the query has one (退钱 → also 退款, 退费). A one-character member only matches a
# character left alone after stop words are dropped (很卡 → 卡 → 卡顿).
_ZH_SYNONYMS = (
    "退款 退费 退钱",
    "登录 登陆",
    "账号 帐号 账户",
    "闪退 崩溃",
    "卡 卡顿",
    "忘记 忘了 想不起",
    "接送 接孩子 代接",
    "受伤 摔伤 磕伤 碰伤 磕到 摔倒",
    "转校 转学",
    "直播课 网课 线上课",
    "回放 重播",
    "自动续费 自动扣费 自动扣款",
    "发票 收据",
    "费用 多少钱 收费",
    "宝宝 孩子 小孩",
)
_EN_SYNONYMS = ("lag freez buffer stutter",)
"""Groups of stems, as for _ZH_SYNONYMS."""

_LATIN_STEM_ALIASES = {
    "login": "log", "logon": "log", "paid": "pay", "children": "child", "kid": "child",
    "complaint": "complain",
}  # fmt: skip
"""Stems that mean the same thing here, unified in the index and in queries: "log in",
"login" and "logged in"; "kids" and "children"; "complain" and "complaint"."""

_STEM_KEEP = frozenset(
    "ios ipados macos watchos sms mms gps https news sky howe atlas cosmos bias andes".split()
)
"""Words kept as they are (Porter2's own invariant exceptions, and product names)."""
