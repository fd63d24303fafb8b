"""Text search for FAQs and tickets: the pure part (no SQL is run here).

SQLite's FTS5 ``unicode61`` tokenizer treats a run of Han characters as one token, so a
search for 登录 never finds 学员登录失败, and Python's sqlite3 cannot register a custom
tokenizer. So we tokenize in Python and let FTS5 split on spaces only: every indexed
column holds :func:`index_text` of the original text, and queries are built from the
same tokens. The store declares its tables like this::

    CREATE VIRTUAL TABLE faq_fts USING fts5(
        question, keywords, answer,
        tokenize = 'unicode61 remove_diacritics 2');
    -- rowid = faq.id; each column = index_text(original); keywords joined by ", "

and searches with :func:`rank_query` (ORDER BY bm25(faq_fts, *FAQ_WEIGHTS), keeping
within RANK_BUDGET as :func:`common_terms` explains; bench/faq/relevance.py ``rank()``
is the reference) or filters with :func:`filter_query`. A contentless table
(``content=''``) is 2.5 times smaller on disk (FTS5 otherwise stores the token text
again); deleting from it takes the indexed values, which index_text recomputes.
Changing index_text means re-indexing: the store should record a version of it.

Tokens (see :func:`index_text`):

* CJK runs become overlapping character bigrams, the approach of Lucene's CJKAnalyzer:
  a query 登录失败 is the phrase "登录 录失 失败", which only matches the four characters
  in a row. The last character of each run is also indexed alone, so that every
  character begins some token and a one-character query is the prefix query "课"*
  (matching 课 and 课程, 课时 ...). Indexing every character as a unigram too was
  measured: it grows the index by 41 % for what prefix queries give on small tables
  (see ``chars`` in :func:`rank_terms`), and on large ones single characters match
  most documents, which bm25 cannot rank quickly.
* Latin letters and digits become lower-cased words, split where letters meet digits
  (iPhone13 → iphon 13, queried as a phrase so "iPhone 13" matches too); English
  words are reduced by :func:`stem` (Porter2), so login/logins/logging/logged and
  crash/crashes/crashed/crashing meet.
* Text is first folded by :func:`normalize`: NFKC (full-width Ａ１！ → A1!), lower case,
  and traditional → simplified Chinese for about 780 common characters.

Everything costly (regular expressions, the conversion table, word lists) is built on
first use, and neither re, typing nor unicodedata is imported with the module: every
command that may search imports it, and that takes about a millisecond from compiled
bytecode.
"""


TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs several ms
if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

FTS_TOKENIZE = "unicode61 remove_diacritics 2"
"""The ``tokenize`` option of every FTS5 table that stores :func:`index_text` output."""

INDEX_VERSION = 1
"""The version of :func:`index_text` (and normalize, stem). Bump it with any change to the
tokens they produce: the store records the version each full-text table was built with
and re-indexes a table whose version differs."""

FAQ_COLUMNS = ("question", "keywords", "answer")
"""The FAQ FTS5 table's columns, in order (bm25 weights follow this order)."""

FAQ_WEIGHTS = (4.0, 4.0, 1.0)
"""bm25 column weights for FAQ_COLUMNS: a match in the question or an author's keyword
says more than one somewhere in a long answer. Weights saturate quickly (bm25's k1 is
1.2), so they mostly order documents by *where* they match; on the labelled set every
choice from 3 : 2 : 1 to 10 : 10 : 1 is within one query of the best."""


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


