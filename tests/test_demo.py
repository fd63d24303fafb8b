"""The README's first command: `deskcli demo` makes a desk a newcomer can try at once."""

import json

from conftest import run


def test_the_demo_desk_has_people_tickets_and_answers(tmp_path):
    desk = tmp_path / "demo.db"
    made = run(f"demo --path {desk}", as_user=None)
    assert made.code == 0, made
    assert made.out.strip() == str(desk) and "export DESKCLI_DB=" in made.err
    env = {"DESKCLI_DB": str(desk)}
    tickets = run("ticket list --json", env=env).json
    assert {t["type"] for t in tickets} == {"app-crash", "renewal"} and len(tickets) == 3
    # the FAQ answers questions asked in other words and the other language
    for question, expected in (("听不到老师说话", "上课没有声音"),
                               ("how do I reset my password", "忘记密码怎么办？"),
                               ("孩子生病这周上不了课", "怎么请假？")):
        found = run("faq", "search", question, "--json", env=env)
        assert found.code == 0, found
        assert expected in [e["question"] for e in json.loads(found.out)][:3], (question,
                                                                                 found.out)
    again = run(f"demo --path {desk}", as_user=None)
    assert again.code != 0 and "Traceback" not in again.err
    assert run(f"demo --path {desk} --force", as_user=None).code == 0
