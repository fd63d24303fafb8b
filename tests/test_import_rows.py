"""`ticket import` writes exactly the rows the import of deskcli 98501d0 wrote for the same
input: every routing rule, approvals, SLA, CC, checklists, custom fields of every kind and
mixed Chinese/English text for the full-text index. The digests below were computed by
running this file against that commit (before the import's fast path), so any change to
a stored byte of an imported ticket fails here."""

import hashlib
import json
import random

import pytest
from conftest import execute, is_pg, ok, query

# sha256 of dump() after importing lines(): by the import of 98501d0
EXPECTED = {
    "tickets": "818f0557244ef42103bd66a1f5978e861ba6fe53951b834ea4c570206413af58",
    "events": "96ae9a3cc2e0188860aa291da33793a23b83f36b865e74c9380dc588eaf02f1a",
    "ticket_cc": "2600840deddb3ab968e0a5706475241a4fe48476a2646524df0b01bf1d77474e",
    "ticket_steps": "768c02b8136107bc4ec8545d95226f459992c36fd27ab3e1c31b934d292045ed",
    "ticket_fts": "bd903d50772b341cb1d4d007d64a469cdcd1c1da3004319f0a949fced6808d41",
    "assignee_load": "8ec447d2670afc423c89b6313db6975a1f04761a1d45f7412315f89fd4cc9f2e",
    "routing_state": "b5246b83d97e6327f92f440114f99a482c2bff1641224874037aa5b6804333bb",
}

TEXTS = ["学员登录失败", "登錄時間過長，續費問題", "ＡＰＰ１７ crashes on iPhone13!",
         "家长想了解续费",
         "Logged in on iOS 17.2, e-mail wasn't sent", "退款申请提交一周了还没到账。",
         "Wi-Fi 断了 3.2.1 版本", "don't know the student's password", "课", "",
         "Ünïcödé café résumé", "平板 iPad 上课卡顿（很卡）", "かな カナ 한국어 test",
         "订单 5389547120 重复扣费", "  spaces   and\ttabs  ", "emoji 😀 登录 ok"]


def lines(count: int = 400) -> list[dict]:
    rng = random.Random(15)
    out = []
    for n in range(1, count + 1):
        kind = rng.choice(["crash", "crash", "renewal", "task", "help", "purchase", "leave",
                           "lesson", "rr", "gone", "form"])
        title = " ".join(rng.sample(TEXTS[:9], 2)) + f" {n}"
        body = "".join(rng.sample(TEXTS, rng.randint(0, 4)))
        record = {"type": kind, "title": title, "body": body}
        if kind == "crash":
            record["fields"] = {"phone_model": rng.choice(["iPhone 15", "华为 P60"]),
                                "os": rng.choice(["iOS", "android"]),
                                **({"app_version": "3.2"} if rng.random() < 0.5 else {})}
            record["cc"] = rng.choice([[], ["bob"], ["dept:teaching", "carol"], ["dept:sales"]])
        elif kind == "renewal":
            record["customer"] = rng.choice(["C1", "C2", "C3"])
            record["fields"] = {"package": rng.choice(["12", 24, "48"])}
        elif kind == "help":
            record["fields"] = {"ref": rng.choice(["", "R-1", None])}
        elif kind == "form":
            record["fields"] = {"count": rng.choice([3, "7", "-2"]),
                                "amount": rng.choice([1.5, "2", "2.50", 10]),
                                "day": "2026-12-0" + str(rng.randint(1, 9)),
                                "ok": rng.choice(["yes", "否", True, "0"]),
                                "grade": rng.choice(["p1", "P2"])}
        if rng.random() < 0.3:
            record["priority"] = rng.choice(["low", "normal", "high", "urgent"])
        if rng.random() < 0.5:
            record["source"] = rng.choice(["email", "phone", "wechat", "导入"])
        if rng.random() < 0.7:
            record["external_id"] = rng.choice([f"EXT-{n}", n])
        if kind not in ("crash", "renewal") and rng.random() < 0.3:
            record["customer"] = rng.choice(["C1", "C2", "C3"])
        out.append(record)
    return out


def dump(db) -> dict[str, str]:
    digests = {}
    for table, order in (("tickets", "id"), ("events", "id"), ("ticket_cc", "rowid"),
                         ("ticket_steps", "ticket_id, position"),
                         ("ticket_fts", "rowid"), ("assignee_load", "user_id"),
                         ("routing_state", "type_id")):
        # a PostgreSQL desk's rowid is a column of its own, the first: in `*`; its
        # ticket_fts also holds the tokens' tsvector and counts: the text columns are read
        columns = "rowid, *" if order == "rowid" and not is_pg(db) else "*"
        if table == "ticket_fts":
            columns = "rowid, title, body"
        rows = query(db, f"SELECT {columns} FROM {table} ORDER BY {order}")
        digests[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


def prepare(db):
    ok("type add rr --name RR --route round-robin:support --accept-within 1h")
    ok("type add gone --name Gone --route user:bob --resolve-within 3d --step 'Check' "
       "--step '检查'")
    ok("type add form --name Form --route least-loaded:teaching --field count:int! "
       "--field amount:number --field day:date --field ok:bool "
       "--field 'grade:choice=P1|P2' --cc bob")
    ok("ticket open --type crash --title Before --field phone_model=x --field os=iOS")
    execute(db, "UPDATE users SET active = 0 WHERE login = 'bob'")


@pytest.fixture
def small_batches(monkeypatch):
    import deskcli.tickets.bulk
    import deskcli.tickets.import_worker

    monkeypatch.setattr(deskcli.tickets.import_worker, "CHUNK", 5)  # checked by the worker process
    monkeypatch.setattr(deskcli.tickets.bulk, "BATCH", 7)
    monkeypatch.setattr(deskcli.tickets.bulk, "DEFER_INDEXES_AT", 50)


@pytest.mark.parametrize("batches", ["default", "small", "apsw"])
def test_import_writes_the_rows_of_the_old_import(life_desk, tmp_path, request, batches,
                                                  monkeypatch):
    if batches != "default":  # batches of 7 lines; the indexes dropped and rebuilt
        request.getfixturevalue("small_batches")
    prepare(life_desk)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines())
    if batches == "apsw":  # from a file of more lines than APSW_FROM: through apsw
        import deskcli.tickets.bulk
        from deskcli.store import Store

        pytest.importorskip("apsw")
        monkeypatch.setattr(deskcli.tickets.bulk, "APSW_FROM", 100)
        switched = []
        bulk_writer = Store.bulk_writer
        monkeypatch.setattr(Store, "bulk_writer",
                            lambda store: switched.append(bulk_writer(store)) or switched[-1])
        source = tmp_path / "in.jsonl"
        source.write_text(text, encoding="utf-8")
        counts = ok(f"ticket import {source} --json").json
        assert switched == [not is_pg(life_desk)]
    else:
        counts = ok("ticket import - --json", input=text).json
    assert counts["imported"] == 400 and counts["rebuilt_indexes"] == (
        batches != "default" and not is_pg(life_desk))  # (PostgreSQL keeps its indexes)
    assert dump(life_desk) == EXPECTED