class _Lazy:
    """Regular expressions and tables, compiled on first use (import stays cheap).

    The CJK character class appears in one expression only: compiling a class of 40,000
    characters costs about 2.5 ms each time it is written (re builds a bitmap of it in
    Python), and a command pays for it at start-up. So text is first split into CJK runs
    and the rest, and the Latin expressions only ever see the rest."""

    def __init__(self) -> None:
        import re

        # CJK runs (re.split keeps them at the odd positions)
        self.cjk_run = re.compile(f"([{_CJK}]+)")
        # A Latin "unit" (in text without CJK): letters/digits joined by . - or ' (3.2.1,
        # wi-fi, don't), which is queried as one phrase.
        self.latin = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*")
        self.piece = re.compile(r"[^\W\d_]+|\d+")
        # Chinese words to keep and stop words, by length, longest first (a set lookup
        # per length and position: cheaper to build than an alternation of 160 words)
        self.zh_keep = _by_length(_ZH_KEEP)
        self.zh_stop = _by_length(_ZH_STOP)
        self.domain = frozenset(_DOMAIN_WORDS.split())
        self.synonyms: dict[str, list[str]] = {}
        for group in (*_ZH_SYNONYMS, *_EN_SYNONYMS):
            words = group.split()
            for word in words:
                self.synonyms.setdefault(word, []).extend(w for w in words if w != word)
        self.zh_synonym_keys = sorted(
            (w for g in _ZH_SYNONYMS for w in g.split() if len(w) > 1), key=len, reverse=True
        )

    def units(self, text: str) -> list[tuple[str, str]]:
        """(CJK run, "") or ("", Latin unit) for each unit of ``text``, in order."""
        out: list[tuple[str, str]] = []
        for i, part in enumerate(self.cjk_run.split(text)):
            if i % 2:
                out.append((part, ""))
            elif part:
                out.extend(("", unit) for unit in self.latin.findall(part))
        return out


def _by_length(words: str) -> list[tuple[int, frozenset[str]]]:
    sizes: dict[int, set[str]] = {}
    for word in words.split():
        sizes.setdefault(len(word), set()).add(word)
    return [(size, frozenset(sizes[size])) for size in sorted(sizes, reverse=True)]


_lazy: _Lazy | None = None
_t2s: dict | None = None


def _L() -> _Lazy:
    global _lazy
    if _lazy is None:
        _lazy = _Lazy()
    return _lazy


# -- normalising and tokenising ----------------------------------------------------------


def normalize(text: str | None) -> str:
    """Fold text for matching: NFKC, lower case, traditional → simplified Chinese.

    NFKC turns full-width letters, digits and punctuation into ASCII (ＡＰＰ１７！ →
    APP17!) and the ideographic space into a space. The Chinese table covers about
    780 common characters (登錄 → 登录, 續費 → 续费, 帳號 → 账号); it is a character
    table, not a phrase converter, which is enough for matching.
    """
    if not text:
        return ""
    if text.isascii():
        return text.lower()
    import unicodedata

    global _t2s
    if _t2s is None:  # apart from _L(): `faq suggest` needs only this
        _t2s = str.maketrans(_TRAD, _SIMP)
    return unicodedata.normalize("NFKC", text).translate(_t2s).lower()


_stems: dict[str, str] = {}
"""Words already stemmed: a vocabulary is small next to the number of words indexed, and
Porter2 in Python costs about 20 µs a word."""


def stem(word: str) -> str:
    """Reduce an English word to its stem with Porter2 (the Snowball English stemmer).

    ``crashes``, ``crashed``, ``crashing`` → ``crash``; ``cancellation`` → ``cancel``.
    Deliberate changes: words this help desk needs intact (``ios``, ``sms``) are kept,
    and a few stems are aliased (see _LATIN_STEM_ALIASES: login → ``log``, the stem of
    logging/logged). Words that are not ASCII letters are returned lower-cased but
    otherwise unchanged.
    """
    w = word.lower()
    found = _stems.get(w)
    if found is not None:
        return found
    if len(w) <= 2 or not w.isascii() or not w.isalpha() or w in _STEM_KEEP:
        found = w
    else:
        found = _porter2(w)
        found = _LATIN_STEM_ALIASES.get(found, found)
    if len(_stems) >= 50_000:  # bound the memory of a long-running import
        _stems.clear()
    _stems[w] = found
    return found


def _latin_words(unit: str) -> list[str]:
    """Words of one Latin unit, unstemmed: iphone13 → [iphone, 13]; e-mail → [email];
    student's → [student]; don't → [dont]; 3.2.1 → [3, 2, 1]."""
    u = unit.replace("’", "'")
    if u.endswith("'s"):
        u = u[:-2]
    u = u.replace("'", "")
    if "-" in u:
        parts = u.split("-")
        # e-mail, wi-fi, log-in are one word; long-term, step-by-step are several.
        if all(p.isalpha() for p in parts) and min(map(len, parts)) <= 2:
            u = "".join(parts)
    return _L().piece.findall(u)


