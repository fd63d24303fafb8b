"""The FAQ (SPEC §7, issue 5), driven through the CLI like a user: categories, entries,
search in Chinese and English, keyword completion, import/export, the suggestions of
`ticket open`, `ticket related`, `ticket reply --faq`, recommendations that learn from it,
and the gaps report. Every test uses its own desk file (conftest.isolated)."""

import json
from pathlib import Path

import pytest

from tests.conftest import db_count, execute, is_pg, ok, query, run, second_desk, seed_desk

ROOT = Path(__file__).resolve().parents[1]

ENTRIES = [
    {"key": "login-spin", "category": "账号与登录", "question": "学员登录不上App，一直转圈",
     "answer": "一直转圈通常是网络问题：请切换Wi-Fi和4G再试，并把App更新到最新版本。",
     "keywords": ["登录", "登录失败", "转圈"]},
    {"key": "login-wechat", "category": "账号与登录/微信登录",
     "question": "家长如何用微信一键登录？",
     "answer": "在登录页点击微信图标，授权后即可登录；手机号不一致时请先用验证码登录再绑定微信。",
     "keywords": ["微信登录", "登录", "绑定微信"]},
    {"key": "renew-offer", "category": "续费", "question": "老学员续费有什么优惠？",
     "answer": "老学员在课时到期前30天内续费，可享受九折优惠。",
     "keywords": ["续费", "优惠"]},
    {"key": "refund-time", "category": "退款", "question": "退款多久到账？",
     "answer": "退款审批通过后，原路退回，一般3到7个工作日到账。",
     "keywords": ["退款", "到账"]},
    {"key": "ios-crash", "category": "App", "question": "App crashes on iOS 17 after the update",
     "answer": "Update the app to version 3.9 or later; the crashing stops after the update.",
     "keywords": ["crash", "iOS 17", "闪退"], "types": ["crash"]},
    {"key": "reset-password", "category": "App",
     "question": "How do I reset a student's password?",
     "answer": "Open the login page, tap 'Forgot password' and follow the SMS code.",
     "keywords": ["password", "reset"]},
]


@pytest.fixture
def faq_desk(desk, tmp_path):
    """The seeded desk, a `help` type routed to bob, and the six entries above."""
    ok("type add help --name Help --route user:bob")
    path = tmp_path / "faq.jsonl"
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in ENTRIES),
                    encoding="utf-8")
    out = ok("faq", "import", str(path), "--json").json
    assert out["added"] == len(ENTRIES)
    return desk


def keys(*args, **kwargs) -> list[str]:
    return [hit["key"] for hit in ok("faq", "search", *args, "--json", **kwargs).json]


def open_ticket(title: str, body: str = "", customer: str | None = None, **kwargs) -> int:
    args = ["ticket", "open", "--type", "help", "--title", title, "-m", body, "--no-suggest"]
    if customer:
        args += ["--customer", customer]
    return int(ok(*args, **kwargs).out)


def solve(ticket_id: int, resolution: str, faq: str | None = None, **kwargs) -> None:
    ok("ticket", "accept", str(ticket_id), as_user="bob", **kwargs)
    if faq:
        ok("ticket", "reply", str(ticket_id), "--faq", faq, as_user="bob", **kwargs)
    ok("ticket", "resolve", str(ticket_id), "-m", resolution, as_user="bob", **kwargs)


# --- categories and entries -------------------------------------------------------------------

def test_categories_nest_and_count_their_entries(faq_desk):
    ok("faq category add 支付/微信支付")
    ok("faq category add 支付宝 --parent 支付")
    listing = {c["path"]: c for c in ok("faq category list --json").json}
    assert {"支付", "支付/微信支付", "支付/支付宝"} <= set(listing)
    assert listing["支付/支付宝"]["parent"] == "支付"
    # 账号与登录 holds one entry itself and one in its subcategory 微信登录
    assert (listing["账号与登录"]["own_entries"], listing["账号与登录"]["entries"]) == (1, 2)
    again = run("faq category add 支付")
    assert again.code == 5 and "already exists" in again.err


def categories() -> dict:
    return {c["path"]: c for c in ok("faq category list --json").json}


