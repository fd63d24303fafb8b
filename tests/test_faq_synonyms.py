"""Finding the answer however it is asked (issue 14): synonyms the desk keeps (`faq
synonym`), the shipped glossary, cross-language matches, filler in long questions,
learning from the tickets an entry solved, and `--explain`. Driven through the CLI."""

import json

import pytest

from deskcli.faq import synonyms
from tests.conftest import db_count, ok, run
from tests.test_faq import faq_desk, keys, open_ticket, solve  # noqa: F401  (a fixture)


@pytest.fixture
def faq(faq_desk):  # noqa: F811  (the fixture imported above)
    """tests.test_faq's desk: seeded, a `help` type, six entries."""
    return faq_desk


def search_json(text: str, *more: str) -> list[dict]:
    return ok("faq", "search", text, "--json", *more).json


# --- keeping synonyms -----------------------------------------------------------------------

def test_a_synonym_applies_at_once_and_is_removed_at_once(faq):
    assert "refund-time" not in keys("返现")
    group = ok("faq synonym add 返现 退款 --json").json
    assert group["words"] == ["返现", "退款"] and group["two_way"] and group["source"] == "desk"
    assert keys("返现")[0] == "refund-time"  # no re-index in between
    listed = ok("faq synonym list --word 返现 --json").json
    assert [g["id"] for g in listed] == [group["id"]]
    assert ok(f"faq synonym remove {group['id']}").out.split() == [str(group["id"])]
    assert "refund-time" not in keys("返现")
    assert run("faq synonym remove 99999").code == 3


def test_a_one_way_group_finds_its_targets_only(faq):
    ok("faq synonym add 余额不足 --to 续费")
    first = open_ticket("余额不足了")
    second = open_ticket("续费问题")
    found = {t["id"] for t in ok("ticket list --search 余额不足 --json").json}
    assert found == {first, second}
    assert {t["id"] for t in ok("ticket list --search 续费 --json").json} == {second}
    assert "renew-offer" in keys("余额不足")[:2]


def test_ticket_list_search_still_requires_every_word(faq):
    # the glossary has 登陆 = 登录: a word may be any word of its group, the others stay
    login = open_ticket("登录失败")
    open_ticket("登录成功后闪退")
    assert [t["id"] for t in ok("ticket list --search 登陆失败 --json").json] == [login]


def test_words_are_checked(faq):
    bad = run("faq synonym add 卡 卡顿")
    assert bad.code == 2 and "single character" in bad.err
    assert run("faq synonym add 只有一个词").code == 2
    assert run("faq synonym add 退款 退费", as_user="viv").code == 4
    assert ok("faq synonym list --json", as_user="viv").json  # viewers may read them


def test_export_and_import_round_trip(faq, tmp_path):
    ok("faq synonym add 回款 退款")
    ok("faq synonym add 掉课 --to 请假 --to leave")
    path = tmp_path / "synonyms.txt"
    ok("faq", "synonym", "export", "-o", str(path), "--source", "desk")
    text = path.read_text(encoding="utf-8")
    assert text == "回款, 退款\n掉课 => 请假, leave\n"
    ok("faq synonym remove --source desk")
    assert ok("faq synonym list --source desk --json").json == []
    counts = ok("faq", "synonym", "import", str(path), "--json").json
    assert (counts["added"], counts["skipped"]) == (2, 0)
    again = ok("faq", "synonym", "import", str(path), "--json").json
    assert (again["added"], again["skipped"]) == (0, 2)  # idempotent
    lines = [g["line"] for g in ok("faq synonym list --source desk --json").json]
    assert lines == ["回款, 退款", "掉课 => 请假, leave"]


def test_a_bad_file_imports_nothing(faq, tmp_path):
    before = db_count(faq, "faq_synonyms")
    path = tmp_path / "bad.txt"
    path.write_text("# comment\n回款, 退款\n只有一个词\n", encoding="utf-8")
    bad = run("faq", "synonym", "import", str(path))
    assert bad.code == 2 and "line 3" in bad.err
    path.write_text("回款, 退款\n卡, 卡顿\n", encoding="utf-8")
    assert run("faq", "synonym", "import", str(path)).code == 2
    assert db_count(faq, "faq_synonyms") == before


def test_init_loads_the_glossary_and_a_command_loads_it_again(faq):
    shipped = ok("faq synonym list --source glossary --json").json
    assert len(shipped) > 100
    assert any("登陆" in g["words"] and "log in" in g["words"] for g in shipped)
    removed = ok("faq synonym remove --source glossary --json").json
    assert len(removed) == len(shipped)
    assert "reset-password" not in keys("忘记密码")
    loaded = ok("faq synonym glossary --json").json
    assert loaded["added"] == len(shipped) and loaded["skipped"] == 0
    assert ok("faq synonym glossary --json").json["added"] == 0  # groups there are skipped
    assert "reset-password" in keys("忘记密码")


# --- what search does with them -------------------------------------------------------------

def test_cross_language_through_the_glossary(faq):
    assert keys("忘记密码了")[0] == "reset-password"  # a Chinese question, an English entry
    assert keys("refund")[0] == "refund-time"  # an English word, a Chinese entry
    assert keys("app 崩溃")[0] == "ios-crash"