def _latin_tokens(unit: str) -> list[str]:
    """Index tokens of one Latin unit: its words, stemmed."""
    return [stem(w) if w.isalpha() else w for w in _latin_words(unit)]


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_text(text: str | None) -> str:
    """Return the space-separated tokens to store in an FTS5 column for ``text``.

    CJK runs give their overlapping bigrams followed by the run's last character
    (学员登录 → 学员 员登 登录 录; 课 → 课); Latin text gives lower-cased, stemmed words
    (Logged in on iOS 17 → log in on ios 17). Token order is kept, so phrase queries
    work. None or empty text gives "".
    """
    if not text:
        return ""
    out: list[str] = []
    for cjk, latin in _L().units(normalize(text)):
        if cjk:
            out.extend(_bigrams(cjk))
            out.append(cjk[-1])
        elif latin.isalpha():  # the common case, without _latin_tokens' work
            out.append(stem(latin))
        elif latin.isdecimal():
            out.append(latin)
        else:
            out.extend(_latin_tokens(latin))
    return " ".join(out)


def _quote(tokens: list[str]) -> str:
    """One FTS5 string (a phrase when several tokens); quotes are doubled, so nothing in
    user input can become FTS5 syntax (AND, NEAR, *, column:, parentheses)."""
    return '"' + " ".join(tokens).replace('"', '""') + '"'


def _cjk_phrase(run: str) -> str:
    if len(run) == 1:
        # Every character starts a token (a bigram, or the run's last character).
        return _quote([run]) + "*"
    return _quote(_bigrams(run))


def filter_query(text: str | None) -> str | None:
    """Return an FTS5 MATCH expression that requires every term of ``text``, or None.

    Used as a filter (``ticket list --search``). Each CJK run must appear as typed
    (登录失败 is the phrase "登录 录失 失败"); each Latin unit is a phrase of its stemmed
    tokens. Terms are joined with AND. None when ``text`` has no searchable token
    (empty, punctuation, emoji). A single CJK character is a prefix query ("课"*),
    which on a large table is slow (about 20 ms on 100,000 entries for a common one).
    """
    parts: list[str] = []
    for cjk, latin in _L().units(normalize(text)):
        tokens = [] if cjk else _latin_tokens(latin)
        part = _cjk_phrase(cjk) if cjk else _quote(tokens) if tokens else None
        if part and part not in parts:
            parts.append(part)
    return " AND ".join(parts) or None


def _zh_pieces(run: str) -> list[str]:
    """Split a CJK run at stop words: 学员登录不了怎么办 → [学员登录].

    From left to right, the longest word to keep (在线, 有效 ...) or else the longest stop
    word that starts at each position is taken; a stop word becomes a cut."""
    lazy = _L()
    out: list[str] = []
    i, end = 0, len(run)
    while i < end:
        for size, words in lazy.zh_keep:
            if run[i : i + size] in words:
                out.append(run[i : i + size])
                i += size
                break
        else:
            for size, words in lazy.zh_stop:
                if run[i : i + size] in words:
                    out.append(" ")
                    i += size
                    break
            else:
                out.append(run[i])
                i += 1
    return "".join(out).split()


_Terms = tuple[list[tuple[str, list[str]]], list[str], list[str]]


_recent_terms: dict[str | None, _Terms] = {}
"""_query_terms of the last few queries: one search asks for them once for the ranking
and again for each snippet it shows."""


def _query_terms(text: str | None) -> _Terms:
    """The useful terms of a query: ([(surface, tokens)], leftover single CJK characters,
    the CJK runs as typed). Callers must not change the lists (they are shared).

    A surface is a CJK piece (its tokens are its bigrams) or a Latin unit (its tokens are
    stems). Stop words are dropped; if nothing at all is left they are used after all, so
    a query made only of stop words still finds something.
    """
    known = _recent_terms.get(text)
    if known is None:
        if len(_recent_terms) >= 8:
            _recent_terms.clear()
        known = _recent_terms[text] = _split_query(text)
    return known


