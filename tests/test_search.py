"""Tests for deskcli.search.tokens and queries: the pure functions, and their use on FTS5."""

from __future__ import annotations

import importlib.util
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from deskcli.search import tokens as search
from deskcli.search.queries import common_terms, filter_query, rank_query, rank_terms, terms
from deskcli.search.snippets import snippet
from deskcli.search.tokens import (
    FAQ_COLUMNS,
    FAQ_WEIGHTS,
    FTS_TOKENIZE,
    index_text,
    normalize,
    stem,
)

ROOT = Path(__file__).resolve().parents[1]

# -- CJK runs ----------------------------------------------------------------------------


def cjk_corpus() -> list[str]:
    """Every assigned character up to the CJK extensions, alone and next to CJK, ASCII,
    accented letters and connectors, plus random mixes of the ranges around CJK."""
    import unicodedata

    texts = ["", "plain ascii", "App闪退 on login 3.2.1版本-2", "学员登录失败，重装后仍然如此。",
             "カタカナーとひらがなゝ、한국어 문장", "𠀀𪜀 豈", "café naïve 日本語テキスト"]
    for code in range(0x80, 0x32000, 7):  # a seventh of them: the suite stays quick
        char = chr(code)
        if unicodedata.category(char) not in ("Cn", "Cs"):
            texts += [char, f"中{char}文", f"a{char}b", f"{char}-1", f"é{char}登录"]
    rng = random.Random(7)
    spans = [(0x20, 0x7F), (0xA0, 0x3000), (0x3000, 0xA000), (0xAC00, 0xD7B0),
             (0xF900, 0xFB00), (0x20000, 0x31350)]
    while len(texts) < 60_000:
        text = "".join(chr(rng.randrange(*rng.choice(spans))) for _ in range(rng.randrange(12)))
        if all(unicodedata.category(c) not in ("Cn", "Cs") for c in text):
            texts.append(text)
    return texts


def test_cjk_split_is_the_character_class_split_both_ways():
    """One-off commands find CJK runs without compiling the 40,000-character class; bulk
    work compiles it. Both must split every text as the class itself does."""
    import re

    from deskcli.search.tables import _CJK

    oracle = re.compile(f"([{_CJK}]+)")
    scan, compiled = search._Lazy(), search._Lazy()
    compiled.for_bulk()
    assert scan.cjk_run is None and compiled.cjk_run is not None
    for text in cjk_corpus():
        expected = oracle.split(text)
        assert scan.cjk_split(text) == expected, repr(text)
        assert compiled.cjk_split(text) == expected, repr(text)
    assert scan.is_cjk("登录") and scan.is_cjk("カタカナ") and not scan.is_cjk("登录a")