def test_entries_in_the_words_of_the_question_come_first(faq):
    ok("faq", "add", "--category", "退款", "--question", "How long does a refund take?",
       "--answer", "3 to 7 working days after approval.", "--key", "refund-en")
    assert keys("refund")[:2] == ["refund-en", "refund-time"]
    assert keys("退款")[:2] == ["refund-time", "refund-en"]


def test_greetings_and_filler_do_not_drown_the_question(faq):
    text = "你好，请问一下，麻烦问下退款多久能到账啊，谢谢老师"
    assert keys(text)[0] == "refund-time"
    english = "hi there, sorry to bother you again, my kid forgot his password, thanks so much"
    assert keys(english)[0] == "reset-password"
    assert run("faq", "search", "谢谢").code == 0  # only filler: searched as typed


def test_strip_filler_keeps_the_content_words():
    assert synonyms.strip_filler("老师您好，请问一下孩子请假怎么办，谢谢").split() \
        == [",", "孩子请假怎么办,"]
    assert synonyms.strip_filler("Hi, my kid can't log in again, thanks").split() \
        == [",", "can't", "log", "in", ","]
    assert synonyms.strip_filler("谢谢") == "谢谢"


def test_forms_and_phrases_follow_the_index():
    assert synonyms.form("Signed-In") == "sign in"
    assert synonyms.form("登錄 失敗") == "登录失败"
    assert synonyms.phrase("登录失败") == '"登录 录失 失败"'
    assert synonyms.phrase("log in") == '"log in"'
    assert synonyms.phrase("卡") is None
    assert synonyms.parse_line("a, b => c # note") == (["a", "b"], ["c"])
    assert synonyms.parse_line("  # only a comment") is None
    with pytest.raises(ValueError):
        synonyms.parse_line("a =>")


def test_explain_says_why(faq):
    hit = search_json("登陆转圈", "--explain")[0]
    assert hit["key"] == "login-spin"
    assert "转圈" in hit["why"]["matched"]
    assert {"asked": "登陆", "found": "登录"} in hit["why"]["synonyms"]
    people = ok("faq search 登陆转圈 --explain --limit 1").out
    assert "why: matched 转圈" in people and "登陆 → 登录" in people
    recommended = ok("faq", "recommend", "--text", "refund", "--explain", "--json").json
    first = recommended["faq"][0]
    assert first["key"] == "refund-time" and first["why"]["synonyms"]


def test_search_learns_the_words_of_solved_tickets(faq):
    question = "猫咬断电线"
    assert "login-spin" not in keys(question)
    for title in ("电线被猫咬断，上不了网", "猫把电线咬断了"):
        solve(open_ticket(title), "换了电线", faq="login-spin")
    assert db_count(faq, "faq_learned") == 2
    hit = search_json(question, "--explain")[0]
    assert hit["key"] == "login-spin"
    assert hit["why"]["learned_rank"] == 1 and "电线" in hit["why"]["learned"]
    assert "learned from solved tickets: " in ok("faq", "search", question, "--explain").out
    recommended = ok("faq", "recommend", "--text", question, "--json").json["faq"]
    assert recommended[0]["key"] == "login-spin"
    assert any(r.startswith("words of tickets it solved") for r in recommended[0]["reasons"])
    ok("faq remove login-spin")  # what was learned for an entry goes with it
    assert db_count(faq, "faq_learned") == 0
    assert db_count(faq, "faq_learned_fts") == 0


def test_ticket_open_suggestions_use_synonyms(faq):
    opened = ok("ticket open --type help --title 'refund please' -m 'when?' --json").json
    assert opened["suggestions"]["faq"][0]["key"] == "refund-time"


def test_machine_output_has_why_only_when_asked(faq):
    assert "why" not in search_json("登录")[0]
    rows = ok("faq search 登录 --explain --format jsonl").out.splitlines()
    assert "matched" in json.loads(rows[0])["why"]


@pytest.mark.sqlite_only(reason="m016 runs only on SQLite desks: a PostgreSQL desk starts "
                        "from the baseline schema, which already has faq_learned, so there is "
                        "no PostgreSQL desk from before it to upgrade")
def test_upgrading_a_desk_learns_from_the_answers_it_already_recorded(isolated, monkeypatch):
    from deskcli.faq import words as faq_words
    from deskcli.store import migrations

    real, learn = list(migrations.MIGRATIONS), faq_words.learn
    before = [m.__name__ for m in real].index("m016_faq_synonyms")
    monkeypatch.setattr(migrations, "MIGRATIONS", real[:before])
    monkeypatch.setattr(faq_words, "learn", lambda db, faq_id, ticket_id: None)  # old code
    ok("init --admin alice", as_user=None)
    ok("type add help --name Help --route user:alice")
    ok("faq", "add", "--category", "网络", "--question", "网络不好怎么办",
       "--answer", "请重启路由器。", "--key", "net")
    ticket = ok("ticket open --type help --title 猫咬断电线 -m 断网了 --no-suggest").out.strip()
    ok(f"ticket accept {ticket}")
    ok(f"ticket reply {ticket} --faq net")
    monkeypatch.setattr(migrations, "MIGRATIONS", real)
    monkeypatch.setattr(faq_words, "learn", learn)
    assert "m016_faq_synonyms" in ok("db migrate").err
    assert db_count(isolated / "desk.db", "faq_learned") == 1
    assert keys("猫咬断电线")[0] == "net"
    assert ok("faq synonym list --json").json == []  # an upgraded desk opts in:
    assert ok("faq synonym glossary --json").json["added"] > 100