def _split_query(text: str | None) -> _Terms:
    found: list[tuple[str, list[str]]] = []
    singles: list[str] = []
    stopped: list[tuple[str, list[str]]] = []
    runs: list[str] = []
    for cjk, latin in _L().units(normalize(text)):
        if cjk:
            runs.append(cjk)
            pieces = _zh_pieces(cjk)
            if not pieces:
                stopped.append((cjk, _bigrams(cjk) or [cjk]))
            for piece in pieces:
                if len(piece) == 1:
                    singles.append(piece)
                else:
                    found.append((piece, _bigrams(piece)))
        else:
            tokens = _latin_tokens(latin)
            if latin.replace("'", "").replace("’", "") in _EN_STOP:
                stopped.append((latin, tokens))
            elif tokens:
                found.append((latin, tokens))
    if not found and not singles:
        found = stopped
    return found, singles, runs


RANK_BUDGET = 1500
"""How many rows a ranked search may read and score. bm25 costs 2–5 µs per matching row
here (reading the row's positions and column sizes), and computing a phrase's IDF reads
its whole posting list, so a term found in a third of 100,000 entries (校区) costs over
50 ms alone. See :func:`common_terms` for how the store keeps within the budget. On
100,000 entries and a busy 2-core machine, p95 of a search measured 7.5 ms with 1,000
rows, about 10 ms with 1,500 and 11–14 ms with 2,000; the quality estimate in
common_terms barely moves between them (hit@3 0.86 ± 0.01)."""


CHARS_MAX_ROWS = 10_000
"""Tables up to this many rows can afford ``chars=True`` in :func:`rank_terms`."""


def rank_terms(text: str | None, chars: bool = False) -> list[str]:
    """The terms that :func:`rank_query` joins with OR, without duplicates: each is an
    FTS5 phrase ("登录") or a group of alternatives (("登录" OR "登陆")).

    Made for whole sentences as people type them (学员登录不了怎么办, how do I reset a
    student's password, APP 闪退 iOS 17) as well as single words (登录, 续费, login):

    * Stop words are dropped (的, 了, 怎么办, 不了, 请问 ...; how, do, I, the ...).
    * A CJK piece contributes each of its bigrams (学员登录 → 学员, 员登, 登录). Adding the
      whole piece as a phrase, to reward verbatim matches, was measured and did not help.
    * A Latin unit contributes each token, plus the phrase when it has several
      (iphone13 → "iphon" OR "13" OR "iphon 13").
    * A word of a small built-in synonym list becomes a group with its synonyms (退钱 →
      ("退钱" OR "退款" OR "退费")), so that :func:`common_terms` keeps or leaves out a
      word and its synonyms together. A character left alone between stop words adds
      its synonyms (很卡 → 卡 → "卡顿").
    * Other characters left alone (我的课 → 课) are used only when nothing else is left,
      as prefix queries ("课"* matches 课, 课时, 课程).
    * With ``chars``, every CJK character of the query is added as a prefix query too,
      which finds documents that share characters but no bigram (密码锁了 → 锁定). On
      the labelled set this raises hit@1 of paraphrased queries from 0.65 to 0.73 and
      hit@3 from 0.81 to 0.85, and changes nothing for the others; indexing every
      character as a unigram instead measured the same and grew the index by 41 %.
      But FTS5 merges the postings of every token with the prefix before reading the
      first row ("课"* takes 20 ms on 100,000 entries), so only small tables (see
      CHARS_MAX_ROWS) should ask for it.
    """
    found, singles, runs = _query_terms(text)
    lazy = _L()
    parts: list[str] = []

    def group(word: str, others: list[str]) -> str:
        # One-character synonyms (卡) serve lone characters only, below.
        words = [w for w in (word, *others) if len(w) > 1 or not _is_cjk(w)]
        quoted = [_quote(_bigrams(w) if _is_cjk(w) else [w]) for w in words]
        return quoted[0] if len(quoted) == 1 else "(" + " OR ".join(quoted) + ")"

    for _surface, tokens in found:
        for tok in tokens:
            others = lazy.synonyms.get(tok)
            parts.append(group(tok, others) if others else _quote([tok]))
        if len(tokens) > 1 and tokens[0].isascii():
            parts.append(_quote(tokens))
    for run in runs:
        # Looked for in the run as typed: stop words may cut a synonym (想不起).
        for key in lazy.zh_synonym_keys:
            if key in run:
                parts.append(group(key, lazy.synonyms[key]))
    for char in singles:
        parts.extend(_quote(_bigrams(other)) for other in lazy.synonyms.get(char, ()))
    if chars:
        pieces = [surface for surface, _tokens in found if not surface.isascii()]
        parts.extend(_quote([char]) + "*" for char in "".join(pieces) + "".join(singles))
    elif not parts:
        # A prefix query reads the postings of every token that starts with the
        # character (课* → 课时, 课程, ...): costly on a large table, so only as a last
        # resort.
        parts = [_quote([char]) + "*" for char in singles]
    return list(dict.fromkeys(parts))