# -- normalize ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＡＰＰ１７！", "app17!"),
        ("ｉＯＳ　１７", "ios 17"),  # ideographic space
        ("Ｌｏｇｉｎ：ＦＡＩＬＥＤ", "login:failed"),
        ("登錄失敗", "登录失败"),
        ("續費優惠", "续费优惠"),
        ("帳號被凍結", "账号被冻结"),
        ("課時不足無法約課", "课时不足无法约课"),
        ("學員實名問題頁碼網絡機費時間國際體", "学员实名问题页码网络机费时间国际体"),
        ("開關員號線讀計點應為麼說習師級報單類統", "开关员号线读计点应为么说习师级报单类统"),
        ("MiXeD Case", "mixed case"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_traditional_table_is_consistent():
    assert len(search._TRAD) == len(search._SIMP) > 500
    assert len(set(search._TRAD)) == len(search._TRAD), "a traditional character twice"
    for trad, simp in zip(search._TRAD, search._SIMP, strict=True):
        assert trad != simp
        # Every target is a GB2312 (simplified) character: catches reversed pairs.
        simp.encode("gb2312")


# -- stem --------------------------------------------------------------------------------

# Reference outputs of the Snowball English (Porter2) stemmer.
PORTER2 = {
    "caresses": "caress", "flies": "fli", "dies": "die", "mules": "mule", "denied": "deni",
    "died": "die", "agreed": "agre", "owned": "own", "humbled": "humbl", "sized": "size",
    "meeting": "meet", "stating": "state", "siezing": "siez", "itemization": "item",
    "sensational": "sensat", "traditional": "tradit", "reference": "refer",
    "colonizer": "colon", "plotted": "plot", "generously": "generous", "consign": "consign",
    "consigned": "consign", "consistently": "consist", "consolation": "consol",
    "consoling": "consol", "knees": "knee", "skies": "sky", "dying": "die", "news": "news",
    "happily": "happili", "beautiful": "beauti", "classes": "class", "policies": "polici",
    "policy": "polici", "cancellation": "cancel", "cancelled": "cancel",
    "refundable": "refund", "attendance": "attend", "invoices": "invoic",
    "rescheduling": "reschedul", "reschedule": "reschedul", "hopping": "hop",
    "hoping": "hope", "tied": "tie", "cries": "cri", "gas": "gas", "this": "this",
}  # fmt: skip


@pytest.mark.parametrize(("word", "expected"), sorted(PORTER2.items()))
def test_stem_matches_porter2(word, expected):
    assert stem(word) == expected


@pytest.mark.parametrize(
    "family",
    [
        ["login", "logins", "logging", "logged", "log", "Login"],
        ["crash", "crashes", "crashed", "crashing"],
        ["refund", "refunds", "refunded", "refunding"],
        ["book", "books", "booked", "booking"],
        ["child", "children", "kid", "kids"],
        ["complain", "complaint", "complaints", "complained"],
    ],
)
def test_stem_families_meet(family):
    assert len({stem(w) for w in family}) == 1, {w: stem(w) for w in family}


@pytest.mark.parametrize("word", ["ios", "sms", "a", "an", "13", "café", "iPadOS"])
def test_stem_leaves_alone(word):
    assert stem(word) == word.lower()


# -- index_text --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("学员登录", "学员 员登 登录 录"),
        ("课", "课"),
        ("APP 闪退 iOS 17", "app 闪退 退 ios 17"),
        ("ＡＰＰ闪退，iPhone13", "app 闪退 退 iphon 13"),
        ("The app crashed", "the app crash"),
        ("e-mail, wi-fi, v3.2.1", "email wifi v 3 2 1"),
        ("student's", "student"),
        ("登錄失敗", "登录 录失 失败 败"),
        ("🙂 !!! ...", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_index_text(text, expected):
    assert index_text(text) == expected


# -- a real FTS5 table ---------------------------------------------------------------------

DOCS = {
    1: ("学员登录失败怎么办？", "登录, 密码", "请在登录页点击忘记密码，通过短信验证码重置。"),
    # 登录, 录失 and 失败 all occur in 2, but never 登录失败 in a row.
    2: ("登录后提示网络错误", "网络", "系统会记录失败原因，切换网络后重试。"),
    3: ("续费有优惠吗？", "续费", "到期前30天续费赠送课时。"),
    4: ("iPhone升级到iOS 17后APP闪退", "闪退, iOS 17", "请更新App到3.9以上版本。"),
    5: ("华为手机打开App就闪退", "闪退, 华为", "清除缓存后重试。"),
    6: ("The app crashes on my Android phone", "crash", "Clear the app cache."),
    7: ("How do I log in as a parent?", "login", "Sign in with the SMS code."),
    8: ("I forgot my password", "password", "Reset a student's password on the login page."),
    9: ("上课时间", "课表", "周末上课需要提前预约。"),
    10: ("如何申请退款", "退款", "提交退款申请后3-5个工作日到账。"),
}


@pytest.fixture
def db():
    conn = sqlite3.connect(":memory:")
    conn.execute(
        f"CREATE VIRTUAL TABLE t USING fts5({', '.join(FAQ_COLUMNS)}, tokenize = '{FTS_TOKENIZE}')"
    )
    for rowid, cols in DOCS.items():
        conn.execute(
            "INSERT INTO t (rowid, question, keywords, answer) VALUES (?, ?, ?, ?)",
            (rowid, *map(index_text, cols)),
        )
    yield conn
    conn.close()


def filtered(db, text):
    match = filter_query(text)
    assert match is not None, text
    return {r for (r,) in db.execute("SELECT rowid FROM t WHERE t MATCH ?", (match,))}


def ranked(db, text):
    match = rank_query(text)
    assert match is not None, text
    sql = f"SELECT rowid FROM t WHERE t MATCH ? ORDER BY bm25(t, {', '.join('?' * 3)})"
    return [r for (r,) in db.execute(sql, (match, *FAQ_WEIGHTS))]


def test_two_character_query_finds_word_inside_a_run(db):
    assert filtered(db, "登录") == {1, 2}
    assert filtered(db, "续费") == {3}
    assert set(ranked(db, "退款")) == {10}


def test_four_character_phrase_must_be_contiguous(db):
    # Doc 2 has every bigram of 登录失败, but not in a row.
    assert filtered(db, "登录失败") == {1}
    assert filtered(db, "记录失败") == {2}


def test_single_character_query_finds_it_at_any_position(db):
    assert filtered(db, "课") == {3, 9}  # 课时 (start of a run), 上课 (end of a bigram)
    assert rank_query("课") == '"课"*'


def test_sentences_rank_the_answer_first(db):
    assert ranked(db, "学员登录不了怎么办")[0] == 1
    assert ranked(db, "续费有没有优惠")[0] == 3
    assert ranked(db, "how do I reset a student's password")[0] == 8
    assert ranked(db, "APP 闪退 iOS 17")[0] == 4


def test_full_width_and_traditional_input(db):
    assert filtered(db, "ＡＰＰ闪退") == {4, 5}
    assert filtered(db, "ｉＯＳ　１７") == {4}
    assert filtered(db, "登錄失敗") == {1}
    assert ranked(db, "續費優惠")[0] == 3


def test_english_stemming(db):
    assert filtered(db, "crashed") == {6}
    assert filtered(db, "crashing") == {6}
    assert filtered(db, "logging") == {7, 8}  # log in, login page
    assert filtered(db, "passwords") == {8}


def test_mixed_text(db):
    assert filtered(db, "iOS 17 闪退") == {4}
    assert filtered(db, "App 闪退") == {4, 5}
    assert filtered(db, "iPhone 闪退") == {4}


def test_synonyms_widen_ranked_search(db):
    assert "登录" in rank_query("登陆不了")
    assert ranked(db, "想退钱")[0] == 10
    assert filter_query("登陆") == '"登陆"'  # a filter takes the user's word as given


NASTY = [
    '"',
    '""',
    '"""',
    "'",
    "(",
    ")",
    "()",
    "(((",
    "*",
    "**",
    "-",
    "--",
    "+",
    "^",
    ":",
    "title:",
    "question:",
    "answer : x",
    "{question}: 登录",
    "NEAR",
    "NEAR(a b, 2)",
    "AND",
    "OR",
    "NOT",
    "a AND",
    "AND OR NOT",
    "登录 AND",
    "x OR (y",
    '"登录',
    '登录"',
    "\\",
    '\\"',
    "col:*",
    "a*b",
    "^登录",
    "- 登录",
    "-登录",
    "登录*",
    "*登录",
    "🙂",
    "👨‍👩‍👧",
    "登录🙂失败",
    "\x00",
    "\x00登录",
    "\n\t\r",
    "e\u0301",
    "\u200b",
    "\ufeff登录",
    "𠀀𠀁",
    "ｔｉｔｌｅ：",
    "「登录」",
    "【退款】",
    "'; DROP TABLE t; --",
    "%",
    "_",
    "a_b",
    "café",
    "ǅ",
    "ß",
    "İ",
    "١٢٣",
    "ｱｲｳ",
    "한국어",
    "日本語テキスト",
    "x" * 300,
    "登" * 300,
    "₂",
    "²",
    "Ⅻ",
    "〇",
]


def _random_strings(count, seed=20240601):
    rnd = random.Random(seed)
    alphabet = list('"\'()*-+^:{}[]\\/,.;!? \t\nANDORNEAR') + list("登录续费课") + [
        "\u0301", "\u200d", "\U0001f642", "\U00020000", "\uff21", "\u3000", "\x00", "é", "_",
    ]  # fmt: skip
    for _ in range(count):
        yield "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 12)))
    for _ in range(count):  # arbitrary code points, including unassigned ones
        yield "".join(chr(rnd.randint(1, 0x3FFFF)) for _ in range(rnd.randint(1, 6)))


@pytest.mark.parametrize("text", NASTY)
def test_hostile_input_never_breaks_fts5_syntax(db, text):
    for build in (filter_query, rank_query):
        match = build(text)
        if match is not None:
            rows = db.execute("SELECT rowid FROM t WHERE t MATCH ?", (match,)).fetchall()
            assert all(isinstance(row[0], int) for row in rows)


def test_random_input_never_breaks_fts5_syntax(db):
    for text in _random_strings(1500):
        for build in (filter_query, rank_query):
            match = build(text)
            if match is not None:
                try:
                    rows = db.execute("SELECT rowid FROM t WHERE t MATCH ?",
                                      (match,)).fetchall()
                except sqlite3.OperationalError as exc:  # pragma: no cover - the failure
                    pytest.fail(f"{text!r} → {match!r}: {exc}")
                assert all(isinstance(row[0], int) for row in rows)


@pytest.mark.parametrize("text", [None, "", "   ", "!!!", "？？", "🙂🙂", "\x00", "「」"])
def test_nothing_searchable_gives_none(text):
    assert filter_query(text) is None
    assert rank_query(text) is None
    assert rank_terms(text) == []


def test_user_words_are_quoted_not_operators():
    assert filter_query('title: "AND" NEAR(*)') == '"titl" AND "and" AND "near"'


# -- rank_query details ------------------------------------------------------------------


def test_stop_words_are_dropped_from_ranked_queries():
    assert rank_terms("学员登录不了怎么办") == ['"学员"', '"员登"', '("登录" OR "登陆")']
    assert rank_terms("how do I reset a student's password") == [
        '"reset"',
        '"student"',
        '"password"',
    ]


def test_a_query_of_only_stop_words_still_searches():
    assert rank_query("how to") == '"how" OR "to"'
    assert rank_query("怎么办") is not None


def test_protected_words_survive_stop_characters():
    assert '"在线"' in rank_terms("在线支付")  # 在 is a stop character, 在线 is a word
    assert '"有效"' in rank_terms("有效期")


def test_lone_characters_are_a_last_resort():
    assert '"卡顿"' in rank_terms("直播课很卡")  # 卡 → its synonym
    assert all("*" not in t for t in rank_terms("我的课没了 登录"))
    assert rank_terms("我的课") == ['"课"*']


def test_rank_query_skips_given_phrases():
    assert rank_query("登录 续费", skip={'("登录" OR "登陆")'}) == '"续费"'
    assert rank_query("登录", skip={'("登录" OR "登陆")'}) is None


def test_synonyms_are_grouped_with_the_word():
    assert rank_terms("想退钱") == ['("退钱" OR "退款" OR "退费")']
    assert rank_terms("忘了密码") == ['"密码"', '("忘了" OR "忘记" OR "想不 不起")']
    assert rank_terms("video buffering")[1] == '("buffer" OR "lag" OR "freez" OR "stutter")'
    assert rank_terms("卡顿") == ['"卡顿"']  # 卡 only stands in for a lone character


def test_common_terms_keeps_the_rarest_within_budget():
    counts = {'"a"': 10, '"b"': 500, '"c"': 1500, '"d"': 2001, '"e"': 0}
    assert common_terms(counts, budget=2000) == {'"c"', '"d"'}
    assert common_terms({'"a"': 5000, '"b"': 3000}, budget=2000) == {'"a"'}
    assert common_terms({'"a"': 0, '"b"': 9000}, budget=2000) == set()
    assert common_terms({}, budget=2000) == set()


# -- snippet -----------------------------------------------------------------------------

LONG = (
    "学员在手机上登录的时候提示密码错误，请先确认账号是否正确。如果仍然登录失败，"
    "请联系校区老师重置密码。这一段文字很长，用来测试截断时会不会在两头加上省略号。"
)


def test_snippet_marks_the_best_match_in_the_original_text():
    out = snippet(LONG, "登录失败", width=30)
    assert "[登录失败]" in out
    assert out.startswith("…") and out.endswith("…")
    assert len(out.replace("[", "").replace("]", "").strip("…")) <= 30


def test_snippet_keeps_original_characters():
    text = "請在登錄頁點擊忘記密碼。ＡＰＰ閃退時請更新。"
    assert snippet(text, "登录") == "請在[登錄]頁點擊忘記密碼。ＡＰＰ閃退時請更新。"
    assert "[ＡＰＰ]" in snippet(text, "app 闪退")
    assert "[閃退]" in snippet(text, "app 闪退")


def test_snippet_english_stems_and_word_boundaries():
    text = (
        "Please note that, before anything else, if the app crashes on your iPhone 13 "
        "after the update to iOS 17, reinstall it from the App Store."
    )
    out = snippet(text, "crash ios 17", width=60)
    assert "[crashes]" in out and "[iOS] [17]" in out
    assert out.startswith("…") and not out[1].isspace()
    words = out.strip("…").split()
    assert all(w.strip("[],.") in text for w in words)  # no word cut in two


def test_snippet_without_match_or_text():
    assert snippet("短文本", "退款") == "短文本"
    assert snippet("x" * 100, "退款", width=10) == "x" * 10 + "…"
    assert snippet(None, "退款") == ""
    assert snippet("a\n\n  b", None) == "a b"
    assert snippet("续费  有优惠", "续费", mark=("<", ">")) == "<续费> 有优惠"


# -- terms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("学员登录不了怎么办", ["学员", "登录"]),
        ("阶段测试成绩在哪里查", ["阶段测试", "成绩"]),
        ("续费有没有优惠？续费", ["续费", "优惠"]),
        ("How do I reset a student's password?", ["reset", "student", "password"]),
        ("APP 闪退 iOS 17", ["app", "闪退", "ios"]),
        ("開業典禮的物料清單", ["开业典礼", "物料清单"]),
        ("", []),
        (None, []),
    ],
)
def test_terms(text, expected):
    assert terms(text) == expected