def test_a_category_is_renamed_or_moved_with_its_subcategories_and_entries(faq_desk):
    before = categories()
    assert (before["账号与登录"]["entries"], before["账号与登录/微信登录"]["own_entries"]) == (2, 1)
    entry = ok("faq list --category 账号与登录/微信登录 --json").json[0]["key"]
    assert ok("faq category rename 账号与登录 登录").out.strip() == "登录"
    after = categories()
    assert "账号与登录" not in after and "账号与登录/微信登录" not in after
    assert (after["登录"]["entries"], after["登录/微信登录"]["parent"]) == (2, "登录")
    assert ok(f"faq show {entry} --json").json["category"] == "登录/微信登录"
    # a path moves it, creating missing parents; a unique own name finds it
    moved = ok("faq category rename 微信登录 第三方登录/微信 --json").json
    assert (moved["path"], moved["parent"], moved["entries"]) == \
        ("第三方登录/微信", "第三方登录", 1)
    assert ok(f"faq show {entry} --json").json["category"] == "第三方登录/微信"
    assert categories()["登录"]["entries"] == 1


def test_category_rename_refusals_change_nothing(faq_desk):
    ok("faq category add 售后")
    before = categories()
    taken = run("faq category rename 账号与登录 售后")
    assert taken.code == 5 and "already exists" in taken.err and "remove" in taken.err
    inside = run("faq category rename 账号与登录 账号与登录/微信登录/子")
    assert inside.code == 2 and "its own subcategory" in inside.err
    assert run("faq category rename 没有这个 新名").code == 3
    assert run("faq category rename 售后 新名", as_user="bob").code == 4
    assert categories() == before


def test_a_category_is_removed_once_empty_or_merged_with_to(faq_desk):
    ok("faq category add 空的")
    assert ok("faq category remove 空的").out.strip() == "空的"
    assert "空的" not in categories()
    with_subs = run("faq category remove 账号与登录")
    assert with_subs.code == 5 and "账号与登录/微信登录" in with_subs.err
    entry = ok("faq list --category 账号与登录/微信登录 --json").json[0]["key"]
    holding = run("faq category remove 账号与登录/微信登录")
    assert holding.code == 5 and "--to" in holding.err
    ok("faq category add 售后")
    merged = ok("faq category remove 账号与登录/微信登录 --to 售后 --json").json
    assert merged == {"path": "账号与登录/微信登录", "removed": True, "moved_entries": 1,
                      "moved_to": "售后"}
    assert ok(f"faq show {entry} --json").json["category"] == "售后"
    assert "账号与登录/微信登录" not in categories()
    assert run("faq category remove 售后 --to 售后").code == 2


def test_add_show_update_remove(faq_desk):
    added = ok("faq add --key bring-id --category 考勤 --question 上课要带学员证吗？ "
               "--answer 需要，签到时出示学员证。 --keywords 学员证,签到 --type crash --json").json
    assert (added["key"], added["category"], added["keywords"], added["types"]) == \
        ("bring-id", "考勤", ["学员证", "签到"], ["crash"])
    assert ok("faq category list --json").json  # 考勤 was created on the way
    assert "考勤" in {c["path"] for c in ok("faq category list --json").json}
    shown = ok("faq show bring-id").out
    assert "上课要带学员证吗？" in shown and "需要，签到时出示学员证。" in shown
    ok("faq update bring-id --question 上课需要带学员卡吗？ --keywords 学员卡 --clear-types")
    entry = ok("faq show bring-id --json").json
    assert (entry["question"], entry["keywords"], entry["types"]) == \
        ("上课需要带学员卡吗？", ["学员卡"], [])
    assert ok("faq remove bring-id").out.strip() == "bring-id"
    assert run("faq show bring-id").code == 3


def test_add_refuses_bad_input_and_writes_nothing(faq_desk):
    before = db_count(faq_desk, "faq")
    assert run("faq add --question 问题 --answer 答案 --type no-such-type").code == 3
    assert run("faq add --question 问题").code == 2  # no answer, and no terminal for $EDITOR
    assert run("faq add --key login-spin --question 问题 --answer 答案").code == 5
    assert run("faq add --key 'bad key' --question 问题 --answer 答案").code == 2
    assert db_count(faq_desk, "faq") == before


def test_answer_from_a_file_or_stdin(faq_desk, tmp_path):
    answer = tmp_path / "a.md"
    answer.write_text("第一步：打开App。\n第二步：点“我的”。\n", encoding="utf-8")
    ok(f"faq add --key from-file --question 怎么查看课表？ --answer-file {answer}")
    ok("faq add --key from-stdin --question 怎么请假？ --answer -", input="在App里点请假。")
    assert ok("faq show from-file --json").json["answer"] == "第一步：打开App。\n第二步：点“我的”。"
    assert ok("faq show from-stdin --json").json["answer"] == "在App里点请假。"