def _is_cjk(word: str) -> bool:
    return bool(_L().cjk_run.fullmatch(word))


def rank_query(text: str | None, skip: "Collection[str]" = (), chars: bool = False) -> str | None:
    """Return an FTS5 MATCH expression for ranked retrieval (ORDER BY bm25), or None.

    An OR of the useful terms of ``text`` (see :func:`rank_terms`), so that documents
    matching only some of them are still found and bm25 ranks those matching more,
    rarer terms first. Phrases in ``skip`` (as returned by :func:`rank_terms`, usually
    chosen by :func:`common_terms`) are left out; ``chars`` as for rank_terms. None when
    nothing is left.
    """
    return " OR ".join(t for t in rank_terms(text, chars) if t not in skip) or None


def common_terms(counts: "Mapping[str, int]", budget: int = RANK_BUDGET) -> set[str]:
    """The phrases to leave out of a ranked search so that it reads about ``budget`` rows.

    ``counts`` maps each phrase of :func:`rank_terms` to the number of rows it matches,
    which need not be exact above ``budget``: the store counts with a capped query that
    reads at most budget + 1 rowids and no positions (about 0.1 µs a row)::

        SELECT count(*) FROM (SELECT 1 FROM faq_fts WHERE faq_fts MATCH ? LIMIT ?)

    Phrases are kept from the rarest up while the rows they match add up to at most
    ``budget``; the rarest phrase that matches anything is always kept (phrases that
    match nothing cost nothing and are kept too). What is left out is what bm25 values
    least (the lowest IDF), so small tables lose nothing: with 235 FAQs no phrase comes
    near 1,500 rows. The store then ranks (bench/faq/relevance.py ``rank()`` is the
    reference)::

        SELECT rowid FROM faq_fts
        WHERE faq_fts MATCH '{question keywords} : (' || :rank_query || ')'
        ORDER BY bm25(faq_fts, 4.0, 4.0, 1.0) LIMIT 10

    filling up, when that gives fewer than 10, with the same query on all columns
    (question and keyword matches first measured better: hit@1 0.93 against 0.91, MRR
    0.947 against 0.942, though hit@3 0.968 against 0.976).
    If even the rarest phrase matches more than ``budget`` rows (a query made only of
    very common words, like 登录 or 校区 in 100,000 entries), no bm25 ranking is cheap,
    as the IDF alone reads the whole posting list: the store lists the newest entries
    that have that phrase, in the question or keywords first, with ORDER BY rowid DESC.

    On the labelled set, this recipe with the budget scaled down to the set's size (3–4
    rows of 235, no ``chars``) gives hit@3 0.86 instead of 0.97: an estimate of what the
    pruning costs on a 100,000-entry table, if it were the labelled set copied 400 times.
    """
    kept = 0
    skip: set[str] = set()
    for phrase, count in sorted(counts.items(), key=lambda kv: kv[1]):
        if kept and kept + count > budget:
            skip.add(phrase)
        else:
            kept += count
    return skip