# -- cost and the labelled set ---------------------------------------------------------------


def test_import_is_cheap():
    """Importing the module must not pull in re, typing or unicodedata (milliseconds)."""
    code = (
        "import sys, deskcli; before = set(sys.modules); import deskcli.search.tokens; "
        "print(' '.join(sorted(set(sys.modules) - before)))"
    )
    # -S: no site hooks (an editable install's .pth files import operator, collections and
    # more), so a module the search core forgets to import lazily shows here as on a fresh venv
    out = subprocess.run(
        [sys.executable, "-S", "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    # only our own modules (the search core and its plain tables), nothing of the stdlib
    assert "deskcli.search.tokens" in out
    assert set(out) <= {"deskcli.search", "deskcli.search.tokens", "deskcli.search.tables"}


def test_labelled_faq_set_reaches_hit_at_3():
    spec = importlib.util.spec_from_file_location(
        "faq_relevance", ROOT / "bench" / "faq" / "relevance.py"
    )
    relevance = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(relevance)
    entries = relevance.load_jsonl(ROOT / "bench" / "faq" / "faq.jsonl")
    queries = relevance.load_jsonl(ROOT / "bench" / "faq" / "queries.jsonl")
    assert len(entries) >= 220 and len(queries) >= 60
    conn = relevance.build(entries)
    try:
        result = relevance.evaluate(conn, queries)
    finally:
        conn.close()
    assert result["hit@3"] >= 0.9, result["failures"]


def test_characters_as_prefix_queries_on_request(db):
    assert all("*" not in t for t in rank_terms("密码锁了"))
    assert '"锁"*' in rank_terms("密码锁了", chars=True)
    db.execute(
        "INSERT INTO t (rowid, question, keywords, answer) VALUES (99, ?, '', '')",
        (index_text("输错五次账号会被锁定"),),
    )
    plain = rank_query("锁了怎么办")  # 锁 alone: the last-resort prefix query
    assert plain == '"锁"*'
    match = rank_query("账号锁了", chars=True)
    hits = [r for (r,) in db.execute("SELECT rowid FROM t WHERE t MATCH ?", (match,))]
    assert 99 in hits
    match = rank_query("账号锁了")
    hits = [r for (r,) in db.execute("SELECT rowid FROM t WHERE t MATCH ?", (match,))]
    assert 99 in hits  # through 账号; only the bigram 号锁 is lost