def test_who_may_read_and_change_the_faq(faq_desk):
    assert run("faq add --question 问题 --answer 答案", as_user="viv").code == 4
    assert run("faq remove login-spin", as_user="bob").code == 4
    assert keys("登录", as_user="viv")[0] in ("login-spin", "login-wechat")
    ok("access add crm --name CRM --types help")
    assert run("faq search 登录", as_user="crm").code == 4


# --- search ----------------------------------------------------------------------------------

def test_two_character_chinese_words_and_sentences(faq_desk):
    assert set(keys("登录")[:2]) == {"login-spin", "login-wechat"}
    assert keys("续费")[0] == "renew-offer"
    assert keys("退款")[0] == "refund-time"
    assert keys("学员登录不了怎么办")[0] == "login-spin"
    assert keys("微信怎么登录")[0] == "login-wechat"


def test_english_stemming_and_mixed_text(faq_desk):
    assert keys("crashing")[0] == "ios-crash"  # crash / crashes / crashing meet
    assert keys("how do I reset passwords")[0] == "reset-password"
    assert keys("APP 闪退 iOS 17")[0] == "ios-crash"


def test_full_width_and_traditional_characters_fold(faq_desk):
    assert keys("登錄")[0] in ("login-spin", "login-wechat")  # 錄 → 录
    assert keys("續費優惠")[0] == "renew-offer"
    assert keys("ｉＯＳ　１７")[0] == "ios-crash"  # full-width letters, ideographic space


def test_search_shows_highlighted_snippets(faq_desk):
    hit = ok("faq search 退款 --json").json[0]
    assert "[退款]" in hit["snippet"] and hit["question_marked"] == "[退款]多久到账？"
    human = ok("faq search 退款").out
    assert human.startswith(" 1. refund-time") and "[退款]" in human


def test_search_by_category_and_limits(faq_desk):
    assert keys("登录", "--category", "账号与登录/微信登录") == ["login-wechat"]
    assert keys("登录", "--category", "微信登录") == ["login-wechat"]  # a unique name
    assert len(keys("登录", "--limit", "1")) == 1
    assert run("faq search 登录 --category 没有这个").code == 3
    assert run("faq search '？！'").code == 2  # nothing to search for


def test_the_index_follows_every_change(faq_desk):
    ok("faq update refund-time --question 退费需要多久？ --keywords 退费 --answer 一般三个工作日。")
    assert "refund-time" in keys("退费")
    assert "refund-time" in keys("工作日")
    assert "refund-time" not in keys("到账")  # in the old answer and keywords only
    ok("faq remove refund-time")
    assert "refund-time" not in keys("退费") + keys("工作日")
    ok("faq add --key refund-back --question 退款多久到账？ --answer 3到7个工作日。")
    assert keys("退款")[0] == "refund-back"


def test_a_different_index_version_is_rebuilt(faq_desk):
    execute(faq_desk, "UPDATE search_index SET version = 0 WHERE name = 'faq_fts'")
    # as if tokens changed: the index emptied (FTS5's delete-all; a plain table on PostgreSQL)
    execute(faq_desk, "DELETE FROM faq_fts" if is_pg(faq_desk)
            else "INSERT INTO faq_fts (faq_fts) VALUES ('delete-all')")
    assert keys("续费")[0] == "renew-offer"
    version = query(faq_desk, "SELECT version FROM search_index WHERE name = 'faq_fts'")[0][0]
    from deskcli.search.tokens import INDEX_VERSION

    assert version == INDEX_VERSION


def test_relevance_of_the_labelled_set_through_the_command(isolated):
    """bench/faq: 235 entries, 126 labelled queries, through `deskcli faq search`."""
    ok("init --admin alice", as_user=None)
    ok("faq", "import", str(ROOT / "bench" / "faq" / "faq.jsonl"))
    queries = [json.loads(line) for line in
               (ROOT / "bench" / "faq" / "queries.jsonl").read_text(encoding="utf-8")
               .splitlines() if line.strip()]
    hit3 = sum(bool(set(keys(q["query"], "--limit", "3")) & set(q["relevant"]))
               for q in queries)
    assert hit3 / len(queries) >= 0.9


# --- suggest ---------------------------------------------------------------------------------