# -- what people see ---------------------------------------------------------------------


def terms(text: str | None) -> list[str]:
    """The user-visible terms of ``text``, for keyword completion (``faq suggest``).

    English: lower-cased words of two or more letters that are not stop words, unstemmed.
    Chinese: each run is cut at stop words and particles (的, 了, 怎么, 请问 ...); pieces of
    2–4 characters are kept as they are (登录, 续费, 阶段测试); from longer pieces only
    words of a small built-in domain list are taken (学员登录失败 → 学员, 登录), because
    without a dictionary their word boundaries are a guess; a 3–4 character piece made
    only of domain words is split into them too (学员登录 → 学员, 登录). The keywords
    authors give an FAQ are the better source; the store should rank those first. Order
    of first appearance, no duplicates.
    """
    found: dict[str, None] = {}
    lazy = _L()
    for cjk, latin in lazy.units(normalize(text)):
        for word in _latin_words(latin) if latin else ():
            if len(word) > 1 and word.isalpha() and word not in _EN_STOP:
                found[word] = None
        for piece in _zh_pieces(cjk) if cjk else ():
            words = _domain_words(piece, lazy.domain)
            if 1 < len(piece) <= 4 and (piece in lazy.domain or "".join(words) != piece):
                found[piece] = None
            else:
                found.update(dict.fromkeys(words))
    return list(found)


def topics(text: str | None) -> list[str]:
    """What a ticket title is about, for the FAQ gaps report: :func:`terms`, and the
    domain words inside its longer Chinese terms (发票开错了 → 发票开错, 发票), so that
    tickets phrased differently still count toward the same topic."""
    found = dict.fromkeys(terms(text))
    domain = _L().domain
    for term in list(found):
        if len(term) > 2 and _is_cjk(term):
            found.update(dict.fromkeys(w for w in _domain_words(term, domain) if w != term))
    return list(found)


def _domain_words(piece: str, domain: frozenset[str]) -> list[str]:
    """Domain words in ``piece``, longest first from left to right (学员登录 → 学员, 登录)."""
    words: list[str] = []
    i = 0
    while i < len(piece) - 1:
        for n in (5, 4, 3, 2):
            if piece[i : i + n] in domain:
                words.append(piece[i : i + n])
                i += n
                break
        else:
            i += 1
    return words