def test_suggest_completes_keywords_most_used_first(faq_desk):
    lines = ok("faq suggest 登").out.splitlines()
    assert lines[0] == "登录"  # a keyword of two entries, beats 登录失败 (one)
    assert "登录失败" in lines
    rows = ok("faq suggest 登 --json").json
    assert rows[0]["keywords"] == 2 and rows[0]["suggestion"] == "登录"
    assert ok("faq suggest 续").out.splitlines()[0] == "续费"
    assert "password" in ok("faq suggest PASS").out.splitlines()


def test_suggest_completes_the_end_of_what_was_typed(faq_desk):
    lines = ok("faq suggest 学员登").out.splitlines()
    assert "学员登录" in lines  # 登 completed to 登录, the typed start kept
    assert ok("faq suggest how to res").out.splitlines()[0] == "how to reset"
    assert ok("faq suggest 没有这种词").out == ""


def test_suggest_terms_follow_changes(faq_desk):
    assert "绑定微信" in ok("faq suggest 绑").out.splitlines()
    ok("faq update login-wechat --keywords 微信登录")
    assert "绑定微信" not in ok("faq suggest 绑").out.splitlines()
    ok("faq remove renew-offer")
    assert "续费" not in ok("faq suggest 续").out.splitlines()


# --- import and export -----------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "md"])
def test_export_import_round_trip(faq_desk, tmp_path, fmt, monkeypatch, request):
    exported = ok("faq", "export", "--format", fmt).out
    target = tmp_path / f"faq.{fmt}"
    target.write_text(exported, encoding="utf-8")
    again = ok("faq", "import", str(target), "--json").json
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, len(ENTRIES))
    # into a new desk: the same entries, the same file back
    monkeypatch.setenv("DESKCLI_DB", second_desk(request, tmp_path))
    seed_desk()
    assert ok("faq", "import", str(target), "--json").json["added"] == len(ENTRIES)
    assert ok("faq", "export", "--format", fmt).out == exported
    assert keys("续费")[0] == "renew-offer"


def test_markdown_is_one_heading_per_question(faq_desk, tmp_path):
    text = ok("faq export --format md --category 退款").out
    assert text.startswith("# 退款\n\n## 退款多久到账？\n"
                           "<!-- key: refund-time; keywords: 退款, 到账 -->")
    doc = tmp_path / "new.md"
    doc.write_text(
        "# 证书\n\n## 结课证书什么时候发？\n<!-- key: cert-when; keywords: 证书 -->\n\n"
        "结课后两周内发放。\n\n```sh\n# not a heading\ndeskcli faq search 证书\n```\n\n"
        "## 证书丢了能补办吗？\n\n可以，请联系校区。\n", encoding="utf-8")
    assert ok("faq", "import", str(doc), "--json").json["added"] == 2
    entry = ok("faq show cert-when --json").json
    assert entry["category"] == "证书" and "# not a heading" in entry["answer"]
    # the entry without a key matched by its question the second time
    assert ok("faq", "import", str(doc), "--json").json["unchanged"] == 2


def test_import_updates_prunes_and_dry_runs(faq_desk, tmp_path):
    changed = [dict(e) for e in ENTRIES[:3]]
    changed[0]["answer"] = "请重启App后再试。"
    path = tmp_path / "faq.json"
    path.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    dry = ok("faq", "import", str(path), "--prune", "--dry-run", "--json").json
    assert (dry["updated"], dry["unchanged"], dry["removed"]) == (1, 2, 3)
    assert db_count(faq_desk, "faq") == len(ENTRIES)  # the dry run changed nothing
    ok("faq", "import", str(path), "--prune")
    assert db_count(faq_desk, "faq") == 3
    assert ok("faq show login-spin --json").json["answer"] == "请重启App后再试。"
    assert keys("退款") == []