def _fold_same_length(text: str) -> str:
    """normalize() character by character, keeping positions (for snippets)."""
    if text.isascii():
        return text.lower()
    whole = normalize(text)
    if len(whole) == len(text):
        # The usual case (NFKC, the Chinese table and lower() all kept one character for
        # one): folding the whole text at once is about 20 times faster.
        return whole
    out = []
    for ch in text:
        folded = normalize(ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


def _match_spans(folded: str, query: str | None) -> list[tuple[int, int, int]]:
    """(start, end, term number) of each place in ``folded`` where a query term occurs."""
    lazy = _L()
    found, singles, _runs = _query_terms(query)
    spans: list[tuple[int, int, int]] = []
    latin: dict[str, int] = {}
    needles: list[str] = [] if found else list(singles)
    for surface, tokens in found:
        if _is_cjk(surface):  # a CJK piece
            # The piece where it occurs verbatim, else its bigrams.
            needles.extend([surface] if surface in folded else tokens)
        else:
            for tok in tokens:
                latin.setdefault(tok, len(latin))
    for number, needle in enumerate(dict.fromkeys(needles), start=len(latin)):
        at = folded.find(needle)
        while at >= 0:
            spans.append((at, at + len(needle), number))
            at = folded.find(needle, at + len(needle))
    if latin:
        for start, word in _latin_pieces(lazy, folded):
            number = latin.get(stem(word) if word.isalpha() else word)
            if number is not None:
                spans.append((start, start + len(word), number))
    spans.sort()
    return spans


def _latin_pieces(lazy: _Lazy, text: str) -> list[tuple[int, str]]:
    """(offset, word) of the Latin words and numbers of ``text``, outside CJK runs."""
    found: list[tuple[int, str]] = []
    pos = 0
    for i, part in enumerate(lazy.cjk_run.split(text)):
        if not i % 2:
            found.extend((pos + m.start(), m.group()) for m in lazy.piece.finditer(part))
        pos += len(part)
    return found


def snippet(
    text: str | None, query: str | None, width: int = 60, mark: tuple[str, str] = ("[", "]")
) -> str:
    """A piece of the original ``text`` of about ``width`` characters around the best
    match of ``query``, with each match wrapped in ``mark`` (``[`` ``]``; the CLI may
    colour them) and … where the text was cut. Whitespace runs become one space.

    FTS5's own snippet() would show index tokens (学员 员登 登录), hence this. The best
    window is the one that covers the most different query terms; the text before the
    first match is kept short so the match is near the start. Without any match, the
    start of the text.
    """
    flat = " ".join((text or "").split())
    spans = _match_spans(_fold_same_length(flat), query)
    start, end = 0, min(len(flat), width)
    if len(flat) > width and spans:
        best = (-1, 0, 0)
        for i, (s, _e, _n) in enumerate(spans):
            inside = [sp for sp in spans[i:] if sp[1] <= s + width]
            score = len({n for _s, _e2, n in inside})
            if score > best[0]:
                best = (score, s, max(e for _s, e, _n in inside))
        _score, first, last = best
        # Some context before the match: a quarter of what the matches leave over.
        start = max(0, min(first - (width - (last - first)) // 4, len(flat) - width))
        stop = max(flat.rfind(p, start, first) for p in "。！？；，.!?;,")
        if stop >= 0:
            # Start at a clause when one begins between the cut and the match.
            start = stop + 1 + (flat[stop + 1 : stop + 2] == " ")
        elif start and flat[start - 1].isalnum() and flat[start].isascii():
            # Do not cut an English word in two: start at its beginning.
            start = flat.rfind(" ", max(0, start - 15), start) + 1 or start
        end = min(len(flat), start + width)
        if end < len(flat) and flat[end - 1].isascii() and flat[end].isalnum():
            space = flat.rfind(" ", last, end)
            end = space if space > 0 else end
    out = ["…"] if start > 0 else []
    pos = start
    for s, e, _n in spans:
        s, e = max(s, pos), min(e, end)
        if s >= e:
            continue
        out += [flat[pos:s], mark[0], flat[s:e], mark[1]]
        pos = e
    out.append(flat[pos:end])
    if end < len(flat):
        out.append("…")
    return "".join(out)


# -- Porter2 ---------------------------------------------------------------------------
# The Snowball English stemmer (https://snowballstem.org/algorithms/english/stemmer.html),
# written out so that the search core needs nothing outside the standard library.

_PORTER_EXCEPTIONS = {
    "skis": "ski", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie",
    "idly": "idl", "gently": "gentl", "ugly": "ugli", "early": "earli", "only": "onli",
    "singly": "singl",
}  # fmt: skip
_PORTER_STOP_AFTER_1A = frozenset(
    "inning outing canning herring earring proceed exceed succeed".split()
)
_VOWELS = frozenset("aeiouy")
_DOUBLES = ("bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt")
_STEP1B = ("eedly", "ingly", "edly", "eed", "ing", "ed")
_STEP2 = (
    ("ization", "ize"), ("ational", "ate"), ("fulness", "ful"), ("ousness", "ous"),
    ("iveness", "ive"), ("tional", "tion"), ("biliti", "ble"), ("lessli", "less"),
    ("entli", "ent"), ("ation", "ate"), ("alism", "al"), ("aliti", "al"), ("ousli", "ous"),
    ("iviti", "ive"), ("fulli", "ful"), ("enci", "ence"), ("anci", "ance"),
    ("abli", "able"), ("izer", "ize"), ("ator", "ate"), ("alli", "al"), ("bli", "ble"),
    ("ogi", "og"), ("li", ""),
)  # fmt: skip
_STEP3 = (
    ("ational", "ate"), ("tional", "tion"), ("alize", "al"), ("icate", "ic"),
    ("iciti", "ic"), ("ative", ""), ("ical", "ic"), ("ness", ""), ("ful", ""),
)  # fmt: skip
_STEP4 = (
    "ement", "ance", "ence", "able", "ible", "ment", "ant", "ent", "ism", "ate", "iti",
    "ous", "ive", "ize", "ion", "al", "er", "ic",
)  # fmt: skip


def _region(w: str, start: int) -> int:
    """Start of the region after the first non-vowel that follows a vowel."""
    for i in range(start + 1, len(w)):
        if w[i] not in _VOWELS and w[i - 1] in _VOWELS:
            return i + 1
    return len(w)


def _short_syllable_at_end(w: str) -> bool:
    if len(w) == 2:
        return w[0] in _VOWELS and w[1] not in _VOWELS
    return (
        len(w) > 2
        and w[-3] not in _VOWELS
        and w[-2] in _VOWELS
        and w[-1] not in _VOWELS
        and w[-1] not in "wxY"
    )


def _porter2(w: str) -> str:
    """Porter2 on a lower-case ASCII word of 3+ letters (not an exception)."""
    if w in _PORTER_EXCEPTIONS:
        return _PORTER_EXCEPTIONS[w]
    # A y that acts as a consonant becomes Y, which is not a vowel.
    chars = list(w)
    for i, ch in enumerate(chars):
        if ch == "y" and (i == 0 or chars[i - 1] in _VOWELS):
            chars[i] = "Y"
    w = "".join(chars)
    for prefix in ("gener", "commun", "arsen"):
        if w.startswith(prefix):
            r1 = len(prefix)
            break
    else:
        r1 = _region(w, 0)
    r2 = _region(w, r1)

    # Step 1a: plurals.
    if w.endswith("sses"):
        w = w[:-2]
    elif w.endswith(("ied", "ies")):
        w = w[:-2] if len(w) > 4 else w[:-1]
    elif w.endswith(("us", "ss")):
        pass
    elif w.endswith("s") and any(c in _VOWELS for c in w[:-2]):
        w = w[:-1]
    if w in _PORTER_STOP_AFTER_1A:
        return w

    # Step 1b: -ed, -ing.
    for suffix in _STEP1B:
        if w.endswith(suffix):
            base = w[: -len(suffix)]
            if suffix.startswith("ee"):
                if len(base) >= r1:
                    w = base + "ee"
            elif any(c in _VOWELS for c in base):
                w = base
                if w.endswith(("at", "bl", "iz")):
                    w += "e"
                elif w.endswith(_DOUBLES):
                    w = w[:-1]
                elif r1 >= len(w) and _short_syllable_at_end(w):
                    w += "e"
            break

    # Step 1c: a final y after a consonant (not the first letter) becomes i.
    if len(w) > 2 and w[-1] in "yY" and w[-2] not in _VOWELS:
        w = w[:-1] + "i"

    # Steps 2 and 3: the longest matching suffix, replaced if it lies in R1.
    for table in (_STEP2, _STEP3):
        for suffix, repl in table:
            if w.endswith(suffix):
                at = len(w) - len(suffix)
                if at >= r1:
                    if suffix == "ogi" and w[at - 1 : at] != "l":
                        break
                    if suffix == "li" and w[at - 1 : at] not in tuple("cdeghkmnrt"):
                        break
                    if suffix == "ative" and at < r2:
                        break
                    w = w[:at] + repl
                break

    # Step 4: suffixes deleted when they lie in R2.
    for suffix in _STEP4:
        if w.endswith(suffix):
            at = len(w) - len(suffix)
            if at >= r2 and (suffix != "ion" or w[at - 1 : at] in ("s", "t")):
                w = w[:at]
            break

    # Step 5: a final e or double l.
    if w.endswith("e"):
        at = len(w) - 1
        if at >= r2 or (at >= r1 and not _short_syllable_at_end(w[:-1])):
            w = w[:-1]
    elif w.endswith("ll") and len(w) - 1 >= r2:
        w = w[:-1]
    return w.replace("Y", "y")