def test_a_bad_file_imports_nothing(faq_desk, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"key": "ok-1", "question": "问题一", "answer": "答案"}\n'
                    '{"key": "ok-2", "question": "问题二"}\n', encoding="utf-8")
    result = run("faq", "import", str(path))
    assert result.code == 2 and "entry 2 (ok-2)" in result.err
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{not json\n", encoding="utf-8")
    assert run("faq", "import", str(broken)).code == 2
    assert run("faq", "import", str(tmp_path / "faq.txt")).code == 2  # format unknown
    assert db_count(faq_desk, "faq") == len(ENTRIES)


# --- tickets: suggestions, replies that cite an entry, related, recommendations ----------------

def test_ticket_open_suggests_entries_and_solved_tickets(faq_desk):
    first = open_ticket("学员登录不上，一直转圈", "家长说换了手机以后一直转圈")
    solve(first, "切换到4G后可以登录了")
    opened = ok("ticket open --type help --title 孩子登录一直转圈 -m 重装也不行 --json").json
    suggestions = opened["suggestions"]
    assert suggestions["faq"][0]["key"] == "login-spin"
    assert len(suggestions["faq"]) <= 3
    assert [t["id"] for t in suggestions["tickets"]] == [first]
    assert suggestions["tickets"][0]["resolution"] == "切换到4G后可以登录了"
    quiet = ok("ticket open --type help --title 登录转圈 --json --no-suggest").json
    assert "suggestions" not in quiet
    forced = ok("ticket open --type help --title 登录转圈 --suggest")
    assert "Maybe already answered" in forced.err and "login-spin" in forced.err


def test_open_tickets_are_not_suggested_as_solutions(faq_desk):
    open_ticket("学员登录不上，一直转圈")
    opened = ok("ticket open --type help --title 学员登录一直转圈 --json").json
    assert opened["suggestions"]["tickets"] == []


def test_a_reopened_ticket_is_no_longer_suggested_and_a_closed_one_is(faq_desk):
    reopened, closed = open_ticket("学员登录不上，一直转圈"), open_ticket("学员登录一直转圈")
    solve(reopened, "已解决")
    solve(closed, "切换网络后好了")
    ok(f"ticket close {closed}", as_user="bob")
    ok(f"ticket reopen {reopened} -m 又不行了")
    opened = ok("ticket open --type help --title 学员登录一直转圈 --json").json
    assert [t["id"] for t in opened["suggestions"]["tickets"]] == [closed]


def test_similar_tickets_when_every_word_is_common(faq_desk):
    """The path of a large desk (every phrase in more tickets than the budget): a pool of
    the newest solved tickets with the rarest phrases, scored by the phrases they share;
    open tickets are left out there too."""
    from deskcli.desk import Desk
    from deskcli.faq.search import SOLVED, ranked

    best, other = open_ticket("登录转圈", "换了手机"), open_ticket("登录失败")
    unsolved = open_ticket("登录转圈", "换了手机")
    solve(best, "好了")
    solve(other, "好了")
    desk = Desk.open(faq_desk, "alice")
    try:
        with desk.store.read():
            found = ranked(desk.store, "tickets", "登录转圈 换了手机", 5, budget=1,
                           statuses=SOLVED)
    finally:
        desk.close()
    assert [ticket_id for ticket_id, _score in found] == [best, other]
    assert unsolved not in dict(found) and found[0][1] > found[1][1] > 0


def test_upgraded_desks_index_the_solved_tickets(faq_desk):
    if is_pg(faq_desk):  # PostgreSQL's planner chooses a partial index by its predicate
        (definition,), = query(faq_desk, "SELECT indexdef FROM pg_indexes "
                                         "WHERE indexname = 'tickets_solved'")
        assert "'resolved'" in definition and "'closed'" in definition
        return
    plan = query(faq_desk, "EXPLAIN QUERY PLAN SELECT 1 FROM tickets INDEXED BY tickets_solved "
                           "WHERE status IN ('resolved', 'closed') AND id = 1")
    assert "USING INDEX tickets_solved" in str(plan)  # the statuses are the index's


def test_access_clients_get_no_tickets_of_others(faq_desk):
    first = open_ticket("学员登录不上，一直转圈")
    solve(first, "已解决")
    ok("access add crm --name CRM --types help")
    opened = ok("ticket open --type help --title 学员登录一直转圈 --json", as_user="crm").json
    assert opened["suggestions"] == {"faq": [], "tickets": []}  # no faq.view, no others' tickets


def test_reply_with_an_faq_inserts_its_answer_and_records_the_link(faq_desk):
    ticket = open_ticket("退款还没到账")
    ok(f"ticket accept {ticket}", as_user="bob")
    ok(f"ticket reply {ticket} --faq refund-time -m 您好：", as_user="bob")
    events = ok(f"ticket show {ticket} --json").json["events"]
    reply = [e for e in events if e["kind"] == "reply"][-1]
    assert reply["message"] == "您好：\n\n退款审批通过后，原路退回，一般3到7个工作日到账。"
    assert reply["data"] == {"faq": "refund-time"}
    entry = ok("faq show refund-time --json").json
    assert entry["answered"] == 1 and entry["answered_tickets"][0]["id"] == ticket
    ok(f"ticket reply {ticket} --faq refund-time", as_user="bob")  # the answer alone
    assert ok("faq show refund-time --json").json["answered"] == 1  # one link per ticket


def test_reply_with_an_faq_is_refused_like_any_reply(faq_desk):
    ticket = open_ticket("退款还没到账")
    ok(f"ticket accept {ticket}", as_user="bob")
    assert run(f"ticket reply {ticket} --faq refund-time", as_user="carol").code == 4
    assert run(f"ticket reply {ticket} --faq no-such-entry", as_user="bob").code == 3
    assert ok("faq show refund-time --json").json["answered"] == 0


def test_recommendations_learn_what_solved_similar_tickets(faq_desk):
    text = "家长登录的问题"
    before = [e["key"] for e in ok("faq", "recommend", "--text", text, "--json").json["faq"]]
    assert set(before[:2]) == {"login-spin", "login-wechat"}
    learner = before[1]  # the one the text alone ranks second
    for title in ("家长登录有问题", "家长登录出问题了"):
        solve(open_ticket(title), "已按FAQ处理", faq=learner)
    after = ok("faq", "recommend", "--text", text, "--json").json
    assert after["faq"][0]["key"] == learner
    assert any(r.startswith("answered similar #") for r in after["faq"][0]["reasons"])
    assert {t["id"] for t in after["tickets"]} == {1, 2}


def test_recommendations_use_the_customers_history(faq_desk):
    solve(open_ticket("续费问题", customer="C1"), "已续费", faq="renew-offer")
    result = ok("faq recommend --customer C1 --text 续费 --json").json
    assert result["faq"][0]["key"] == "renew-offer"
    assert any("this customer" in r for r in result["faq"][0]["reasons"])
    other = ok("faq recommend --customer C2 --text 续费 --json").json
    assert not any("this customer" in r for r in other["faq"][0]["reasons"])
    assert run("faq recommend --customer NOPE --text 续费").code == 3


def test_ticket_related_shows_cited_entries_and_how_similar_tickets_ended(faq_desk):
    old = open_ticket("App 闪退 after iOS 17 update")
    solve(old, "Updated to 3.9, fixed", faq="ios-crash")
    new = open_ticket("App crashes on iOS 17")
    related = ok(f"ticket related {new} --json").json
    assert related["faq"][0]["key"] == "ios-crash"
    assert related["tickets"][0]["id"] == old
    assert related["tickets"][0]["resolution"] == "Updated to 3.9, fixed"
    assert related["tickets"][0]["faq"] == ["ios-crash"]
    ok(f"ticket accept {new}", as_user="bob")
    ok(f"ticket reply {new} --faq reset-password", as_user="bob")
    cited = ok(f"ticket related {new} --json").json["faq"][0]
    assert (cited["key"], cited["reasons"]) == ("reset-password", ["answered this ticket"])
    table = ok(f"ticket related {new}").out
    assert "Updated to 3.9, fixed (FAQ ios-crash)" in table
    assert run("ticket related 999").code == 3


# --- gaps ------------------------------------------------------------------------------------

def test_gaps_name_what_recent_tickets_ask_and_no_entry_answers(faq_desk):
    for title in ("发票怎么开", "发票开错了", "电子发票在哪里下载"):
        open_ticket(title, now="2026-11-20T09:00:00Z")
    open_ticket("续费优惠", now="2026-11-21T09:00:00Z")  # the FAQ covers 续费
    open_ticket("发票抬头", now="2026-09-01T09:00:00Z")  # too old for --since 30d
    gaps = ok("faq gaps --json").json
    found = {g["topic"]: g for g in gaps["gaps"]}
    assert "发票" in found and found["发票"]["tickets"] == 2
    assert [x["id"] for x in found["发票"]["examples"]] == [2, 1]
    assert "续费" not in found and "优惠" not in found
    assert gaps["tickets"] == 4
    ok("faq add --question 发票怎么开？ --answer 在App里申请电子发票。 --keywords 发票")
    assert "发票" not in {g["topic"] for g in ok("faq gaps --json").json["gaps"]}


def test_tickets_answered_with_an_faq_are_not_gaps(faq_desk):
    for title in ("证书丢了", "证书补办"):
        solve(open_ticket(title), "已补办", faq="renew-offer")
    assert ok("faq gaps --json").json["gaps"] == []
    assert ok("faq gaps --since 7d --min-tickets 1 --json").json["answered_by_faq"] == 2
